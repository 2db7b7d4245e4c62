import fc from "fast-check";
import { expect, test } from "vitest";
import { packWindow, unpackWindow } from "#apps/zones/codec.js";
import { decodeReading } from "#apps/zones/reading.js";
import { zoneToItem } from "#apps/zones/store.js";
import { WINDOW_SIZE } from "#apps/zones/zone.js";
import { dataLines } from "../helpers/data.js";

test("the packed window round-trips times and temperatures, negative and out of order included", () => {
  const at = [1795683600000, 1795683605000, 1795683604999, 946684800000, 4102444799999];
  const centi = [7190, -4567, 0, 100000, -10000];
  expect(unpackWindow(packWindow(at, centi))).toEqual({ at, centi });
  expect(unpackWindow(packWindow([], []))).toEqual({ at: [], centi: [] });
});

test("any window round-trips exactly (the rules must see the readings put)", () => {
  const reading = fc.record({
    step: fc.oneof(fc.constantFrom(0, 5000, 2500), fc.integer({ min: -1_000_000_000, max: 1_000_000_000 })),
    centi: fc.oneof(
      fc.integer({ min: -10_000, max: 100_000 }),
      fc.integer({ min: -1000, max: 10_000 }).map((c) => c * 10),
    ),
  });
  fc.assert(
    fc.property(fc.array(reading, { maxLength: WINDOW_SIZE }), (readings) => {
      let t = Date.UTC(2026, 10, 20);
      const at = readings.map((r) => (t += r.step));
      const centi = readings.map((r) => r.centi);
      expect(unpackWindow(packWindow(at, centi))).toEqual({ at, centi });
    }),
    { numRuns: 300 },
  );
});

test("a window packed the first way (zigzag varints) is still read", () => {
  // 2 readings: t = 1000 ms, 70.00 °F; then +5000 ms, +0.10 °F — as the first codec wrote them.
  const varint = Uint8Array.from([0xd0, 0x0f, 0xb0, 0x6d, 0x90, 0x4e, 0x14]);
  expect(unpackWindow(varint)).toEqual({ at: [1000, 6000], centi: [7000, 7010] });
});

test("a full 500-reading zone of the demo data makes an item within one write unit (1 KB)", () => {
  const readings = dataLines("readings.csv")
    .map((line) => decodeReading(line, 0))
    .filter((r) => r.zoneId === "server-room")
    .slice(-WINDOW_SIZE);
  expect(readings).toHaveLength(WINDOW_SIZE);
  const at = readings.map((r) => r.at);
  const item = zoneToItem(
    "server-room",
    {
      at,
      centi: readings.map((r) => r.centi),
      lastByDevice: {
        "server-room-dev1": at[WINDOW_SIZE - 1] as number,
        "server-room-dev2": at[WINDOW_SIZE - 2] as number,
      },
      alarms: ["HIGH_TEMPERATURE"],
      ignored: 3,
    },
    42,
    { "shardId-000000000001": "4".padStart(80, "0"), "shardId-000000000000": "9".padStart(80, "0") },
  );
  const size = JSON.stringify(item, (_k, v) => (v instanceof Uint8Array ? "x".repeat(v.length) : v)).length;
  expect(item.w.length).toBeLessThan(800);
  expect(size).toBeLessThanOrEqual(1024);
});
