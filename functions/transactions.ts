import { transactionsFunction } from "#apps/cards/app.js";
import { keyedHandler } from "#core/handler.js";

/** Card transactions: each judged against the card's last 50, one FRAUD_SUSPECTED message when a rule fires. */
export const handler = keyedHandler(transactionsFunction());
