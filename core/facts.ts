import { setTimeout as sleep } from "node:timers/promises";
import { sequenceKey } from "../shared/kinesis-record.js";
import type { Keyed } from "./keyed.js";
import { ConflictError, pastWatermarks } from "./keyed.js";
import { SendError, type Sink } from "./sinks.js";
import type { CountedOutcome, Decoded } from "./stream-batch.js";

const MAX_CONFLICTS = 10;

// Write-once facts, exactly once: the mode for an application whose records mostly change nothing
// about their key (a click by a customer who already has a coupon), so that writing every key's
// state back, as `processKeyed` does, would cost a write per record. Its step is still a state
// computation, one record at a time — `(event, facts) → (outputs, new facts, a tally)` — where the
// state is the facts the key's earlier records left (a member's enrolment, an issued coupon, a
// producer's event id), each written once, named by the record that made it; tallies (figures)
// are sums per aggregate key. Over Lambda's at-least-once delivery:
//
// - A record is decided on the facts as they were before it. The facts a batch's step reads are
//   loaded in one strongly consistent read; a fact made by this record or a later one (a redelivery
//   after a partial attempt) is not there yet for it, and a fact an earlier record of the batch made
//   is. So a redelivered record decides as it did, and what it writes is what it wrote. "Later" is
//   within a shard: a fact names its record by shard and sequence number (Lambda's event id), since
//   a reshard's children number their records afresh — a child's record can have a lower sequence
//   number than its parent's last — and a fact from another shard of the key's line is from an
//   ancestor, whose records were all finished before this shard was read.
// - Facts are put in bulk, unconditionally, in record order. That is safe because a fact is only
//   written by the invocation that holds its key's records: the partition key is the key's (a
//   producer's retry repeats it), so one shard carries them in order, a parent shard's before its
//   children's, and Lambda gives one key's records to one invocation at a time. A duplicate
//   invocation of the batch reads what the first wrote, decides alike, and writes the same.
// - Outputs are sent after their facts, each with a deduplication id from its fact (a coupon's
//   code), so a crash between the write and the send loses nothing — the redelivered record finds
//   its own fact hidden, decides again, sends again — and the FIFO destination drops the copy.
// - Tallies last, in parts: an aggregate (a campaign's figures) is the sum of one part per shard
//   that counted toward it, each an item of its own written by that shard alone — so no item has
//   every shard as a writer, and a part's writes follow its one shard's batches (one a second at
//   most, however many shards the stream has). A part keeps the sequence number up to which it
//   counts (its watermark), and an update adds a batch's increments on the condition that the
//   watermark is still as read: two invocations of one batch do not both count. A record at or
//   below its part's watermark was processed to the end before: it is a replay and is not decided
//   at all. Parts are never pruned and never grow: a reshard starts new ones for its children, and
//   readers sum what there is. (One writer per part assumes one batch per shard at a time: a
//   ParallelizationFactor of 1, which the stack requires of a stream whose manifest says
//   `mode: "facts"`.) An aggregate written whole by an earlier version is read as every part's
//   floor until that part has an item of its own, so what it counted stays counted once.
// - Everything from the first record not finished on (its facts, its send or its tally) goes back
//   to Lambda, which delivers it again; nothing is dropped.

/** A fact as stored: its value, and the record that made it (undefined: reference data, always there). */
export interface Fact<V> {
  readonly value: V;
  /** The record that made it, by {@link recordId}; an earlier version's facts hold its sequence number alone. */
  readonly by?: string;
}

/** How a fact names the record that made it: as Lambda's event id does, `<shard id>:<sequence number>`.
 * The shard matters: sequence numbers are ordered within a shard, not across a reshard's shards. */
export function recordId(record: { readonly shardId: string; readonly sequenceNumber: string }): string {
  return `${record.shardId}:${record.sequenceNumber}`;
}

function maker(by: string): { shard?: string; sequenceNumber: string } {
  const colon = by.lastIndexOf(":");
  return colon < 0 ? { sequenceNumber: by } : { shard: by.slice(0, colon), sequenceNumber: by.slice(colon + 1) };
}

/** The facts a record's step sees: those made before it. */
export interface FactView<V> {
  get(key: string): V | undefined;
  /** A fact this very record made on an earlier attempt (its effects were written, its tally not):
   * with it, a step whose reference data changed since (a loyalty record arrived) decides as it did. */
  mine(key: string): V | undefined;
}

/** What one record made: its new facts, its outputs, its increments to its aggregate, and what it was. */
export interface FactStep<V, O> {
  readonly facts: readonly { readonly key: string; readonly value: V }[];
  readonly outputs: readonly O[];
  readonly tally: Readonly<Record<string, number>>;
  /** How it shows in the counts (e.g. "couponIssued", "duplicate"). */
  readonly outcome: string;
}

