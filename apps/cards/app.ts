import { alertContract } from "../../core/alerts.js";
import type { KeyedFunction } from "../../core/handler.js";
import { foldEvents, type KeyedApp } from "../../core/keyed.js";
import type { StateCodec } from "../../core/keyed-store.js";
import { COMMON_ENV } from "../../shared/config.js";
import { requireEnv } from "../../shared/env.js";
import { packHistory, unpackHistory } from "./codec.js";
import { type CardRules, DEFAULT_CARD_RULES, type Held, judge, parseCardRules, type Reason } from "./rules.js";
import { decodeTransaction, type Transaction } from "./transaction.js";

/** The transactions a card's judgement looks back over. */
export const HISTORY_SIZE = 50;

/** A card's state: its last accepted transactions, oldest first, and how many were ignored. */
export interface CardState {
  readonly held: readonly Held[];
  readonly ignored: number;
}

/** One flagged transaction, with the rules it fired and what decided each. */
export interface FraudAlert {
  readonly card: string;
  readonly status: "FRAUD_SUSPECTED";
  readonly amount: number;
  readonly country: string;
  readonly timestamp: string;
  readonly sequenceNumber: string;
  readonly reasons: readonly Reason[];
}

/** The card table's partition key. */
export const CARD_KEY = "card";

/** Card alerts on the alert topic: grouped, deduplicated and filterable by card; `reasons` as an attribute. */
export const cardAlerts = alertContract<FraudAlert>("card");

const initial = (): CardState => ({ held: [], ignored: 0 });

/** Each transaction judged on its own against the card's last 50: one FRAUD_SUSPECTED message if any rule fires. */
export function cardApp(rules: CardRules): KeyedApp<Transaction, CardState, FraudAlert> {
  return {
    keyOf: (tx) => tx.cardId,
    initial,
    apply: foldEvents((state, { event: tx, sequenceNumber }) => {
      const last = state.held.at(-1);
      if (last !== undefined && tx.at <= last.at) {
        return { state: { ...state, ignored: state.ignored + 1 }, outputs: [], outcome: "stale" };
      }
      const now: Held = { at: tx.at, cents: tx.cents, country: tx.country };
      const reasons = judge(state.held, now, rules);
      const next = { ...state, held: [...state.held, now].slice(-HISTORY_SIZE) };
      if (reasons.length === 0) return { state: next, outputs: [], outcome: "applied" };
      const alert: FraudAlert = {
        card: tx.cardId,
        status: "FRAUD_SUSPECTED",
        amount: tx.cents / 100,
        country: tx.country,
        timestamp: new Date(tx.at).toISOString(),
        sequenceNumber,
        reasons,
      };
      return { state: next, outputs: [alert], outcome: "applied" };
    }),
    metricOf: cardAlerts.metricOf,
  };
}

/** A card's item: its held transactions packed (about 8 bytes each), and the ignored count. */
export const cardCodec: StateCodec<CardState> = {
  initial,
  encode: (s) => ({ h: packHistory(s.held), ignored: s.ignored }),
  decode: (i) => ({
    held: i.h instanceof Uint8Array ? unpackHistory(i.h) : [],
    ignored: typeof i.ignored === "number" ? i.ignored : 0,
  }),
};

export const CARD_ENV = { cardTable: "CARD_TABLE", rules: "CARD_RULES" } as const;

/** The card rules as the stack writes them into the function's environment. */
export const cardRulesEnvironment = (rules: CardRules): Record<string, string> => ({
  [CARD_ENV.rules]: JSON.stringify(rules),
});

/** The transactions function, configured from its environment. */
export function transactionsFunction(
  env: NodeJS.ProcessEnv = process.env,
): KeyedFunction<Transaction, CardState, FraudAlert> {
  const rules = env[CARD_ENV.rules];
  return {
    service: "transactions",
    decode: (text, ref) => decodeTransaction(text, ref.arrivalMs),
    app: cardApp(rules === undefined ? DEFAULT_CARD_RULES : parseCardRules(rules, CARD_ENV.rules)),
    codec: cardCodec,
    keyAttribute: CARD_KEY,
    message: cardAlerts.message,
    table: requireEnv(CARD_ENV.cardTable, env),
    topicArn: requireEnv(COMMON_ENV.alertTopicArn, env),
    rejectedQueueUrl: requireEnv(COMMON_ENV.rejectedQueueUrl, env),
  };
}
