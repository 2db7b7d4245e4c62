import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { pastWatermarks } from "../../core/keyed.js";
import { MemoryKeyedStore } from "../../core/keyed-store.js";
import { checkExactlyOnce, deliveries, KEYED_APPS } from "../helpers/keyed-apps.js";

// The core's promise, held for every keyed application at once: whatever Lambda's at-least-once
// delivery does — redeliver a batch, race two invocations of it, crash between the state write and
// the send — the outputs and the state are those of one plain delivery. In memory: milliseconds.

describe.each(KEYED_APPS)("$name on the exactly-once core", (under) => {
  test("any redelivery, duplicate invocation or crash between write and send gives one delivery's effects", async () => {
    await fc.assert(
      fc.asyncProperty(under.events, deliveries, (events, plan) =>
        checkExactlyOnce(under, events, plan, () => new MemoryKeyedStore(() => under.app.initial())),
      ),
      { numRuns: 150 },
    );
  });
});

test("records at or below their shard's watermark are replays; the watermark moves per shard", () => {
  const e = (shardId: string, sequenceNumber: string) => ({ event: sequenceNumber, shardId, sequenceNumber });
  const { fresh, watermarks, replayed } = pastWatermarks({ a: "5".padStart(80, "0") }, [
    e("a", "4"),
    e("a", "5"),
    e("a", "6"),
    e("b", "1"),
    e("a", "6"),
  ]);
  expect(fresh.map((f) => `${f.shardId}${f.sequenceNumber}`)).toEqual(["a6", "b1"]);
  expect(replayed).toBe(3);
  expect(watermarks).toEqual({ a: "6".padStart(80, "0"), b: "1".padStart(80, "0") });
});