/** An application in the facts mode: pure. */
export interface FactApp<E, V, O> {
  /** The facts an event's step may read: all loaded in one read. */
  reads(event: E): readonly string[];
  /** The aggregate an event counts toward (e.g. its campaign). */
  aggregateOf(event: E): string;
  /** `(event, facts before it) → (facts, outputs, tally)`. */
  step(event: E, facts: FactView<V>): FactStep<V, O>;
}

/** Which part of which aggregate: the one its shard writes. */
export interface PartKey {
  readonly aggregate: string;
  readonly shard: string;
}

/** A part as read: how far it counts its shard's records, and whether its item exists yet. */
export interface AggregatePart {
  /** The padded sequence number of the last record it counts; undefined before its first. */
  readonly watermark?: string;
  /** False until its first add makes its item. */
  readonly exists: boolean;
}

/** The bulk-write answer: how many facts, from the first on, are known to be written. */
export interface FactsWritten {
  readonly written: number;
  readonly error?: unknown;
}

/** The port the facts mode needs: a DynamoDB adapter deploys, an in-memory one tests. */
export interface FactStore<V> {
  /** The facts (those found) and aggregate parts (every one: empty when new) of the keys given, strongly consistently. */
  load(facts: readonly string[], parts: readonly PartKey[]): Promise<Loaded<V>>;
  /** Puts facts in bulk, in order, each named by the record that made it. */
  write(facts: readonly { key: string; value: V; by: string }[]): Promise<FactsWritten>;
  /** Adds increments to a part and moves its watermark if it is still as `expected`; false when it moved. */
  add(
    part: PartKey,
    expected: AggregatePart,
    watermark: string,
    increments: Readonly<Record<string, number>>,
  ): Promise<boolean>;
}

export interface FactDeps<E, V, O> {
  readonly app: FactApp<E, V, O>;
  readonly store: FactStore<V>;
  readonly sink: Sink<O>;
}

/** What the store held for a batch: its facts and, per aggregate, per shard, its parts. */
export interface Loaded<V> {
  readonly facts: ReadonlyMap<string, Fact<V>>;
  readonly aggregates: ReadonlyMap<string, ReadonlyMap<string, AggregatePart>>;
}

const NEW_PART: AggregatePart = { exists: false };

/** An aggregate's watermarks, per shard, from its parts. */
function watermarksOf(parts: ReadonlyMap<string, AggregatePart> | undefined): Record<string, string> {
  const marks: Record<string, string> = {};
  for (const [shard, part] of parts ?? []) if (part.watermark !== undefined) marks[shard] = part.watermark;
  return marks;
}

/** A record's lot in a batch: a replay (its aggregate counts it already), or decided: its step. */
export type Decided<E, V, O> = { readonly record: Keyed<E> } & (
  | { readonly replay: true }
  | { readonly replay: false; readonly step: FactStep<V, O> }
);

/**
 * The pure part: which records are replays (at or below their aggregate's watermark), and each
 * other record's step, decided on the facts before it — the loaded ones its key's earlier records
 * made, and those this batch's earlier records made.
 */
export function decideFacts<E, V, O>(
  app: FactApp<E, V, O>,
  records: readonly Keyed<E>[],
  loaded: Loaded<V>,
): Decided<E, V, O>[] {
  const fresh = new Set<Keyed<E>>();
  for (const [key, list] of groupBy(records, (r) => app.aggregateOf(r.event))) {
    for (const r of pastWatermarks(watermarksOf(loaded.aggregates.get(key)), list).fresh) fresh.add(r);
  }
  const made = new Map<string, V>();
  return records.map((record) => {
    if (!fresh.has(record)) return { record, replay: true };
    const seq = sequenceKey(record.sequenceNumber);
    // Made before this record: by reference data, by a record of another shard of the key's line
    // (an ancestor: read to its end before this shard was), or by an earlier record of this shard.
    const before = (by: string | undefined) => {
      if (by === undefined) return true;
      const { shard, sequenceNumber } = maker(by);
      return (shard !== undefined && shard !== record.shardId) || sequenceKey(sequenceNumber) < seq;
    };
    const view: FactView<V> = {
      get: (key) => {
        if (made.has(key)) return made.get(key);
        const fact = loaded.facts.get(key);
        return fact && before(fact.by) ? fact.value : undefined;
      },
      mine: (key) => {
        const fact = loaded.facts.get(key);
        if (fact?.by === undefined) return undefined;
        const { shard = record.shardId, sequenceNumber } = maker(fact.by);
        return shard === record.shardId && sequenceNumber === record.sequenceNumber ? fact.value : undefined;
      },
    };
    const step = app.step(record.event, view);
    for (const f of step.facts) made.set(f.key, f.value);
    return { record, replay: false, step };
  });
}

