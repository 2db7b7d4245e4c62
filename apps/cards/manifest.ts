import { DynamoKeyedStore } from "../../core/keyed-store.js";
import { compareBySubject, expectedFile } from "../expected.js";
import { defineApp } from "../manifest.js";
import { CARD_ENV, CARD_KEY, cardRulesEnvironment } from "./app.js";
import { DEFAULT_CARD_RULES, parseCardRules } from "./rules.js";
import { cardStatus } from "./status.js";
import { looksLikeCardNumber } from "./transaction.js";

/** Card transactions judged for fraud: one FRAUD_SUSPECTED message per flagged transaction, with its reasons. */
export const cards = defineApp({
  name: "cards",
  title: "Card transactions judged for fraud: a large amount, a burst of charges, another country within the hour",
  streams: [
    {
      name: "transactions",
      // A card number is never a partition key: such a record goes under a random one and is rejected.
      key: { csvField: 0, jsonField: "cardId", forbidden: looksLikeCardNumber },
      header: ["cardid", "card"],
      formats: {
        csv: "card_id, amount, country[, timestamp] (the issuer's token, dollars, ISO 3166 alpha-2)",
        json: '{"cardId","amount","country","timestamp"?}',
      },
      tableActions: DynamoKeyedStore.actions,
      outputMetrics: ["AlertsRaised"],
      demo: { file: "cards.csv" },
    },
  ],
  table: { id: "CardTable", key: CARD_KEY, env: CARD_ENV.cardTable },
  alerts: true,
  // -c cardRules='{"velocity":{"minTransactions":3},"impossibleTravel":{"windowMs":7200000}}'
  settings: (context) => {
    const given = context("cardRules");
    return cardRulesEnvironment(given === undefined ? DEFAULT_CARD_RULES : parseCardRules(given, "-c cardRules"));
  },
  demo: {
    show: (a) =>
      a.card === undefined
        ? undefined
        : `🚩 FRAUD ${String(a.card).padEnd(12)} ${String((a.reasons as { rule: string }[]).map((r) => r.rule).join(",")).padEnd(30)} ${a.amount} ${a.country}  ${a.timestamp}`,
    check: async (sent) =>
      compareBySubject(
        "cards",
        "card",
        ["card", "amount", "country", "timestamp", "reasons"],
        expectedFile<{ alerts: Record<string, unknown>[] }>("cards.expected.json").alerts,
        sent.map((m) => ({ ...m, reasons: (m.reasons as { rule: string }[]).map((r) => r.rule) })),
      ),
  },
  status: cardStatus,
  testing: async () => (await import("./testing.js")).cardTesting,
});
