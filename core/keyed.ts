import { setTimeout as sleep } from "node:timers/promises";
import { mapLimit } from "../shared/concurrency.js";
import { sequenceKey } from "../shared/kinesis-record.js";
import { isAncestor, type LineageSource, type ShardLineage } from "./lineage.js";
import type { Sink } from "./sinks.js";
import type { CountedOutcome, Decoded } from "./stream-batch.js";

// Keyed state over Kinesis, exactly once. An application is a state computation per key:
// (events, state) → (outputs, new state), pure. The core gives it partitioned state, delivery and
// output, with these guarantees over Lambda's at-least-once delivery:
//
// - Replays. Each key's item keeps, per shard, the sequence number of the last record applied (a
//   watermark). A redelivered record at or below it is not applied again. Records of one key come
//   from one shard in order (the key is the partition key), and a child shard is read only after
//   its parents, so the watermark only moves forward. A ParallelizationFactor above 1 keeps this:
//   Lambda gives each partition key to one of a shard's concurrent batches, in order, so a key's
//   records still reach one invocation at a time and in sequence; batches of other keys running
//   beside it touch other items (test/integration/cards.test.ts runs the card demo with factor 4,
//   test/integration/cdk-apps.test.ts and runner.test.ts the order and the checkpoint).
// - Reshards, and what an item forgets. A key's hash lies in one open shard at a time; when the
//   stream reshards it lies in a child of that shard (a split's half, a merge's union), so the shards
//   a key's records ever came from form one line of descent. Lambda reads a child only after its
//   parents are read to their end and checkpointed, and a batch is retried or duplicated only
//   before its checkpoint moves, so once a record of shard C is applied to a key, no record of an
//   ancestor of C can be delivered to it as new: the ancestors' watermarks are dropped, and a
//   record that does come from an ancestor (a mapping re-created at TRIM_HORIZON) was applied
//   before and is a replay. A shard Kinesis no longer lists has expired with its records: its
//   watermark goes too. So an item holds one watermark — two only for records routed by an
//   explicit hash key across unrelated shards — however often the stream reshards
//   (core/lineage.ts reads the lineage; a store without it keeps every watermark, as before).
// - Races. The new state, the moved watermarks and the outputs are written in ONE conditional write
//   on the version that was read. Two invocations of the same batch (a duplicate delivery, a retry
//   while the first still runs) cannot both win: the loser reloads, finds the watermark moved, and
//   applies nothing. Conflicts retry with jitter so racing writers do not collide again in lockstep.
// - Crashes. The outputs travel in that same write as an outbox. They are sent after it, each with a
//   deduplication id derived from (key, record, what), so a crash between the write and the send,
//   or a send repeated by the next delivery, cannot lose or double them: the next load finds the
//   outbox and sends it again, and the FIFO destination drops the copy. The outbox is emptied only
//   on the version that filled it; a writer that moved on has already taken it over.
// - Failures. A key that cannot be finished (conflicts exhausted, a refused send, a service error)
//   hands its records back to Lambda as failed; the others go on. Nothing is dropped.
//
// An application whose records mostly change nothing about their key would pay a write per record
// here: core/facts.ts is the mode for it (write-once facts and tallies: the campaign).

/** One event with where it came from. */
export interface Keyed<E> {
  readonly event: E;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** What an application's step made of a key's new events, in order. */
export interface Step<S, O> {
  readonly state: S;
  readonly outputs: readonly O[];
  /** Per event, what became of it: "applied", or a reason it changed nothing (e.g. "stale"). */
  readonly outcomes: readonly string[];
}

/** An application's business logic: pure, testable without AWS. */
export interface KeyedApp<E, S, O> {
  keyOf(event: E): string;
  initial(): S;
  /** Applies a key's new events, in order, to its state. Never sees a replayed event. */
  apply(state: S, events: readonly Keyed<E>[]): Step<S, O>;
  /** The metric an output counts toward (e.g. "AlertsRaised"). */
  metricOf(output: O): string;
}

/** A key's item as read: what the optimistic lock, the watermarks and the outbox need. */
export interface Stored<S, O> {
  readonly key: string;
  readonly state: S;
  /** 0 when the key has no item yet. */
  readonly version: number;
  /** Per shard, the padded sequence number of the last record applied. */
  readonly watermarks: Readonly<Record<string, string>>;
  /** Outputs written with the state and not yet known to be sent. */
  readonly pending: readonly O[];
}

/** The state-store port: a DynamoDB adapter deploys, an in-memory one tests in milliseconds. */
export interface KeyedStore<S, O> {
  load(keys: readonly string[]): Promise<Map<string, Stored<S, O>>>;
  /** Writes the next item if the key is still as `expected` read it (its version), false when it
   * moved on. */
  save(expected: Stored<S, O>, next: Omit<Stored<S, O>, "key" | "version">): Promise<boolean>;
  /** Empties the outbox of the item at `version`, unless it moved on meanwhile. */
  clearPending(key: string, version: number): Promise<void>;
}

/** A key kept conflicting with other writers for every attempt. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

export interface KeyedDeps<E, S, O> {
  readonly app: KeyedApp<E, S, O>;
  readonly store: KeyedStore<S, O>;
  readonly sink: Sink<O>;
  /** Write attempts per key before its records go back to Lambda (default 10). */
  readonly maxConflicts?: number;
  /** Keys worked on at once (default 10). */
  readonly concurrency?: number;
  /** The stream's shard lineage: without it an item keeps a watermark for every shard that ever wrote it. */
  readonly lineage?: LineageSource;
}