/**
 * Runs a batch through an application in the facts mode, exactly once per record. Counts: each
 * step's outcome (only for the records this invocation's tally counted: a twin invocation that
 * counted first made the same effects, and they are its to count), "replayed", "conflicts". The
 * rest of the batch from the first record not finished on is handed back as failed.
 */
export async function processFacts<E, V, O>(
  records: readonly Decoded<E>[],
  deps: FactDeps<E, V, O>,
): Promise<CountedOutcome> {
  const { app, store, sink } = deps;
  const counts: Record<string, number> = {};
  const count = (name: string, n = 1) => {
    counts[name] = (counts[name] ?? 0) + n;
  };
  const factKeys = new Set<string>();
  const parts = new Map<string, PartKey>();
  for (const record of records) {
    const part = partOf(app, record);
    parts.set(partId(part), part);
    for (const key of app.reads(record.event)) factKeys.add(key);
  }
  const loaded = await store.load([...factKeys], [...parts.values()]);
  const decided = decideFacts(
    app,
    records.map((r) => ({ event: r.event, shardId: r.ref.shardId, sequenceNumber: r.ref.sequenceNumber })),
    loaded,
  );
  const todo = records.filter((_, i) => decided[i]?.replay === false);
  const steps = decided.flatMap((d) => (d.replay ? [] : [d.step]));
  count("replayed", records.length - todo.length);

  // Facts, then outputs, then tallies; each stage only for the records the one before finished.
  const errors: unknown[] = [];
  const facts = steps.flatMap((s, index) =>
    s.facts.map((f) => ({ index, fact: { ...f, by: recordId((todo[index] as Decoded<E>).ref) } })),
  );
  const written = await store.write(facts.map((f) => f.fact));
  if (written.error !== undefined) errors.push(written.error);
  let done = facts[written.written]?.index ?? steps.length;

  const toSend = steps.slice(0, done).flatMap((s, index) => s.outputs.map((output) => ({ index, output })));
  try {
    await sink.send(toSend.map((o) => o.output));
  } catch (err) {
    errors.push(err);
    done = Math.min(done, toSend[err instanceof SendError ? err.sent : 0]?.index ?? done);
  }

  const countedHere = new Set<number>();
  const entries = todo.slice(0, done).map((record, index) => ({ record, index }));
  for (const list of groupBy(entries, (e) => partId(partOf(app, e.record))).values()) {
    const first = list[0];
    if (first === undefined) continue;
    const part = partOf(app, first.record);
    let stored = loaded.aggregates.get(part.aggregate)?.get(part.shard) ?? NEW_PART;
    try {
      for (let attempt = 0; ; attempt++) {
        const keyed = list.map((e) => ({ ...keyedRecord(e.record), event: e }));
        const marks = stored.watermark === undefined ? {} : { [part.shard]: stored.watermark };
        const { fresh: uncounted, watermarks } = pastWatermarks(marks, keyed);
        const watermark = watermarks[part.shard];
        if (uncounted.length === 0 || watermark === undefined) break;
        const increments: Record<string, number> = {};
        for (const { event: e } of uncounted) {
          for (const [name, n] of Object.entries(steps[e.index]?.tally ?? {}))
            increments[name] = (increments[name] ?? 0) + n;
        }
        if (await store.add(part, stored, watermark, increments)) {
          for (const { event: e } of uncounted) countedHere.add(e.index);
          break;
        }
        // Another invocation of this batch counted some of it first: read again, count the rest.
        count("conflicts");
        if (attempt + 1 >= MAX_CONFLICTS) {
          throw new ConflictError(
            `aggregate ${part.aggregate} (${part.shard}): ${MAX_CONFLICTS} write conflicts in a row`,
          );
        }
        await sleep(Math.random() * 20 * (attempt + 1));
        stored = (await store.load([], [part])).aggregates.get(part.aggregate)?.get(part.shard) ?? stored;
      }
    } catch (err) {
      errors.push(err);
      done = Math.min(done, first.index);
    }
  }
  for (const [index, step] of steps.slice(0, done).entries()) {
    count(countedHere.has(index) ? step.outcome : "replayed");
  }
  return { failed: new Set(todo.slice(done).map((r) => r.ref.sequenceNumber)), errors, counts };
}

function partOf<E>(app: FactApp<E, unknown, unknown>, r: Decoded<E>): PartKey {
  return { aggregate: app.aggregateOf(r.event), shard: r.ref.shardId };
}

function partId(part: PartKey): string {
  return `${part.shard}\u0000${part.aggregate}`;
}

function keyedRecord<E>(r: Decoded<E>) {
  return { event: r, shardId: r.ref.shardId, sequenceNumber: r.ref.sequenceNumber };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
