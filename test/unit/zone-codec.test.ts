import { expect, test } from "vitest";
import { packWindow, unpackWindow } from "#apps/zones/codec.js";
import { zoneToItem } from "#apps/zones/store.js";
import { WINDOW_SIZE } from "#apps/zones/zone.js";

test("the packed window round-trips times and temperatures, negative and out of order included", () => {
  const at = [1795683600000, 1795683605000, 1795683604999, 946684800000, 4102444799999];
  const centi = [7190, -4567, 0, 100000, -10000];
  expect(unpackWindow(packWindow(at, centi))).toEqual({ at, centi });
});

test("a full 500-reading zone item stays within 4 KB", () => {
  const at = Array.from({ length: WINDOW_SIZE }, (_, i) => 1795683600000 + i * 5000 + (i % 3));
  const centi = Array.from({ length: WINDOW_SIZE }, (_, i) => 6500 + ((i * 37) % 900));
  const item = zoneToItem(
    "server-room",
    {
      at,
      centi,
      lastByDevice: {
        "server-room-dev1": at[WINDOW_SIZE - 1] as number,
        "server-room-dev2": at[WINDOW_SIZE - 2] as number,
      },
      alarms: ["HIGH_TEMPERATURE"],
      ignored: 3,
    },
    42,
    { "shardId-000000000001": "4".padStart(80, "0") },
  );
  const size = JSON.stringify(item, (_k, v) => (v instanceof Uint8Array ? "x".repeat(v.length) : v)).length;
  expect(item.w.length).toBeLessThan(2000);
  expect(size).toBeLessThanOrEqual(4096);
});
