import fc from "fast-check";
import { keyedTesting } from "../manifest.js";
import { records, timed } from "../testing.js";
import { CARD_KEY, cardAlerts, cardApp, cardCodec } from "./app.js";
import { DEFAULT_CARD_RULES } from "./rules.js";
import type { Transaction } from "./transaction.js";

/** Transactions over three cards and three countries, seconds to minutes apart, small to very large. */
export const cardTesting = keyedTesting({
  app: cardApp(DEFAULT_CARD_RULES),
  message: cardAlerts.message,
  codec: cardCodec,
  keyAttribute: CARD_KEY,
  events: records(
    fc.record({
      card: fc.constantFrom("tok-a", "tok-b", "tok-c"),
      step: fc.integer({ min: 0, max: 400_000 }),
      cents: fc.oneof(fc.integer({ min: 100, max: 9_000 }), fc.integer({ min: 1, max: 5_000_000 })),
      country: fc.constantFrom("US", "US", "US", "DE", "JP"),
    }),
  ).map((raw) => timed(raw, (r, at): Transaction => ({ cardId: r.card, cents: r.cents, country: r.country, at }))),
});
