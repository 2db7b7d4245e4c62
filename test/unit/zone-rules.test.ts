import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { centiFahrenheit, decodeReading } from "#apps/zones/reading.js";
import {
  DEFAULT_RULES,
  type HeldReadings,
  highTemperature,
  isOrdered,
  rateOfRise,
  stdDev,
  windowAverage,
} from "#apps/zones/rules.js";
import { applyReadings, emptyZone, WINDOW_SIZE, type ZoneReading, type ZoneState } from "#apps/zones/zone.js";
import { asExpectedAlert, dataJson, dataLines, type ExpectedAlert } from "../helpers/data.js";

const T0 = Date.UTC(2026, 10, 20, 9);
const MIN = 60_000;

/** Held readings from (time offset ms, °F) pairs. */
function held(points: [number, number][]): HeldReadings {
  const at = points.map(([t]) => T0 + t);
  const centi = points.map(([, f]) => Math.round(f * 100));
  return {
    at,
    centi,
    sum: centi.reduce((a, b) => a + b, 0),
    sumOfSquares: centi.reduce((a, b) => a + b * b, 0),
    ordered: isOrdered(at),
  };
}
const F = (f: number) => Math.round(f * 100);

describe("HIGH_TEMPERATURE", () => {
  test("exactly 89 does not fire, 89.1 does", () => {
    expect(highTemperature(F(89), DEFAULT_RULES.highTemperature).firing).toBe(false);
    expect(highTemperature(F(89.1), DEFAULT_RULES.highTemperature).firing).toBe(true);
    expect(highTemperature(F(89.01), DEFAULT_RULES.highTemperature).firing).toBe(true);
  });
});

describe("STD_DEV", () => {
  const alternating = (n: number) =>
    Array.from({ length: n }, (_, i) => [i * 1000, i % 2 ? 71 : 69] as [number, number]);

  test("fewer than 30 held readings never fire", () => {
    expect(stdDev(held(alternating(29)), F(100), DEFAULT_RULES.stdDev).firing).toBe(false);
    expect(stdDev(held(alternating(30)), F(100), DEFAULT_RULES.stdDev).firing).toBe(true);
  });

  test("fires only beyond 3 standard deviations: mean 70, sd 1", () => {
    const h = held(alternating(30));
    expect(stdDev(h, F(73), DEFAULT_RULES.stdDev).firing).toBe(false); // exactly 3 sd
    expect(stdDev(h, F(73.01), DEFAULT_RULES.stdDev).firing).toBe(true);
    expect(stdDev(h, F(66.99), DEFAULT_RULES.stdDev).firing).toBe(true);
    expect(stdDev(h, F(73.01), DEFAULT_RULES.stdDev).details).toMatchObject({ meanF: 70, stdDevF: 1, readings: 30 });
  });

  test("a zero standard deviation never fires", () => {
    const flat = held(Array.from({ length: 40 }, (_, i) => [i * 1000, 70] as [number, number]));
    expect(stdDev(flat, F(95), DEFAULT_RULES.stdDev).firing).toBe(false);
  });
});

describe("WINDOW_AVERAGE", () => {
  test("needs 5 readings in [t − 5 min, t): one at exactly t − 5 min counts, one at t does not", () => {
    const rules = DEFAULT_RULES.windowAverage;
    const fromEdge = held([
      [-5 * MIN, 70],
      [-4 * MIN, 70],
      [-3 * MIN, 70],
      [-2 * MIN, 70],
      [-1 * MIN, 70],
    ]);
    expect(windowAverage(fromEdge, F(80), T0, rules).firing).toBe(true);
    const pastEdge = held([
      [-5 * MIN - 1, 70],
      [-4 * MIN, 70],
      [-3 * MIN, 70],
      [-2 * MIN, 70],
      [-1 * MIN, 70],
    ]);
    expect(windowAverage(pastEdge, F(80), T0, rules).firing).toBe(false);
    const sameTime = held([
      [-4 * MIN, 70],
      [-3 * MIN, 70],
      [-2 * MIN, 70],
      [-1 * MIN, 70],
      [0, 70],
    ]);
    expect(windowAverage(sameTime, F(80), T0, rules).firing).toBe(false);
  });

  test("more than 5 % above the average: exactly 5 % does not fire", () => {
    const h = held([
      [-5 * MIN, 80],
      [-4 * MIN, 80],
      [-3 * MIN, 80],
      [-2 * MIN, 80],
      [-1 * MIN, 80],
    ]);
    expect(windowAverage(h, F(84), T0, DEFAULT_RULES.windowAverage).firing).toBe(false);
    expect(windowAverage(h, F(84.01), T0, DEFAULT_RULES.windowAverage).firing).toBe(true);
  });
});

describe("RATE_OF_RISE", () => {
  test("compares with the newest reading at or before t − 5 min", () => {
    const h = held([
      [-10 * MIN, 60],
      [-5 * MIN, 70],
      [-4 * MIN, 50],
    ]);
    const rise = rateOfRise(h, F(77), T0, DEFAULT_RULES.rateOfRise);
    expect(rise.firing).toBe(true);
    expect(rise.details).toMatchObject({ baselineF: 70 });
    expect(rateOfRise(h, F(76.99), T0, DEFAULT_RULES.rateOfRise).firing).toBe(false);
  });

  test("no reading old enough: no verdict", () => {
    const h = held([[-5 * MIN + 1, 10]]);
    expect(rateOfRise(h, F(100), T0, DEFAULT_RULES.rateOfRise).firing).toBe(false);
  });
});

