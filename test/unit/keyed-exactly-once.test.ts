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

  test("the same across a split and a merge, reading the lineage: each item keeps its last shard's watermark only", async () => {
    await fc.assert(
      fc.asyncProperty(under.events, deliveries, (events, plan) =>
        checkExactlyOnce(under, events, plan, () => new MemoryKeyedStore(() => under.app.initial()), true),
      ),
      { numRuns: 100 },
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

describe("watermarks with the stream's lineage", () => {
  const e = (shardId: string, sequenceNumber: string) => ({ event: sequenceNumber, shardId, sequenceNumber });
  const mark = (n: string) => n.padStart(80, "0");
  // p split into c1 and c2; c1 and c2 merged into m; q unrelated to them (a key routed by explicit hash).
  const lineage = new Map([
    ["p", []],
    ["c1", ["p"]],
    ["c2", ["p"]],
    ["m", ["c1", "c2"]],
    ["q", []],
  ]);

  test("a child's record replaces its ancestors' watermarks; an unrelated shard's stays", () => {
    const { fresh, watermarks } = pastWatermarks({ p: mark("5"), q: mark("3") }, [e("c1", "7"), e("m", "9")], lineage);
    expect(fresh.map((f) => f.sequenceNumber)).toEqual(["7", "9"]);
    expect(watermarks).toEqual({ m: mark("9"), q: mark("3") });
  });

  test("a record of a shard the key has left is a replay, even above that shard's old watermark", () => {
    const { fresh, watermarks, replayed } = pastWatermarks({ m: mark("9") }, [e("p", "6"), e("c2", "8")], lineage);
    expect(fresh).toEqual([]);
    expect(replayed).toBe(2);
    expect(watermarks).toEqual({ m: mark("9") });
  });

  test("the watermark of a shard no longer listed (expired with its records) goes", () => {
    const { watermarks } = pastWatermarks({ gone: mark("4"), p: mark("5") }, [e("p", "6")], lineage);
    expect(watermarks).toEqual({ p: mark("6") });
  });

  test("without the lineage every shard's watermark is kept, as items were before", () => {
    const { watermarks } = pastWatermarks({ p: mark("5") }, [e("c1", "7")]);
    expect(watermarks).toEqual({ p: mark("5"), c1: mark("7") });
  });
});
