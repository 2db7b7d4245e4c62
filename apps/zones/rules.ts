/** The alert rules, in the order their alerts are sent for one reading. */
export const RULES = [
  "HIGH_TEMPERATURE",
  "STD_DEV",
  "WINDOW_AVERAGE",
  "RATE_OF_RISE",
  "LOW_TEMPERATURE",
  "RATE_OF_FALL",
] as const;
export type RuleName = (typeof RULES)[number];

export interface RuleConfig {
  readonly highTemperature: { readonly enabled: boolean; readonly thresholdF: number };
  readonly stdDev: { readonly enabled: boolean; readonly multiplier: number; readonly minReadings: number };
  readonly windowAverage: {
    readonly enabled: boolean;
    readonly windowMs: number;
    readonly minReadings: number;
    readonly percentAbove: number;
  };
  readonly rateOfRise: { readonly enabled: boolean; readonly lookbackMs: number; readonly percentRise: number };
  readonly lowTemperature: { readonly enabled: boolean; readonly thresholdF: number };
  readonly rateOfFall: { readonly enabled: boolean; readonly lookbackMs: number; readonly percentFall: number };
}

export const DEFAULT_RULES: RuleConfig = {
  highTemperature: { enabled: true, thresholdF: 89 },
  stdDev: { enabled: true, multiplier: 3, minReadings: 30 },
  windowAverage: { enabled: true, windowMs: 5 * 60_000, minReadings: 5, percentAbove: 5 },
  rateOfRise: { enabled: true, lookbackMs: 5 * 60_000, percentRise: 10 },
  lowTemperature: { enabled: true, thresholdF: 50 },
  // Off by default: a zone cooling fast is often someone opening a window, not a fault.
  rateOfFall: { enabled: false, lookbackMs: 5 * 60_000, percentFall: 10 },
};

/** The readings a zone holds, oldest first, with running sums over them (hundredths of °F). */
export interface HeldReadings {
  readonly at: readonly number[];
  readonly centi: readonly number[];
  readonly sum: number;
  readonly sumOfSquares: number;
  /** The times never decrease in arrival order (the usual case: devices with sane clocks), so
   * time ranges are found by binary search instead of a scan of the whole window. */
  readonly ordered: boolean;
}

/** Whether times never decrease from one held reading to the next. */
export function isOrdered(at: readonly number[]): boolean {
  for (let i = 1; i < at.length; i++) if ((at[i] as number) < (at[i - 1] as number)) return false;
  return true;
}

