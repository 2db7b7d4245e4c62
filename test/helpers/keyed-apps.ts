import { createHash } from "node:crypto";
import fc from "fast-check";
import { expect } from "vitest";
import { APPS } from "#apps/index.js";
import type { AppManifest, KeyedTesting } from "#apps/manifest.js";
import { type KeyedStore, processKeyed } from "../../core/keyed.js";
import type { ShardLineage } from "../../core/lineage.js";
import { deduplicationId, type Message, type Sink } from "../../core/sinks.js";

/** A keyed application under test: its logic, how its outputs are sent, and events to feed it. */
export interface AppUnderTest<E> extends KeyedTesting<E> {
  readonly name: string;
}

/** Every keyed application, from the manifests: the generic exactly-once tests run for each. */
export const KEYED_APPS: AppUnderTest<unknown>[] = await Promise.all(
  (APPS as readonly AppManifest[]).flatMap((app) =>
    app.testing ? [app.testing().then((testing) => ({ name: app.name, ...testing }))] : [],
  ),
);

/** How one run delivers the records: batches, each possibly redelivered, raced, or crashing mid-way. */
export interface DeliveryPlan {
  readonly batches: number;
  readonly again: readonly boolean[];
  readonly raced: readonly boolean[];
  readonly crashes: readonly string[];
}

export const deliveries: fc.Arbitrary<DeliveryPlan> = fc.record({
  batches: fc.integer({ min: 1, max: 6 }),
  /** Per batch: delivered again after it succeeded. */
  again: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  /** Per batch: two invocations at once. */
  raced: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  /** Per send: fail before sending (a crash between the state write and the send) or after. */
  crashes: fc.array(fc.constantFrom("none", "none", "none", "before", "after"), { minLength: 20, maxLength: 20 }),
});

/** A FIFO destination: what it received, deduplicated by id as SQS/SNS FIFO does; failing on cue. */
class FifoDestination<O> implements Sink<O> {
  readonly delivered = new Map<string, string>();
  private sends = 0;
  constructor(
    private readonly message: (o: O) => Message,
    private readonly crashes: readonly string[] = [],
  ) {}
  async send(outputs: readonly O[]): Promise<void> {
    const crash = this.crashes[this.sends++ % Math.max(1, this.crashes.length)] ?? "none";
    if (crash === "before") throw new Error("crashed before sending");
    for (const o of outputs) {
      const m = this.message(o);
      if (m.identity === undefined) throw new Error("a FIFO message needs an identity to deduplicate by");
      const id = deduplicationId(m.identity);
      if (!this.delivered.has(id)) this.delivered.set(id, JSON.stringify(m.body));
    }
    if (crash === "after") throw new Error("crashed after sending");
  }
}

/** A stream that reshards while the records flow: split in two, then merged back. */
export const RESHARDED = {
  lineage: new Map([
    ["shardId-000000000000", []],
    ["shardId-000000000001", ["shardId-000000000000"]],
    ["shardId-000000000002", ["shardId-000000000000"]],
    ["shardId-000000000003", ["shardId-000000000001", "shardId-000000000002"]],
  ]) as ShardLineage,
  /** The first third of the records is in the parent, the second in the half the key's hash falls in, the rest in the merge. */
  shardOf(index: number, count: number, key: string): string {
    const third = Math.floor((3 * index) / count);
    if (third === 0) return "shardId-000000000000";
    if (third >= 2) return "shardId-000000000003";
    return (createHash("md5").update(key).digest()[0] ?? 0) % 2 === 0 ? "shardId-000000000001" : "shardId-000000000002";
  },
};

/**
 * Exactly once, for any keyed application: the records delivered in batches that are redelivered,
 * raced and crash between state write and send (each failed batch delivered again, as Lambda does)
 * give exactly the outputs and state of one plain delivery. Resharded: the records come from a
 * split and a merge (each shard's batches after its parents'), the core reads the lineage, a parent
 * batch comes again at the end (a mapping re-created at TRIM_HORIZON), and every item keeps the
 * watermark of its last shard only.
 */
export async function checkExactlyOnce(
  under: AppUnderTest<unknown>,
  events: readonly unknown[],
  plan: DeliveryPlan,
  store: () => KeyedStore<unknown, unknown>,
  resharded = false,
): Promise<void> {
  const records = events.map((event, i) => {
    const key = under.app.keyOf(event);
    const shardId = resharded ? RESHARDED.shardOf(i, events.length, key) : "shardId-000000000000";
    return {
      ref: { streamName: "s", shardId, sequenceNumber: String(1000 + i), partitionKey: key, arrivalMs: 0 },
      event,
    };
  });
  const plainStore = store();
  const plain = new FifoDestination(under.message);
  const one = await processKeyed(records, { app: under.app, store: plainStore, sink: plain });
  expect(one.failed.size).toBe(0);

  const testedStore = store();
  const destination = new FifoDestination(under.message, plan.crashes);
  const lineage = resharded ? { of: async () => RESHARDED.lineage } : undefined;
  const deps = { app: under.app, store: testedStore, sink: destination, lineage };
  const size = Math.ceil(records.length / plan.batches);
  // A failed delivery comes again, as Lambda retries it, until it succeeds.
  const deliver = async (batch: typeof records, raced: boolean) => {
    for (let attempt = 0; ; attempt++) {
      const invocations = raced ? [processKeyed(batch, deps), processKeyed(batch, deps)] : [processKeyed(batch, deps)];
      const outcomes = await Promise.all(invocations);
      if (outcomes.some((o) => o.failed.size === 0)) return;
      if (attempt > 50) throw new Error("a batch never succeeded");
    }
  };
  // Lambda's batches hold one shard's records; records are in shard order (parents first) already.
  const batches: (typeof records)[] = [];
  for (let b = 0; b * size < records.length; b++) {
    const slice = records.slice(b * size, (b + 1) * size);
    for (const shard of new Set(slice.map((r) => r.ref.shardId)))
      batches.push(slice.filter((r) => r.ref.shardId === shard));
  }
  for (const [b, batch] of batches.entries()) {
    await deliver(batch, plan.raced[b % plan.raced.length] === true);
    if (plan.again[b % plan.again.length]) await deliver(batch, false);
  }
  if (resharded && batches[0]) await deliver(batches[0], false);
  expect([...destination.delivered.entries()].sort()).toEqual([...plain.delivered.entries()].sort());
  const keys = [...new Set(events.map((e) => under.app.keyOf(e)))];
  const snapshot = async (s: KeyedStore<unknown, unknown>) =>
    [...(await s.load(keys)).values()]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map(({ key, state, watermarks, pending }) => ({ key, state, watermarks, pending }));
  const lastShard = new Map(records.map((r) => [under.app.keyOf(r.event), r.ref.shardId]));
  const expected = (await snapshot(plainStore)).map((item) => {
    if (!resharded) return item;
    const shard = lastShard.get(item.key) ?? "";
    return { ...item, watermarks: { [shard]: item.watermarks[shard] } };
  });
  expect(await snapshot(testedStore)).toEqual(expected);
}
