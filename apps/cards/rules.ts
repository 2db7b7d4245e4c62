import * as z from "zod/mini";
import { parseSettings } from "../../shared/settings.js";

/** The rules, in the order a flagged transaction's reasons are listed. */
export const RULES = ["LARGE_AMOUNT", "VELOCITY", "IMPOSSIBLE_TRAVEL"] as const;
export type RuleName = (typeof RULES)[number];

export interface CardRules {
  readonly largeAmount: { readonly enabled: boolean; readonly multiplier: number; readonly minTransactions: number };
  readonly velocity: { readonly enabled: boolean; readonly windowMs: number; readonly minTransactions: number };
  readonly impossibleTravel: { readonly enabled: boolean; readonly windowMs: number };
}

export const DEFAULT_CARD_RULES: CardRules = {
  largeAmount: { enabled: true, multiplier: 3, minTransactions: 10 },
  velocity: { enabled: true, windowMs: 60_000, minTransactions: 5 },
  impossibleTravel: { enabled: true, windowMs: 3_600_000 },
};

const on = z.optional(z.boolean());
const count = z.optional(z.number().check(z.int(), z.nonnegative()));
const positive = z.optional(z.number().check(z.positive()));

/** The card rules' one schema: `cdk deploy -c cardRules='…'` and the function's environment alike. */
const SCHEMA = z.strictObject({
  largeAmount: z.optional(z.strictObject({ enabled: on, multiplier: positive, minTransactions: count })),
  velocity: z.optional(z.strictObject({ enabled: on, windowMs: positive, minTransactions: count })),
  impossibleTravel: z.optional(z.strictObject({ enabled: on, windowMs: positive })),
});

export const parseCardRules = (input: unknown, where: string): CardRules =>
  parseSettings(SCHEMA, DEFAULT_CARD_RULES, input, where);

/** A held transaction: its time, cents and country. */
export interface Held {
  readonly at: number;
  readonly cents: number;
  readonly country: string;
}

export interface Reason {
  readonly rule: RuleName;
  readonly [detail: string]: number | string | null;
}

const dollars = (cents: number) => Math.round(cents) / 100;

// LARGE_AMOUNT is decided on integers, as the spec words it: with n held amounts of sum S and sum of
// squares Q (cents), d = n·amount − S > 0 and d² > k²·(n·Q − S²). Q passes 2^53 for large amounts,
// so BigInt; k² is taken to six decimals (exact for a multiplier of up to three decimals).
function largeAmount(held: readonly Held[], cents: number, s: CardRules["largeAmount"]): Reason | undefined {
  const n = BigInt(held.length);
  if (held.length < s.minTransactions || held.length === 0) return undefined;
  let sum = 0n;
  let squares = 0n;
  for (const h of held) {
    sum += BigInt(h.cents);
    squares += BigInt(h.cents) * BigInt(h.cents);
  }
  const spread = n * squares - sum * sum; // n² · variance
  const d = n * BigInt(cents) - sum; // n · (amount − mean)
  const k2 = BigInt(Math.round(s.multiplier * s.multiplier * 1e6));
  if (!(spread > 0n && d > 0n && d * d * 1_000_000n > k2 * spread)) return undefined;
  const mean = Number(sum) / held.length;
  return {
    rule: "LARGE_AMOUNT",
    transactions: held.length,
    meanAmount: dollars(mean),
    stdDevAmount: Math.round(Math.sqrt(Number(spread)) / held.length) / 100,
    multiplier: s.multiplier,
  };
}

/** Held transactions are in time order (a card's transaction not newer than its last is ignored). */
function within(held: readonly Held[], t: number, windowMs: number): Held[] {
  const from = t - windowMs;
  const found: Held[] = [];
  for (let i = held.length - 1; i >= 0 && (held[i] as Held).at >= from; i--) {
    const h = held[i] as Held;
    if (h.at < t) found.push(h);
  }
  return found;
}

function velocity(held: readonly Held[], t: number, s: CardRules["velocity"]): Reason | undefined {
  const recent = within(held, t, s.windowMs).length;
  return recent >= s.minTransactions
    ? { rule: "VELOCITY", transactionsInWindow: recent, windowSeconds: s.windowMs / 1000 }
    : undefined;
}

function impossibleTravel(
  held: readonly Held[],
  t: number,
  country: string,
  s: CardRules["impossibleTravel"],
): Reason | undefined {
  const elsewhere = within(held, t, s.windowMs).find((h) => h.country !== country);
  return elsewhere
    ? {
        rule: "IMPOSSIBLE_TRAVEL",
        otherCountry: elsewhere.country,
        otherTime: new Date(elsewhere.at).toISOString(),
        windowSeconds: s.windowMs / 1000,
      }
    : undefined;
}

/** The rules a transaction fires against the transactions held before it, in {@link RULES} order. */
export function judge(held: readonly Held[], tx: Held, rules: CardRules): Reason[] {
  const reasons = [
    rules.largeAmount.enabled ? largeAmount(held, tx.cents, rules.largeAmount) : undefined,
    rules.velocity.enabled ? velocity(held, tx.at, rules.velocity) : undefined,
    rules.impossibleTravel.enabled ? impossibleTravel(held, tx.at, tx.country, rules.impossibleTravel) : undefined,
  ];
  return reasons.filter((r): r is Reason => r !== undefined);
}
