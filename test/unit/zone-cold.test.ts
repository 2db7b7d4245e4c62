import { expect, test } from "vitest";
import { parseRules } from "#apps/zones/config.js";
import { DEFAULT_RULES, lowTemperature, rateOfFall } from "#apps/zones/rules.js";
import { applyReadings, emptyZone, type ZoneState } from "#apps/zones/zone.js";

// Too cold and falling fast (SPEC.md §2, amended), checked against an oracle written here from the
// spec's words alone — plain floating-point arithmetic over the readings held before each one, no
// running sums, no binary search, nothing of the product's — on readings that cool a zone from 72 °F
// to below 50 °F (a chiller fault), stay there, and recover, with the rate-of-fall rule switched on.

const T0 = Date.UTC(2026, 11, 1, 6);
const MIN = 60_000;

interface Line {
  readonly device: string;
  readonly zone: string;
  readonly f: number;
  readonly at: number;
}

/** Two zones, two devices each, every 20 s for 60 minutes: the cold room's chiller runs away at minute 10. */
function scenario(): Line[] {
  const lines: Line[] = [];
  for (let i = 0; i < 180; i++) {
    const at = T0 + i * 20_000;
    const minute = i / 3;
    // Cold room: steady near 72, a fall of ~2.6 °F a minute from minute 10 to 20, held near 45, then back up.
    const cold =
      minute < 10
        ? 72
        : minute < 20
          ? 72 - (minute - 10) * 2.6
          : minute < 40
            ? 46 - (i % 3) * 0.3
            : 46 + (minute - 40) * 1.07;
    for (const [zone, base] of [
      ["cold-room", cold],
      ["office", 70 + (i % 4) * 0.2],
    ] as const) {
      lines.push({ device: `${zone}-a`, zone, f: Math.round(base * 10) / 10, at });
      lines.push({ device: `${zone}-b`, zone, f: Math.round((base + 0.3) * 10) / 10, at: at + 5_000 });
    }
  }
  return lines;
}

type Rules = ReturnType<typeof parseRules>;

/** The spec's six rules over plain arrays: the transitions per (zone, rule), in order. */
function oracle(lines: readonly Line[], rules: Rules) {
  const held = new Map<string, { f: number; at: number }[]>();
  const last = new Map<string, number>();
  const firing = new Map<string, boolean>();
  const out: { index: number; zone: string; rule: string; status: string }[] = [];
  let nearTies = 0;
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-7 * Math.max(1, Math.abs(a), Math.abs(b));
  lines.forEach((line, index) => {
    const prev = last.get(line.device);
    if (prev !== undefined && line.at <= prev) return;
    last.set(line.device, line.at);
    const h = held.get(line.zone) ?? [];
    const x = line.f;
    const t = line.at;
    const verdicts: [string, boolean, boolean][] = [];
    const r = rules;
    if (r.highTemperature.enabled) verdicts.push(["HIGH_TEMPERATURE", x > r.highTemperature.thresholdF, false]);
    if (r.stdDev.enabled) {
      const n = h.length;
      const mean = h.reduce((s, p) => s + p.f, 0) / Math.max(1, n);
      const sd = Math.sqrt(h.reduce((s, p) => s + (p.f - mean) ** 2, 0) / Math.max(1, n));
      const bound = r.stdDev.multiplier * sd;
      verdicts.push([
        "STD_DEV",
        n >= r.stdDev.minReadings && sd > 0 && Math.abs(x - mean) > bound,
        close(Math.abs(x - mean), bound),
      ]);
    }
    if (r.windowAverage.enabled) {
      const inWindow = h.filter((p) => p.at >= t - r.windowAverage.windowMs && p.at < t);
      const avg = inWindow.reduce((s, p) => s + p.f, 0) / Math.max(1, inWindow.length);
      const bound = avg * (1 + r.windowAverage.percentAbove / 100);
      verdicts.push(["WINDOW_AVERAGE", inWindow.length >= r.windowAverage.minReadings && x > bound, close(x, bound)]);
    }
    const baseline = (lookbackMs: number) => {
      const before = h.filter((p) => p.at <= t - lookbackMs);
      return before.length === 0 ? undefined : before.reduce((a, b) => (b.at >= a.at ? b : a));
    };
    if (r.rateOfRise.enabled) {
      const base = baseline(r.rateOfRise.lookbackMs);
      const bound = base === undefined ? 0 : base.f * (1 + r.rateOfRise.percentRise / 100);
      verdicts.push(["RATE_OF_RISE", base !== undefined && x >= bound, base !== undefined && close(x, bound)]);
    }
    if (r.lowTemperature.enabled) verdicts.push(["LOW_TEMPERATURE", x < r.lowTemperature.thresholdF, false]);
    if (r.rateOfFall.enabled) {
      const base = baseline(r.rateOfFall.lookbackMs);
      const bound = base === undefined ? 0 : base.f * (1 - r.rateOfFall.percentFall / 100);
      verdicts.push(["RATE_OF_FALL", base !== undefined && x <= bound, base !== undefined && close(x, bound)]);
    }
    for (const [rule, fires, tie] of verdicts) {
      if (tie) nearTies++;
      const key = `${line.zone}|${rule}`;
      if ((firing.get(key) ?? false) !== fires) {
        firing.set(key, fires);
        out.push({ index, zone: line.zone, rule, status: fires ? "ALARM" : "OK" });
      }
    }
    h.push({ f: x, at: t });
    if (h.length > 500) h.shift();
    held.set(line.zone, h);
  });
  return { transitions: out, nearTies };
}