/**
 * Splits a key's events into those already applied and the new, moving the watermarks past the new.
 * Applied: at or below its shard's watermark, or — given the stream's lineage — from a shard the key
 * has left (an ancestor of a shard it holds a watermark for). With the lineage, a new event's
 * watermark also replaces those of its shard's ancestors and of expired shards: none of their
 * records can reach the key again (the argument is at the top of this file).
 */
export function pastWatermarks<E>(
  watermarks: Readonly<Record<string, string>>,
  events: readonly Keyed<E>[],
  lineage?: ShardLineage,
): { fresh: Keyed<E>[]; watermarks: Record<string, string>; replayed: number } {
  const moved = { ...watermarks };
  const fresh: Keyed<E>[] = [];
  for (const e of events) {
    const seq = sequenceKey(e.sequenceNumber);
    const mark = moved[e.shardId];
    if (mark !== undefined && seq <= mark) continue;
    if (lineage) {
      const held = Object.keys(moved).filter((shard) => shard !== e.shardId);
      if (held.some((shard) => isAncestor(lineage, e.shardId, shard))) continue;
      for (const shard of held) {
        if (!lineage.has(shard) || isAncestor(lineage, shard, e.shardId)) delete moved[shard];
      }
    }
    moved[e.shardId] = seq;
    fresh.push(e);
  }
  return { fresh, watermarks: moved, replayed: events.length - fresh.length };
}

/** Runs a batch of decoded records through a keyed application, exactly once per record: every key's item read in one load. */
export async function processKeyed<E, S, O>(
  records: readonly Decoded<E>[],
  deps: KeyedDeps<E, S, O>,
): Promise<CountedOutcome> {
  const { app, store, sink } = deps;
  const maxConflicts = deps.maxConflicts ?? 10;
  const counts: Record<string, number> = {};
  const count = (name: string, n = 1) => {
    counts[name] = (counts[name] ?? 0) + n;
  };
  const byKey = new Map<string, Keyed<E>[]>();
  for (const { ref, event } of records) {
    const key = app.keyOf(event);
    const list = byKey.get(key) ?? [];
    list.push({ event, shardId: ref.shardId, sequenceNumber: ref.sequenceNumber });
    byKey.set(key, list);
  }
  const keys = [...byKey.keys()];
  const loaded = keys.length > 0 ? await store.load(keys) : new Map<string, Stored<S, O>>();
  const lineage = await lineageOf(deps.lineage, records, [...loaded.values()]);
  const results = await mapLimit(keys, deps.concurrency ?? 10, async (key) => {
    const events = byKey.get(key) ?? [];
    let stored = loaded.get(key);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        await sleep(Math.random() * 20 * attempt);
        stored = (await store.load([key])).get(key);
      }
      if (stored === undefined) throw new Error(`key ${key} was not loaded`);
      const { fresh, watermarks, replayed } = pastWatermarks(
        stored.watermarks,
        events,
        attempt === 0 ? lineage : await lineageOf(deps.lineage, records, [stored]),
      );
      if (fresh.length === 0 && stored.pending.length === 0) {
        count("replayed", replayed);
        return;
      }
      const step = app.apply(stored.state, fresh);
      const pending = [...stored.pending, ...step.outputs];
      if (!(await store.save(stored, { state: step.state, watermarks, pending }))) {
        count("conflicts");
        if (attempt + 1 >= maxConflicts)
          throw new ConflictError(`key ${key}: ${maxConflicts} write conflicts in a row`);
        continue;
      }
      if (pending.length > 0) {
        await sink.send(pending);
        await store.clearPending(key, stored.version + 1);
      }
      count("replayed", replayed);
      for (const outcome of step.outcomes) count(outcome);
      for (const output of step.outputs) count(app.metricOf(output));
      return;
    }
  });
  const failed = new Set<string>();
  results.forEach((result, i) => {
    if (result.status === "rejected") for (const e of byKey.get(keys[i] as string) ?? []) failed.add(e.sequenceNumber);
  });
  return { failed, errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])), counts };
}

/** The lineage that knows every shard of the batch and of the items read (listed again if one is new to it). */
async function lineageOf(
  source: LineageSource | undefined,
  records: readonly Decoded<unknown>[],
  items: readonly Stored<unknown, unknown>[],
): Promise<ShardLineage | undefined> {
  const stream = records[0]?.ref.streamName;
  if (source === undefined || stream === undefined) return undefined;
  const shards = new Set(records.map((r) => r.ref.shardId));
  for (const item of items) for (const shard of Object.keys(item.watermarks)) shards.add(shard);
  return source.of(stream, [...shards]);
}

/** An application whose step is one event at a time: `(event, state) → (outputs, new state)`. */
export function foldEvents<E, S, O>(
  step: (state: S, event: Keyed<E>) => { state: S; outputs: readonly O[]; outcome: string },
): KeyedApp<E, S, O>["apply"] {
  return (state, events) => {
    const outputs: O[] = [];
    const outcomes: string[] = [];
    let current = state;
    for (const e of events) {
      const next = step(current, e);
      current = next.state;
      outputs.push(...next.outputs);
      outcomes.push(next.outcome);
    }
    return { state: current, outputs, outcomes };
  };
}
