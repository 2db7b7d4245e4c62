import fc from "fast-check";
import { expect } from "vitest";
import { ZONE_KEY, zoneAlerts, zoneApp, zoneCodec } from "#apps/zones/app.js";
import { DEFAULT_RULES } from "#apps/zones/rules.js";
import type { RecordRef } from "#shared/kinesis-record.js";
import { cpuAlerts, cpuApp, SERVER_KEY, serverCodec } from "../../apps/cpu/app.js";
import { type KeyedApp, type KeyedStore, processKeyed } from "../../core/keyed.js";
import type { StateCodec } from "../../core/keyed-store.js";
import { deduplicationId, type Message, type Sink } from "../../core/sinks.js";

const T0 = Date.UTC(2026, 10, 20, 9);

/** A keyed application under test: its logic, how its outputs are sent, and events to feed it. */
export interface AppUnderTest<E> {
  readonly name: string;
  readonly app: KeyedApp<E, unknown, unknown>;
  readonly message: (output: never) => Message;
  readonly codec: StateCodec<unknown>;
  readonly keyAttribute: string;
  /** Events over a few keys, in time order per key, values spanning the thresholds. */
  readonly events: fc.Arbitrary<E[]>;
}

/** Events in time order: each at T0 plus the steps so far. */
function timed<R extends { step: number }, E>(raw: readonly R[], event: (r: R, at: number) => E): E[] {
  let at = T0;
  return raw.map((r) => {
    at += r.step;
    return event(r, at);
  });
}

/** Every keyed application: the generic exactly-once tests run for each. */
export const KEYED_APPS: AppUnderTest<unknown>[] = [
  {
    name: "zones",
    app: zoneApp(DEFAULT_RULES) as KeyedApp<unknown, unknown, unknown>,
    message: zoneAlerts.message as (output: never) => Message,
    codec: zoneCodec as StateCodec<unknown>,
    keyAttribute: ZONE_KEY,
    events: fc
      .array(
        fc.record({
          zone: fc.constantFrom("z1", "z2"),
          device: fc.constantFrom("d1", "d2"),
          step: fc.integer({ min: 0, max: 90_000 }),
          f: fc.integer({ min: 6000, max: 9600 }),
        }),
        { minLength: 1, maxLength: 80 },
      )
      .map((raw) => timed(raw, (r, at) => ({ deviceId: r.device, zoneId: r.zone, centi: r.f, at }))),
  },
  {
    name: "cpu",
    app: cpuApp(90) as KeyedApp<unknown, unknown, unknown>,
    message: cpuAlerts.message as (output: never) => Message,
    codec: serverCodec as StateCodec<unknown>,
    keyAttribute: SERVER_KEY,
    events: fc
      .array(
        fc.record({
          server: fc.constantFrom("web-0", "web-1", "db-0"),
          step: fc.integer({ min: 0, max: 20_000 }),
          centi: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(9000, 9001)),
        }),
        { minLength: 1, maxLength: 80 },
      )
      .map((raw) => timed(raw, (r, at) => ({ serverId: r.server, centi: r.centi, at }))),
  },
];

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

const refOf = (i: number): RecordRef => ({
  streamName: "s",
  shardId: "shardId-000000000000",
  sequenceNumber: String(1000 + i),
  partitionKey: "k",
  arrivalMs: 0,
});

/**
 * Exactly once, for any keyed application: the records delivered in batches that are redelivered,
 * raced and crash between state write and send (each failed batch delivered again, as Lambda does)
 * give exactly the outputs and state of one plain delivery.
 */
export async function checkExactlyOnce(
  under: AppUnderTest<unknown>,
  events: readonly unknown[],
  plan: DeliveryPlan,
  store: () => KeyedStore<unknown, unknown>,
): Promise<void> {
  const records = events.map((event, i) => ({ ref: refOf(i), event }));
  const plainStore = store();
  const plain = new FifoDestination(under.message);
  const one = await processKeyed(records, { app: under.app, store: plainStore, sink: plain });
  expect(one.failed.size).toBe(0);

  const testedStore = store();
  const destination = new FifoDestination(under.message, plan.crashes);
  const deps = { app: under.app, store: testedStore, sink: destination };
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
  for (let b = 0; b * size < records.length; b++) {
    const batch = records.slice(b * size, (b + 1) * size);
    await deliver(batch, plan.raced[b] === true);
    if (plan.again[b]) await deliver(batch, false);
  }
  expect([...destination.delivered.entries()].sort()).toEqual([...plain.delivered.entries()].sort());
  const keys = [...new Set(events.map((e) => under.app.keyOf(e)))];
  const snapshot = async (s: KeyedStore<unknown, unknown>) =>
    [...(await s.load(keys)).values()]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map(({ key, state, watermarks, pending }) => ({ key, state, watermarks, pending }));
  expect(await snapshot(testedStore)).toEqual(await snapshot(plainStore));
}