function product(lines: readonly Line[], rules: Rules) {
  const zones = new Map<string, ZoneState>();
  const out: { index: number; zone: string; rule: string; status: string }[] = [];
  lines.forEach((line, index) => {
    const event = { deviceId: line.device, zoneId: line.zone, centi: Math.round(line.f * 100), at: line.at };
    const step = applyReadings(
      zones.get(line.zone) ?? emptyZone(),
      [{ event, shardId: "s", sequenceNumber: String(index + 1) }],
      rules,
    );
    zones.set(line.zone, step.state);
    for (const a of step.alerts) out.push({ index, zone: a.zone, rule: a.rule, status: a.status });
  });
  return out;
}

test("with rateOfFall on, a zone cooling below 50 °F gives the spec's LOW_TEMPERATURE and RATE_OF_FALL transitions", () => {
  const rules = parseRules({ rateOfFall: { enabled: true } }, "test");
  const lines = scenario();
  const expected = oracle(lines, rules);
  expect(expected.nearTies).toBe(0);
  const rulesSeen = new Set(expected.transitions.map((t) => `${t.rule} ${t.status}`));
  // The scenario does what it is for: both new rules go to ALARM and back to OK.
  for (const seen of ["LOW_TEMPERATURE ALARM", "LOW_TEMPERATURE OK", "RATE_OF_FALL ALARM", "RATE_OF_FALL OK"])
    expect(rulesSeen).toContain(seen);
  expect(product(lines, rules)).toEqual(expected.transitions);
});

test("by default LOW_TEMPERATURE is on and RATE_OF_FALL off", () => {
  const lines = scenario();
  const got = product(lines, DEFAULT_RULES);
  expect(got.some((t) => t.rule === "LOW_TEMPERATURE")).toBe(true);
  expect(got.some((t) => t.rule === "RATE_OF_FALL")).toBe(false);
  expect(got).toEqual(oracle(lines, DEFAULT_RULES).transitions);
});

test("the edges: 50 °F is not too cold, 49.99 is; exactly 10 % below the reading of 5 minutes before falls", () => {
  expect(lowTemperature(5000, DEFAULT_RULES.lowTemperature).firing).toBe(false);
  expect(lowTemperature(4999, DEFAULT_RULES.lowTemperature).firing).toBe(true);
  const held = { at: [T0 - 5 * MIN], centi: [7000], sum: 7000, sumOfSquares: 7000 * 7000, ordered: true };
  const on = { ...DEFAULT_RULES.rateOfFall, enabled: true };
  expect(rateOfFall(held, 6300, T0, on).firing).toBe(true);
  expect(rateOfFall(held, 6301, T0, on).firing).toBe(false);
  expect(rateOfFall(held, 6300, T0 - 1, on).firing).toBe(false); // the baseline is not yet 5 minutes old
  expect(rateOfFall(held, 6300, T0, on).details).toMatchObject({ baselineF: 70, percentFall: 10 });
});

test("the zone rules' schema takes the new rules and refuses what it does not know", () => {
  const rules = parseRules('{"lowTemperature":{"thresholdF":-5},"rateOfFall":{"enabled":true,"percentFall":20}}', "x");
  expect(rules.lowTemperature).toEqual({ enabled: true, thresholdF: -5 });
  expect(rules.rateOfFall).toEqual({ ...DEFAULT_RULES.rateOfFall, enabled: true, percentFall: 20 });
  expect(() => parseRules('{"rateOfFall":{"percentDrop":5}}', "x")).toThrow(/rateOfFall: unknown "percentDrop"/);
});
