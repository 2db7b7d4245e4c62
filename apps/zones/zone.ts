import type { Keyed } from "../../core/keyed.js";
import type { Reading } from "./reading.js";
import {
  type HeldReadings,
  isOrdered,
  type RuleConfig,
  type RuleDetails,
  type RuleName,
  ruleTransitions,
} from "./rules.js";

export const WINDOW_SIZE = 500;

/** Everything the system keeps about one zone. */
export interface ZoneState {
  /** Held readings, oldest first (arrival order), at most {@link WINDOW_SIZE}. */
  readonly at: readonly number[];
  readonly centi: readonly number[];
  /** The newest accepted reading time per device: a reading not newer is a retry or late. */
  readonly lastByDevice: Readonly<Record<string, number>>;
  /** Rules currently in ALARM. */
  readonly alarms: readonly RuleName[];
  /** Readings ignored because they were not newer than their device's last one. */
  readonly ignored: number;
}

export const emptyZone = (): ZoneState => ({
  at: [],
  centi: [],
  lastByDevice: {},
  alarms: [],
  ignored: 0,
});

export type ZoneReading = Keyed<Reading>;

/** One alarm transition, ready to publish. */
export interface Alert {
  readonly zone: string;
  readonly device: string;
  readonly rule: RuleName;
  readonly status: "ALARM" | "OK";
  readonly temperature: number;
  readonly timestamp: string;
  readonly sequenceNumber: string;
  readonly shardId: string;
  readonly details: RuleDetails;
}

export type ReadingOutcome = "applied" | "stale";

export interface ZoneStep {
  readonly state: ZoneState;
  readonly alerts: Alert[];
  readonly outcomes: ReadingOutcome[];
}

/**
 * Applies a zone's readings, in order, to its state: the alarm lifecycle per (zone, rule) — one
 * ALARM when a rule starts firing, one OK when it stops — and the window of the last 500.
 * Pure: the input state is not touched. Replays never reach it: the core keeps the watermarks.
 */
export function applyReadings(state: ZoneState, readings: readonly ZoneReading[], config: RuleConfig): ZoneStep {
  const at = [...state.at];
  const centi = [...state.centi];
  let sum = 0;
  let sumOfSquares = 0;
  for (const c of centi) {
    sum += c;
    sumOfSquares += c * c;
  }
  let ordered = isOrdered(at);
  const lastByDevice = { ...state.lastByDevice };
  const alarms = new Set(state.alarms);
  let ignored = state.ignored;
  const alerts: Alert[] = [];
  const outcomes: ReadingOutcome[] = [];

  for (const { event: reading, shardId, sequenceNumber } of readings) {
    const last = lastByDevice[reading.deviceId];
    if (last !== undefined && reading.at <= last) {
      ignored++;
      outcomes.push("stale");
      continue;
    }
    lastByDevice[reading.deviceId] = reading.at;

    const held: HeldReadings = { at, centi, sum, sumOfSquares, ordered };
    for (const result of ruleTransitions(held, reading.centi, reading.at, config, alarms)) {
      if (result.firing) alarms.add(result.rule);
      else alarms.delete(result.rule);
      alerts.push({
        zone: reading.zoneId,
        device: reading.deviceId,
        rule: result.rule,
        status: result.firing ? "ALARM" : "OK",
        temperature: reading.centi / 100,
        timestamp: new Date(reading.at).toISOString(),
        sequenceNumber,
        shardId,
        details: result.details,
      });
    }

    ordered &&= at.length === 0 || reading.at >= (at[at.length - 1] as number);
    at.push(reading.at);
    centi.push(reading.centi);
    sum += reading.centi;
    sumOfSquares += reading.centi * reading.centi;
    if (at.length > WINDOW_SIZE) {
      at.shift();
      const dropped = centi.shift() as number;
      sum -= dropped;
      sumOfSquares -= dropped * dropped;
    }
    outcomes.push("applied");
  }
  return {
    state: { at, centi, lastByDevice, alarms: [...alarms], ignored },
    alerts,
    outcomes,
  };
}
