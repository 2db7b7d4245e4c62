import { scanAll } from "../../shared/dynamo.js";
import type { AppReadContext } from "../manifest.js";
import { textTable } from "../text-table.js";
import { CARD_KEY, cardCodec } from "./app.js";

/** Each card's held transactions, its last one, and the transactions ignored as not newer. */
export async function cardStatus({ documents, outputs }: AppReadContext): Promise<{ text: string; json: unknown }> {
  const cards = (await scanAll(documents, outputs.CardTableName ?? "")).map((item) => {
    const state = cardCodec.decode(item);
    const last = state.held.at(-1);
    return {
      card: String(item[CARD_KEY]),
      held: state.held.length,
      lastAt: last ? new Date(last.at).toISOString() : null,
      lastCountry: last?.country ?? null,
      ignored: state.ignored,
    };
  });
  cards.sort((a, b) => a.card.localeCompare(b.card));
  const text =
    cards.length === 0
      ? "no card has transactions yet"
      : textTable(
          ["card", "held", "last transaction", "country", "ignored"],
          cards.map((c) => [c.card, String(c.held), c.lastAt ?? "-", c.lastCountry ?? "-", String(c.ignored)]),
        );
  return { text, json: cards };
}