test("time ranges found by binary search in ordered windows equal a scan of the whole window", () => {
  // Times on a coarse grid, so that ties and readings exactly on the window's edges are common.
  const window = fc.array(fc.tuple(fc.integer({ min: -12, max: 2 }), fc.integer({ min: 6000, max: 9000 })), {
    maxLength: 60,
  });
  fc.assert(
    fc.property(window, fc.integer({ min: -2, max: 2 }), fc.integer({ min: 6000, max: 9000 }), (points, now, x) => {
      const sorted = points.map(([m, c]): [number, number] => [m * MIN, c / 100]).sort((a, b) => a[0] - b[0]);
      const fast = held(sorted);
      const scan = { ...fast, ordered: false };
      const t = T0 + now * MIN;
      const verdict = (h: HeldReadings) => {
        const average = windowAverage(h, x, t, DEFAULT_RULES.windowAverage);
        const rise = rateOfRise(h, x, t, DEFAULT_RULES.rateOfRise);
        return [average.firing, average.details, rise.firing, rise.details];
      };
      expect(fast.ordered).toBe(true);
      expect(verdict(fast)).toEqual(verdict(scan));
    }),
    { numRuns: 500 },
  );
});

describe("alarm lifecycle and window", () => {
  let n = 0;
  const reading = (f: number, offsetMs: number, device = "d1"): ZoneReading => ({
    event: { deviceId: device, zoneId: "z", centi: F(f), at: T0 + offsetMs },
    shardId: "s0",
    sequenceNumber: String(++n),
  });
  const onlyHigh = {
    ...DEFAULT_RULES,
    stdDev: { ...DEFAULT_RULES.stdDev, enabled: false },
    windowAverage: { ...DEFAULT_RULES.windowAverage, enabled: false },
    rateOfRise: { ...DEFAULT_RULES.rateOfRise, enabled: false },
  };

  test("one ALARM when a rule starts firing, nothing while it fires, one OK when it stops", () => {
    const step = applyReadings(
      emptyZone(),
      [reading(70, 0), reading(90, 1000), reading(91, 2000), reading(92, 3000), reading(70, 4000), reading(71, 5000)],
      onlyHigh,
    );
    expect(step.alerts.map((a) => [a.status, a.temperature])).toEqual([
      ["ALARM", 90],
      ["OK", 70],
    ]);
    expect(step.state.alarms).toEqual([]);
  });

  test("a reading not newer than its device's last is ignored and counted", () => {
    const step = applyReadings(
      emptyZone(),
      [reading(70, 5000), reading(99, 5000), reading(99, 4000), reading(71, 1000, "d2")],
      onlyHigh,
    );
    expect(step.outcomes).toEqual(["applied", "stale", "stale", "applied"]);
    expect(step.state.ignored).toBe(2);
    expect(step.alerts).toEqual([]);
  });

  test("the window keeps the last 500 readings of the zone", () => {
    const records = Array.from({ length: 620 }, (_, i) => reading(60 + (i % 10), i * 1000));
    const step = applyReadings(emptyZone(), records, DEFAULT_RULES);
    expect(step.state.at).toHaveLength(WINDOW_SIZE);
    expect(step.state.at[0]).toBe(T0 + 120 * 1000);
  });

  test("the input state is not touched", () => {
    const state: ZoneState = emptyZone();
    applyReadings(state, [reading(95, 0)], DEFAULT_RULES);
    expect(state).toEqual(emptyZone());
  });
});

describe("readings", () => {
  test("CSV and JSON, with and without a timestamp", () => {
    expect(decodeReading("kitchen-dev1, kitchen, 71.9, 2026-11-20T09:00:00.000Z", 0)).toEqual({
      deviceId: "kitchen-dev1",
      zoneId: "kitchen",
      centi: 7190,
      at: T0,
    });
    expect(decodeReading("d, z, 70", 12345).at).toBe(12345);
    expect(
      decodeReading('{"deviceId":"d","zoneId":"z","temperature":70.5,"timestamp":1795683600000}', 0),
    ).toMatchObject({
      centi: 7050,
      at: 1795683600000,
    });
  });

  test.each([
    ["d, z, warm", /not a number/],
    ["d, z, NaN", /not a number/],
    ["d, z, Infinity", /not a number/],
    ["d, z", /3 or 4 fields/],
    ["d, z, 70, 2026-11-20, x", /3 or 4 fields/],
    ["d, z, 70, yesterday", /ISO-8601/],
    ["d, z, 70, 99", /outside the years/],
    ["d, z, 5000", /plausible range/],
    ['{"deviceId":"d","zoneId":"z","temperature":"1e999"}', /finite/],
    ['{"deviceId":1,"zoneId":"z","temperature":70}', /deviceId/],
  ])("%s is rejected with a reason", (line, reason) => {
    expect(() => decodeReading(line, T0)).toThrow(reason);
  });

  test("-0 is 0", () => {
    expect(Object.is(centiFahrenheit("-0"), 0)).toBe(true);
  });
});

test("the demo readings give exactly the independently computed ALARM/OK transitions", () => {
  const expected = dataJson<{ alerts: ExpectedAlert[] }>("readings.expected.json").alerts;
  const zones = new Map<string, ZoneState>();
  const got: ExpectedAlert[] = [];
  dataLines("readings.csv").forEach((line, index) => {
    const reading = decodeReading(line, 0);
    const step = applyReadings(
      zones.get(reading.zoneId) ?? emptyZone(),
      [{ event: reading, shardId: "s", sequenceNumber: String(index + 1) }],
      DEFAULT_RULES,
    );
    zones.set(reading.zoneId, step.state);
    for (const alert of step.alerts) got.push(asExpectedAlert(alert, index));
  });
  expect(got).toEqual(expected);
});
