import { csvFields, identifier, jsonObject, looksLikeJson } from "../../shared/csv.js";
import { DecodeError, RedactedDecodeError } from "../../shared/errors.js";
import { readingTime } from "../../shared/time.js";
import { COUNTRIES } from "./countries.js";

/** One card transaction. The amount in cents, an integer, so sums and thresholds are exact. */
export interface Transaction {
  /** The card issuer's token for the card: never the card number. */
  readonly cardId: string;
  readonly cents: number;
  /** ISO 3166-1 alpha-2, upper-case. */
  readonly country: string;
  /** Epoch milliseconds: the transaction's timestamp, or the record's arrival time. */
  readonly at: number;
}

// 13 to 19 digits, with spaces or dashes among them: how card numbers (PANs) are written.
const CARD_NUMBER = /^\d(?:[ -]*\d){12,18}$/;
// The same anywhere in a record: a rejected record holding one is not copied to the rejected queue.
const CARD_NUMBER_INSIDE = /(?<!\d)\d(?:[ -]*\d){12,18}(?!\d)/g;
const AMOUNT = /^\d+(\.\d{1,2})?$/;
// A larger amount is a unit mix-up or an attack, not a card payment; cents stay exact integers below it.
const MAX_CENTS = 100_000_000_00;

/** Whether an id is written like a card number rather than an issuer's token. */
export function looksLikeCardNumber(id: string): boolean {
  return CARD_NUMBER.test(id.trim());
}

/**
 * `card_id, amount, country[, timestamp]` or `{"cardId","amount","country","timestamp"}`. A card id
 * written like a card number is rejected, and so is any bad record holding such a number: their
 * rejections carry the reason only, never the record's bytes or partition key.
 */
export function decodeTransaction(line: string, arrivalMs: number): Transaction {
  try {
    return decode(line, arrivalMs);
  } catch (err) {
    if (err instanceof DecodeError && !(err instanceof RedactedDecodeError) && line.match(CARD_NUMBER_INSIDE)) {
      const reason = err.message.replace(CARD_NUMBER_INSIDE, "<withheld>");
      throw new RedactedDecodeError(`${reason} (the record holds what may be a card number: withheld)`);
    }
    throw err;
  }
}

function decode(line: string, arrivalMs: number): Transaction {
  const json = looksLikeJson(line) ? jsonObject(line) : undefined;
  const fields = json ? [json.cardId, json.amount, json.country, json.timestamp] : csvFields(line);
  if (!json && fields.length !== 3 && fields.length !== 4) {
    throw new DecodeError(
      `transaction needs 3 or 4 fields (card_id, amount, country[, timestamp]), got ${fields.length}`,
    );
  }
  const [card, amount, country, time] = fields;
  if ((typeof card === "string" || typeof card === "number") && looksLikeCardNumber(String(card))) {
    throw new RedactedDecodeError(
      "cardId looks like a card number (13–19 digits): send the card issuer's token for the card, never its number",
    );
  }
  return {
    cardId: identifier(card, "cardId"),
    cents: centsOf(amount),
    country: countryOf(country),
    at: readingTime(time, arrivalMs),
  };
}

/** Dollars, > 0, at most two decimals, as integer cents. Values are never echoed: they may be card data. */
function centsOf(value: unknown): number {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== "string" || !AMOUNT.test(text.trim())) {
    throw new DecodeError("amount must be dollars with at most two decimals, e.g. 18.64");
  }
  const [whole = "0", fraction = ""] = text.trim().split(".");
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  if (cents <= 0) throw new DecodeError("amount must be more than 0");
  if (cents > MAX_CENTS) throw new DecodeError("amount is over 100,000,000.00: not a card payment");
  return cents;
}

function countryOf(value: unknown): string {
  const code = typeof value === "string" ? value.trim().toUpperCase() : "";
  if (!COUNTRIES.has(code)) throw new DecodeError("country must be an ISO 3166-1 alpha-2 code, e.g. US or de");
  return code;
}