/** In ordered times: the index of the first one after `time` (`inclusive`: at or after it). */
function bound(at: readonly number[], time: number, inclusive: boolean): number {
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = at[mid] as number;
    if (t < time || (!inclusive && t === time)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type RuleDetails = Record<string, number | string | null>;

export interface RuleResult {
  readonly rule: RuleName;
  readonly firing: boolean;
  /** The figures that decided it, in °F where they are temperatures. */
  readonly details: RuleDetails;
}

const f = (centi: number) => Math.round(centi) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

// All comparisons are done on integer hundredths, multiplied out rather than divided, so that a
// reading exactly on a threshold lands on the side the spec says, never on a rounding error.
//
// Each rule is a verdict, run for every reading, and a details builder, run only when the verdict
// changes (an alert): building details (rounding, an ISO time) for every reading and rule was a
// fifth of decide's time.

interface Rule<C> {
  readonly name: RuleName;
  readonly settings: (config: RuleConfig) => C & { readonly enabled: boolean };
  readonly firing: (held: HeldReadings, x: number, t: number, settings: C) => boolean;
  readonly details: (held: HeldReadings, x: number, t: number, settings: C) => RuleDetails;
}

/** A rule as the zone step runs it: its verdict and, only when it changes, its details. */
interface RuleCheck {
  readonly name: RuleName;
  /** The verdict on reading x at time t, when the rule is enabled and the verdict is not `was`. */
  transition(held: HeldReadings, x: number, t: number, config: RuleConfig, was: boolean): RuleResult | undefined;
}

function rule<C>(
  r: Rule<C>,
): RuleCheck & { result(held: HeldReadings, x: number, t: number, settings: C): RuleResult } {
  return {
    name: r.name,
    transition(held, x, t, config, was) {
      const settings = r.settings(config);
      if (!settings.enabled) return undefined;
      const firing = r.firing(held, x, t, settings);
      return firing === was ? undefined : { rule: r.name, firing, details: r.details(held, x, t, settings) };
    },
    result: (held, x, t, settings) => ({
      rule: r.name,
      firing: r.firing(held, x, t, settings),
      details: r.details(held, x, t, settings),
    }),
  };
}

const HIGH_TEMPERATURE = rule({
  name: "HIGH_TEMPERATURE",
  settings: (config) => config.highTemperature,
  firing: (_held, x, _t, s) => x > Math.round(s.thresholdF * 100),
  details: (_held, _x, _t, s) => ({ thresholdF: s.thresholdF }),
});

const STD_DEV = rule({
  name: "STD_DEV",
  settings: (config) => config.stdDev,
  firing: (held, x, _t, s) => {
    const n = held.at.length;
    const spread = n * held.sumOfSquares - held.sum * held.sum; // n² · variance
    const deviation = n * x - held.sum; // n · (x − mean)
    return n >= s.minReadings && spread > 0 && deviation * deviation > s.multiplier * s.multiplier * spread;
  },
  details: (held, _x, _t, s) => {
    const n = held.at.length;
    const spread = n * held.sumOfSquares - held.sum * held.sum;
    return {
      readings: n,
      meanF: n > 0 ? round3(held.sum / n / 100) : null,
      stdDevF: n > 0 ? round3(Math.sqrt(Math.max(0, spread)) / n / 100) : null,
      multiplier: s.multiplier,
    };
  },
});

/** The count and sum of the held readings in [t − window, t). */
function windowStats(held: HeldReadings, t: number, windowMs: number): [count: number, sum: number] {
  const from = t - windowMs;
  let count = 0;
  let sum = 0;
  if (held.ordered) {
    const end = bound(held.at, t, true);
    for (let i = bound(held.at, from, true); i < end; i++) {
      count++;
      sum += held.centi[i] as number;
    }
  } else {
    for (let i = held.at.length - 1; i >= 0; i--) {
      const at = held.at[i] as number;
      if (at >= from && at < t) {
        count++;
        sum += held.centi[i] as number;
      }
    }
  }
  return [count, sum];
}

const WINDOW_AVERAGE = rule({
  name: "WINDOW_AVERAGE",
  settings: (config) => config.windowAverage,
  firing: (held, x, t, s) => {
    const [count, sum] = windowStats(held, t, s.windowMs);
    // x > average · (1 + p/100)  ⇔  100 · x · count > (100 + p) · sum
    return count >= s.minReadings && 100 * x * count > (100 + s.percentAbove) * sum;
  },
  details: (held, _x, t, s) => {
    const [count, sum] = windowStats(held, t, s.windowMs);
    return {
      windowReadings: count,
      averageF: count > 0 ? round3(sum / count / 100) : null,
      percentAbove: s.percentAbove,
      windowSeconds: s.windowMs / 1000,
    };
  },
});

/** The newest held reading at or before t − look-back (on equal times the later arrival), or −1. */
function baselineIndex(held: HeldReadings, t: number, lookbackMs: number): number {
  const cutoff = t - lookbackMs;
  if (held.ordered) return bound(held.at, cutoff, false) - 1;
  let best = -1;
  for (let i = held.at.length - 1; i >= 0; i--) {
    const at = held.at[i] as number;
    if (at <= cutoff && (best < 0 || at > (held.at[best] as number))) best = i;
  }
  return best;
}

/** The reading a rate rule compares with, for an alert's details. */
function baseline(held: HeldReadings, t: number, lookbackMs: number): RuleDetails {
  const best = baselineIndex(held, t, lookbackMs);
  return {
    baselineF: best >= 0 ? f(held.centi[best] as number) : null,
    baselineTime: best >= 0 ? new Date(held.at[best] as number).toISOString() : null,
    lookbackSeconds: lookbackMs / 1000,
  };
}

const RATE_OF_RISE = rule({
  name: "RATE_OF_RISE",
  settings: (config) => config.rateOfRise,
  firing: (held, x, t, s) => {
    const best = baselineIndex(held, t, s.lookbackMs);
    // x ≥ base · (1 + p/100)  ⇔  100 · x ≥ (100 + p) · base
    return best >= 0 && 100 * x >= (100 + s.percentRise) * (held.centi[best] as number);
  },
  details: (held, _x, t, s) => ({ ...baseline(held, t, s.lookbackMs), percentRise: s.percentRise }),
});

const LOW_TEMPERATURE = rule({
  name: "LOW_TEMPERATURE",
  settings: (config) => config.lowTemperature,
  firing: (_held, x, _t, s) => x < Math.round(s.thresholdF * 100),
  details: (_held, _x, _t, s) => ({ thresholdF: s.thresholdF }),
});

const RATE_OF_FALL = rule({
  name: "RATE_OF_FALL",
  settings: (config) => config.rateOfFall,
  firing: (held, x, t, s) => {
    const best = baselineIndex(held, t, s.lookbackMs);
    // x ≤ base · (1 − p/100)  ⇔  100 · x ≤ (100 − p) · base
    return best >= 0 && 100 * x <= (100 - s.percentFall) * (held.centi[best] as number);
  },
  details: (held, _x, t, s) => ({ ...baseline(held, t, s.lookbackMs), percentFall: s.percentFall }),
});

/** The rules, in the order their alerts are sent for one reading (the order of {@link RULES}). */
const CHECKS: readonly RuleCheck[] = [
  HIGH_TEMPERATURE,
  STD_DEV,
  WINDOW_AVERAGE,
  RATE_OF_RISE,
  LOW_TEMPERATURE,
  RATE_OF_FALL,
];

/** The enabled rules whose verdict on reading x (hundredths of °F) at time t differs from the one
 * they held (in ALARM or not), with the details that decided it. */
export function ruleTransitions(
  held: HeldReadings,
  x: number,
  t: number,
  config: RuleConfig,
  alarms: ReadonlySet<RuleName>,
): RuleResult[] {
  const changed: RuleResult[] = [];
  for (const check of CHECKS) {
    const result = check.transition(held, x, t, config, alarms.has(check.name));
    if (result) changed.push(result);
  }
  return changed;
}

/** One rule's verdict with its details (for tests and explanations). */
export const highTemperature = (x: number, s: RuleConfig["highTemperature"]) => HIGH_TEMPERATURE.result(EMPTY, x, 0, s);
export const stdDev = (held: HeldReadings, x: number, s: RuleConfig["stdDev"]) => STD_DEV.result(held, x, 0, s);
export const windowAverage = (held: HeldReadings, x: number, t: number, s: RuleConfig["windowAverage"]) =>
  WINDOW_AVERAGE.result(held, x, t, s);
export const rateOfRise = (held: HeldReadings, x: number, t: number, s: RuleConfig["rateOfRise"]) =>
  RATE_OF_RISE.result(held, x, t, s);
export const lowTemperature = (x: number, s: RuleConfig["lowTemperature"]) => LOW_TEMPERATURE.result(EMPTY, x, 0, s);
export const rateOfFall = (held: HeldReadings, x: number, t: number, s: RuleConfig["rateOfFall"]) =>
  RATE_OF_FALL.result(held, x, t, s);

const EMPTY: HeldReadings = { at: [], centi: [], sum: 0, sumOfSquares: 0, ordered: true };
