/** The alert rules, in the order their alerts are sent for one reading. */
export const RULES = ["HIGH_TEMPERATURE", "STD_DEV", "WINDOW_AVERAGE", "RATE_OF_RISE"] as const;
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
}

export const DEFAULT_RULES: RuleConfig = {
  highTemperature: { enabled: true, thresholdF: 89 },
  stdDev: { enabled: true, multiplier: 3, minReadings: 30 },
  windowAverage: { enabled: true, windowMs: 5 * 60_000, minReadings: 5, percentAbove: 5 },
  rateOfRise: { enabled: true, lookbackMs: 5 * 60_000, percentRise: 10 },
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

export function highTemperature(x: number, config: RuleConfig["highTemperature"]): RuleResult {
  return {
    rule: "HIGH_TEMPERATURE",
    firing: x > Math.round(config.thresholdF * 100),
    details: { thresholdF: config.thresholdF },
  };
}

export function stdDev(held: HeldReadings, x: number, config: RuleConfig["stdDev"]): RuleResult {
  const n = held.at.length;
  const spread = n * held.sumOfSquares - held.sum * held.sum; // n² · variance
  const deviation = n * x - held.sum; // n · (x − mean)
  const mean = n > 0 ? held.sum / n : null;
  const sd = n > 0 ? Math.sqrt(Math.max(0, spread)) / n : null;
  const firing =
    n >= config.minReadings && spread > 0 && deviation * deviation > config.multiplier * config.multiplier * spread;
  return {
    rule: "STD_DEV",
    firing,
    details: {
      readings: n,
      meanF: mean === null ? null : round3(mean / 100),
      stdDevF: sd === null ? null : round3(sd / 100),
      multiplier: config.multiplier,
    },
  };
}

export function windowAverage(
  held: HeldReadings,
  x: number,
  t: number,
  config: RuleConfig["windowAverage"],
): RuleResult {
  const from = t - config.windowMs;
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
  // x > average · (1 + p/100)  ⇔  100 · x · count > (100 + p) · sum
  const firing = count >= config.minReadings && 100 * x * count > (100 + config.percentAbove) * sum;
  return {
    rule: "WINDOW_AVERAGE",
    firing,
    details: {
      windowReadings: count,
      averageF: count > 0 ? round3(sum / count / 100) : null,
      percentAbove: config.percentAbove,
      windowSeconds: config.windowMs / 1000,
    },
  };
}

export function rateOfRise(held: HeldReadings, x: number, t: number, config: RuleConfig["rateOfRise"]): RuleResult {
  const cutoff = t - config.lookbackMs;
  // The newest held reading at or before the cutoff; on equal times the later arrival wins.
  let best = -1;
  if (held.ordered) {
    best = bound(held.at, cutoff, false) - 1;
  } else {
    for (let i = held.at.length - 1; i >= 0; i--) {
      const at = held.at[i] as number;
      if (at <= cutoff && (best < 0 || at > (held.at[best] as number))) best = i;
    }
  }
  const base = best >= 0 ? (held.centi[best] as number) : null;
  // x ≥ base · (1 + p/100)  ⇔  100 · x ≥ (100 + p) · base
  const firing = base !== null && 100 * x >= (100 + config.percentRise) * base;
  return {
    rule: "RATE_OF_RISE",
    firing,
    details: {
      baselineF: base === null ? null : f(base),
      baselineTime: best >= 0 ? new Date(held.at[best] as number).toISOString() : null,
      percentRise: config.percentRise,
      lookbackSeconds: config.lookbackMs / 1000,
    },
  };
}

/** Every enabled rule's verdict on reading x (hundredths of °F) at time t, against the held readings. */
export function evaluateRules(held: HeldReadings, x: number, t: number, config: RuleConfig): RuleResult[] {
  const results: RuleResult[] = [];
  if (config.highTemperature.enabled) results.push(highTemperature(x, config.highTemperature));
  if (config.stdDev.enabled) results.push(stdDev(held, x, config.stdDev));
  if (config.windowAverage.enabled) results.push(windowAverage(held, x, t, config.windowAverage));
  if (config.rateOfRise.enabled) results.push(rateOfRise(held, x, t, config.rateOfRise));
  return results;
}
