import { createHash, randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { type _Record, GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import type { EventSourceSettings } from "../../infra/event-sources.js";
import type { FailureRecord } from "../../shared/failure-record.js";
import { listShards } from "../../shared/shards.js";
import type { FailureDestination } from "./destinations.js";
import { passes } from "./filters.js";
import type { Invocation } from "./function-host.js";
import { lambdaRecord } from "./kinesis-event.js";

// Plays Lambda's Kinesis event-source mapping against a Kinesis endpoint, with the mapping's own
// settings from the template: batch size and batching window, the 6 MB invocation payload cap,
// partial batch responses (checkpoint before the lowest failed record; a malformed response fails
// the whole batch), bisection on function errors (not counted as retries), bounded retries,
// maximum record age, the on-failure destination with Lambda's own invocation record, filters
// (records no filter matches are checkpointed, never sent, and counted), parallelization (up to
// ParallelizationFactor batches of a shard at once, each partition key in one of them, so its
// order holds; the checkpoint moves only past records every batch has finished), tumbling windows
// (the window's state carried from invocation to invocation, a final invocation when it closes),
// and shard lineage: shards that appear while it runs are found, a child shard is read only after
// its parents are read to their end, and a closed shard is completed — nothing is lost across
// UpdateShardCount, SplitShard or MergeShards.
// https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html

export type { FailureRecord } from "../../shared/failure-record.js";

/** A Kinesis handler as Lambda calls it; one that returns nothing reports no failures. */
export type StreamHandler = (
  event: KinesisStreamEvent,
) => Promise<KinesisStreamBatchResponse | undefined> | Promise<void>;

/** Invokes an in-process handler as a function host would (for tests whose point is the logic). */
export function inProcess(
  handler: (event: KinesisStreamEvent) => Promise<unknown>,
): (event: KinesisStreamEvent) => Promise<Invocation> {
  return async (event) => {
    try {
      return { kind: "result", payload: (await handler(event)) ?? null };
    } catch (err) {
      return { kind: "error", errorType: "Error", errorMessage: err instanceof Error ? err.message : String(err) };
    }
  };
}

/**
 * A stream's event-source mapping. Lambda's UpdateEventSourceMapping changes a running mapping
 * (local/control): `enabled`, `settings`, `filters` and `tumblingWindowSeconds` are read afresh for
 * every batch, so a change takes effect from the next one, as Lambda applies it.
 */
export interface Mapping {
  /** The mapping's UUID, as Lambda's API names it. */
  readonly uuid?: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly streamName: string;
  readonly streamArn: string;
  readonly invoke: (event: KinesisStreamEvent) => Promise<Invocation>;
  settings: EventSourceSettings;
  /** Switched off: no shard is read (each keeps its checkpoint) until it is switched on again. */
  enabled?: boolean;
  /** Where a batch given up on goes; without one, Lambda drops it (so does the runner, saying so). */
  readonly destination?: FailureDestination;
  /** FilterCriteria patterns (filters.ts); none: every record goes to the function. */
  filters?: readonly Parameters<typeof passes>[0][number][];
  /** TumblingWindowInSeconds; 0 or absent: none. */
  tumblingWindowSeconds?: number;
  /** AT_TIMESTAMP's time, epoch ms. */
  readonly startingTimestampMs?: number;
  /** The mapping reads the stream (and writes its failure destination) as the function's role. */
  readonly kinesis: KinesisClient;
  /** The role the mapping's records name (`invokeIdentityArn`). */
  readonly roleArn: string;
}

export interface RunnerOptions {
  readonly region?: string;
  /** How long an idle shard waits before polling again (default 1 s: Lambda polls each shard about once a second). */
  readonly pollIntervalMs?: number;
  /** How often the stream's shard list is read for new (resharded) shards (default 5 s). */
  readonly discoverIntervalMs?: number;
  /** Pause before retrying a failed batch. */
  readonly retryDelayMs?: number;
  /** Deliver every batch a second time after it succeeded, as at-least-once delivery may. */
  readonly deliverTwice?: boolean;
  /** Run two invocations of every batch at once, as a racing duplicate delivery would. */
  readonly raceDuplicates?: boolean;
  /** Chaos: the share of batches delivered twice, and of batches raced, drawn from `random`. */
  readonly duplicateRate?: number;
  readonly raceRate?: number;
  readonly random?: () => number;
  /** Each duplicate delivery made ("twice" or "raced"). */
  readonly onDuplicate?: (kind: "twice" | "raced") => void;
  readonly onInvoke?: (info: InvokeInfo) => void;
  /** Each GetRecords that returned records, when it returned (the benchmark times the stages by it). */
  readonly onRead?: (read: ReadInfo) => void;
  readonly onFailureDestination?: (info: FailureRecord) => void;
  /** Records no filter matched: checkpointed, never sent. */
  readonly onFiltered?: (functionName: string, shardId: string, count: number) => void;
  readonly onPollError?: (functionName: string, shardId: string, err: unknown) => void;
}

export interface ReadInfo {
  readonly functionName: string;
  readonly shardId: string;
  /** Epoch ms. */
  readonly at: number;
  readonly records: readonly { readonly sequenceNumber: string; readonly arrivalMs: number }[];
}

export interface InvokeInfo {
  readonly functionName: string;
  readonly streamName: string;
  readonly shardId: string;
  readonly sequenceNumbers: readonly string[];
  readonly outcome: "ok" | "partial" | "error";
  /** When the invocation was made and when it answered, epoch ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly failedFrom?: string;
  readonly error?: string;
}

/** Lambda's limit on a synchronous invocation's request payload. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

interface ShardContext {
  readonly mapping: Mapping;
  readonly shardId: string;
  readonly parents: readonly string[];
  started: boolean;
  caughtUp: boolean;
  /** Read to its end (a closed shard) and every record delivered. */
  finished: boolean;
  /** The last sequence number fully delivered: where a restarted poll resumes. */
  checkpoint?: string | undefined;
  /** The open tumbling window and the state the function returned for it. */
  window?: TumblingWindow | undefined;
}

interface TumblingWindow {
  readonly start: number;
  readonly end: number;
  state: Record<string, unknown>;
  /** The state outgrew Lambda's 1 MB: the window was ended early and goes on with a fresh state. */
  terminatedEarly: boolean;
}

/** Lambda's limit on the state a tumbling window carries between invocations. */
export const MAX_WINDOW_STATE_BYTES = 1024 * 1024;

type Outcome = { kind: "ok" } | { kind: "partial"; from: number } | { kind: "error"; error: string };

export class EventSourceRunner {
  private readonly region: string;
  private stopping = false;
  /** Aborted by stop(): every wait of the runner ends at once (one listener per shard loop waiting). */
  private readonly stopped = (() => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  })();
  private readonly loops: Promise<void>[] = [];
  private readonly shards = new Map<string, ShardContext>();
  private busy = 0;

  constructor(
    private readonly mappings: readonly Mapping[],
    private readonly options: RunnerOptions = {},
  ) {
    this.region = options.region ?? process.env.AWS_REGION ?? "us-east-1";
  }

  /** Finds every mapped stream's shards and starts polling those whose parents are done. */
  async start(): Promise<void> {
    for (const mapping of this.mappings) await this.discover(mapping);
    for (const mapping of this.mappings) this.loops.push(this.watchShards(mapping));
  }

  /** Stops polling; resolves when every shard loop has finished its current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await Promise.allSettled(this.loops);
  }

  /** Waits, or less once the runner is stopping. */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }

  /** Per mapped function and shard, the last sequence number the mapping has moved past. */
  checkpoints(): Map<string, string | undefined> {
    return new Map([...this.shards].map(([key, shard]) => [key, shard.checkpoint]));
  }

  /** Per mapped function: its stream, the shards it is reading and those it has finished (closed, read to the end). */
  shardsByFunction(): Map<string, { streamName: string; reading: number; finished: number }> {
    const out = new Map<string, { streamName: string; reading: number; finished: number }>();
    for (const shard of this.shards.values()) {
      const { functionName, streamName } = shard.mapping;
      const entry = out.get(functionName) ?? { streamName, reading: 0, finished: 0 };
      if (shard.finished) entry.finished++;
      else entry.reading++;
      out.set(functionName, entry);
    }
    return out;
  }

  /** Resolves once every shard has been read to its end and no batch is in flight. */
  async drained(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Two rounds of shard discovery and of empty polls on every shard: a poll already under way
    // when this was called may have missed the newest records or shards, the one after it cannot.
    for (let round = 0; round < 2; round++) {
      for (const shard of this.shards.values()) shard.caughtUp = false;
      for (const mapping of this.mappings) await this.discover(mapping);
      // A switched-off mapping reads nothing until it is switched on: its shards have nothing to drain.
      await this.waitFor(
        () =>
          this.busy === 0 &&
          [...this.shards.values()].every(
            (s) => s.finished || (s.started && s.caughtUp) || s.mapping.enabled === false,
          ),
        deadline,
      );
    }
  }

  private async waitFor(condition: () => boolean, deadline: number): Promise<void> {
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("event source runner did not drain in time");
      await this.pause(50);
    }
  }

  private async watchShards(mapping: Mapping): Promise<void> {
    const interval = this.options.discoverIntervalMs ?? 5000;
    while (!this.stopping) {
      await this.pause(interval);
      if (this.stopping) return;
      try {
        await this.discover(mapping);
      } catch (err) {
        this.options.onPollError?.(mapping.functionName, "(ListShards)", err);
      }
    }
  }

  /** Reads the shard list; starts each shard whose parents (if still listed) are finished. */
  private async discover(mapping: Mapping): Promise<void> {
    const shards = await listShards(mapping.kinesis, mapping.streamName);
    const listed = new Set(shards.map((s) => s.ShardId));
    for (const shard of shards) {
      const key = shardKey(mapping, shard.ShardId ?? "");
      if (!shard.ShardId || this.shards.has(key)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (p): p is string => p !== undefined && listed.has(p),
      );
      this.shards.set(key, {
        mapping,
        shardId: shard.ShardId,
        parents,
        started: false,
        caughtUp: false,
        finished: false,
      });
    }
    this.startReadyShards();
  }

  /** A child shard is read only after its parents are finished, so per-key order holds across a reshard. */
  private startReadyShards(): void {
    for (const context of this.shards.values()) {
      if (context.started || this.stopping) continue;
      const parentsDone = context.parents.every((p) => this.shards.get(shardKey(context.mapping, p))?.finished ?? true);
      if (!parentsDone) continue;
      context.started = true;
      this.loops.push(this.pollShard(context));
    }
  }

  private async pollShard(context: ShardContext): Promise<void> {
    for (let failures = 0; !this.stopping; failures++) {
      try {
        if (context.mapping.enabled === false) {
          // Switched off: the shard waits at its checkpoint, and reads on from it once switched on.
          await this.pause(this.options.pollIntervalMs ?? 1000);
          failures = -1;
          continue;
        }
        if ((await this.pollShardOnce(context)) === "switched off") {
          failures = -1;
          continue;
        }
        return;
      } catch (err) {
        // An emulator hiccup or a refused call: start again from the last checkpoint, like Lambda's poller.
        if (this.stopping) return;
        this.options.onPollError?.(context.mapping.functionName, context.shardId, err);
        await this.pause(Math.min(5000, 200 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  /** Reads a shard until it ends (closed and read to its end), the runner stops, or the mapping is switched off. */
  private async pollShardOnce(context: ShardContext): Promise<"ended" | "switched off"> {
    const { mapping, shardId } = context;
    const { settings, kinesis } = mapping;
    const start = await kinesis.send(
      new GetShardIteratorCommand(
        context.checkpoint === undefined
          ? {
              StreamName: mapping.streamName,
              ShardId: shardId,
              ShardIteratorType: settings.startingPosition,
              ...(mapping.startingTimestampMs === undefined
                ? {}
                : { Timestamp: new Date(mapping.startingTimestampMs) }),
            }
          : {
              StreamName: mapping.streamName,
              ShardId: shardId,
              ShardIteratorType: "AFTER_SEQUENCE_NUMBER",
              StartingSequenceNumber: context.checkpoint,
            },
      ),
    );
    let iterator = start.ShardIterator;
    const pollInterval = this.options.pollIntervalMs ?? 1000;
    const get = async (shardIterator: string, limit: number) => {
      const out = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: shardIterator, Limit: limit, StreamARN: mapping.streamArn }),
      );
      if (out.Records?.length && this.options.onRead) {
        this.options.onRead({
          functionName: mapping.functionName,
          shardId,
          at: Date.now(),
          records: out.Records.map((r) => ({
            sequenceNumber: r.SequenceNumber ?? "",
            arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
          })),
        });
      }
      return out;
    };
    // With parallelization a read feeds up to that many batches at once (GetRecords takes 10,000).
    while (!this.stopping && iterator) {
      if (mapping.enabled === false) return "switched off";
      // Read each time: an update of the mapping applies from its next batch.
      const { settings } = mapping;
      const readLimit = Math.min(10_000, settings.batchSize * settings.parallelizationFactor);
      let out = await get(iterator, readLimit);
      const records = [...(out.Records ?? [])];
      // The batching window: a short batch waits (up to the window) for more records to fill it.
      const windowEnds = Date.now() + settings.maxBatchingWindowSeconds * 1000;
      while (records.length > 0 && records.length < readLimit && Date.now() < windowEnds && !this.stopping) {
        if (!out.NextShardIterator) break;
        await this.pause(Math.min(pollInterval, Math.max(0, windowEnds - Date.now())));
        out = await get(out.NextShardIterator, readLimit - records.length);
        records.push(...(out.Records ?? []));
      }
      iterator = out.NextShardIterator;
      if (records.length === 0) {
        context.caughtUp = true;
        // A tumbling window whose end has passed with nothing more to read is closed now.
        if (context.window && Date.now() >= context.window.end) await this.closeWindow(context);
        if (iterator) await this.pause(pollInterval);
        continue;
      }
      this.busy++;
      try {
        await this.process(
          context,
          records.map((r) => this.toLambdaRecord(context, r)),
        );
        context.checkpoint = records.at(-1)?.SequenceNumber;
      } finally {
        this.busy--;
      }
    }
    if (!this.stopping && !iterator && context.window) await this.closeWindow(context);
    if (!this.stopping && !iterator) {
      // No next iterator: the shard is closed (resharded) and read to its end; its children may start.
      context.finished = true;
      this.startReadyShards();
    }
    return "ended";
  }

  /**
   * One read of a shard, in order: records no filter matches are left out (and counted); the rest
   * go to the function — in tumbling windows one window at a time, else split by partition key over
   * the parallelization factor's concurrent batches, each batch within the batch size and 6 MB.
   */
  private async process(context: ShardContext, read: KinesisStreamRecord[]): Promise<void> {
    const { mapping } = context;
    const records = mapping.filters?.length ? read.filter((r) => passes(mapping.filters ?? [], r)) : read;
    if (records.length < read.length) {
      this.options.onFiltered?.(mapping.functionName, context.shardId, read.length - records.length);
    }
    const { batchSize, parallelizationFactor } = mapping.settings;
    const inBatches = async (list: KinesisStreamRecord[]) => {
      for (let i = 0; i < list.length; i += batchSize) {
        for (const batch of withinPayloadLimit(list.slice(i, i + batchSize))) await this.deliver(context, batch, 0);
      }
    };
    const windowSeconds = mapping.tumblingWindowSeconds ?? 0;
    if (windowSeconds > 0) {
      for (const [start, list] of byWindow(records, windowSeconds * 1000)) {
        if (context.window && context.window.start !== start) await this.closeWindow(context);
        context.window ??= { start, end: start + windowSeconds * 1000, state: {}, terminatedEarly: false };
        await inBatches(list);
      }
      return;
    }
    const lanes = new Map<number, KinesisStreamRecord[]>();
    for (const r of records) {
      const lane = laneOf(r.kinesis.partitionKey, parallelizationFactor);
      const list = lanes.get(lane);
      if (list) list.push(r);
      else lanes.set(lane, [r]);
    }
    await Promise.all([...lanes.values()].map(inBatches));
  }

  /** The window's final invocation: no records, its state, isFinalInvokeForWindow; retried until it succeeds. */
  private async closeWindow(context: ShardContext): Promise<void> {
    const window = context.window;
    if (!window) return;
    for (let attempt = 0; !this.stopping; attempt++) {
      const result = await context.mapping.invoke(this.windowEvent(context, [], true));
      if (result.kind === "result") break;
      this.options.onPollError?.(
        context.mapping.functionName,
        context.shardId,
        new Error(`final invocation of the window failed: ${result.errorType}: ${result.errorMessage}`),
      );
      await this.pause(Math.min(5000, (this.options.retryDelayMs ?? 100) * 2 ** Math.min(attempt, 5)));
    }
    context.window = undefined;
  }

  private windowEvent(context: ShardContext, records: KinesisStreamRecord[], final: boolean): KinesisStreamEvent {
    const window = context.window as TumblingWindow;
    return {
      Records: records,
      window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
      state: window.state,
      shardId: context.shardId,
      eventSourceARN: context.mapping.streamArn,
      isFinalInvokeForWindow: final,
      isWindowTerminatedEarly: final && window.terminatedEarly,
    } as KinesisStreamEvent;
  }

  private toLambdaRecord(context: ShardContext, record: _Record): KinesisStreamRecord {
    const { mapping, shardId } = context;
    return lambdaRecord(
      { shardId, streamArn: mapping.streamArn, roleArn: mapping.roleArn, region: this.region },
      record,
    );
  }

  /** Delivers records until every one is processed or handed to the failure destination. */
  private async deliver(context: ShardContext, records: KinesisStreamRecord[], retries: number): Promise<void> {
    const { settings } = context.mapping;
    const oldest = Date.now() - settings.maxRecordAgeSeconds * 1000;
    const expired =
      settings.maxRecordAgeSeconds >= 0
        ? records.filter((r) => r.kinesis.approximateArrivalTimestamp * 1000 < oldest)
        : [];
    if (expired.length > 0) {
      await this.toFailureDestination(context, expired, "RecordAgeExceeded", retries, undefined);
      records = records.filter((r) => !expired.includes(r));
      if (records.length === 0) return;
    }

    const result = await this.invoke(context, records);
    if (result.kind === "ok") return;

    if (result.kind === "error" && settings.bisectBatchOnError && records.length > 1) {
      // Splitting does not count against the retry quota.
      const half = Math.ceil(records.length / 2);
      await this.deliver(context, records.slice(0, half), retries);
      await this.deliver(context, records.slice(half), retries);
      return;
    }
    const remaining = result.kind === "partial" ? records.slice(result.from) : records;
    if (settings.retryAttempts >= 0 && retries >= settings.retryAttempts) {
      await this.toFailureDestination(
        context,
        remaining,
        "RetryAttemptsExhausted",
        retries + 1,
        result.kind === "error" ? "Unhandled" : null,
      );
      return;
    }
    await this.pause(this.options.retryDelayMs ?? 100);
    // Stopping: the batch is left where it is (the checkpoint stays before it), not retried forever.
    if (this.stopping) throw new Error("the event source runner is stopping");
    await this.deliver(context, remaining, retries + 1);
  }

  private async invoke(context: ShardContext, records: KinesisStreamRecord[]): Promise<Outcome> {
    const { mapping, shardId } = context;
    const event: KinesisStreamEvent = context.window ? this.windowEvent(context, records, false) : { Records: records };
    const sequenceNumbers = records.map((r) => r.kinesis.sequenceNumber);
    const startedAt = Date.now();
    const report = (
      info: Omit<InvokeInfo, "functionName" | "streamName" | "shardId" | "sequenceNumbers" | "startedAt" | "endedAt">,
    ) =>
      this.options.onInvoke?.({
        functionName: mapping.functionName,
        streamName: mapping.streamName,
        shardId,
        sequenceNumbers,
        startedAt,
        endedAt: Date.now(),
        ...info,
      });
    const { random = Math.random } = this.options;
    const race = this.options.raceDuplicates || random() < (this.options.raceRate ?? 0);
    if (race) this.options.onDuplicate?.("raced");
    const invocations = race ? [mapping.invoke(event), mapping.invoke(event)] : [mapping.invoke(event)];
    const [first] = await Promise.all(invocations);
    if (first === undefined || first.kind === "error") {
      const error = first ? `${first.errorType}: ${first.errorMessage}` : "no invocation";
      report({ outcome: "error", error });
      return { kind: "error", error };
    }
    if (context.window) {
      // A windowed invocation answers with the window's state; one without it has failed.
      const state = (first.payload as { state?: unknown } | null)?.state;
      if (state === null || typeof state !== "object" || Array.isArray(state)) {
        const error = "TumblingWindowStateMissing: the response has no state object";
        report({ outcome: "error", error });
        return { kind: "error", error };
      }
      context.window.state = state as Record<string, unknown>;
      if (Buffer.byteLength(JSON.stringify(state)) > MAX_WINDOW_STATE_BYTES) {
        // Past 1 MB the window ends early: its final invocation now, then the same window afresh.
        context.window.terminatedEarly = true;
        const { start, end } = context.window;
        await this.closeWindow(context);
        context.window = { start, end, state: {}, terminatedEarly: false };
      }
    }
    // Without ReportBatchItemFailures the response is not read: an invocation that returned succeeded.
    const from = mapping.settings.reportBatchItemFailures ? failedFrom(first.payload, sequenceNumbers) : undefined;
    if (from === undefined) {
      report({ outcome: "ok" });
      if (this.options.deliverTwice || random() < (this.options.duplicateRate ?? 0)) {
        this.options.onDuplicate?.("twice");
        await mapping.invoke(event); // its outcome does not move the checkpoint
      }
      return { kind: "ok" };
    }
    // A malformed response (-1) fails the whole batch: retried from its first record, counted as an attempt.
    const retryFrom = Math.max(0, from);
    report({ outcome: "partial", failedFrom: sequenceNumbers[retryFrom] as string });
    return { kind: "partial", from: retryFrom };
  }

  private async toFailureDestination(
    context: ShardContext,
    records: KinesisStreamRecord[],
    condition: FailureRecord["requestContext"]["condition"],
    invokeCount: number,
    functionError: string | null | undefined,
  ): Promise<void> {
    const first = records[0];
    const last = records.at(-1);
    if (!first || !last) return;
    const { mapping } = context;
    const message: FailureRecord = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: mapping.functionArn,
        condition,
        approximateInvokeCount: invokeCount,
      },
      ...(condition === "RetryAttemptsExhausted"
        ? { responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: functionError ?? null } }
        : {}),
      version: "1.0",
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: context.shardId,
        startSequenceNumber: first.kinesis.sequenceNumber,
        endSequenceNumber: last.kinesis.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
        batchSize: records.length,
        streamArn: mapping.streamArn,
      },
    };
    // The destination must take it, or the records would be lost: keep trying (as the function's role).
    for (let attempt = 0; mapping.destination; attempt++) {
      try {
        await mapping.destination(message, records);
        break;
      } catch (err) {
        this.options.onPollError?.(mapping.functionName, context.shardId, err);
        if (this.stopping || attempt >= 20) throw err;
        await this.pause(Math.min(5000, 100 * 2 ** attempt));
      }
    }
    this.options.onFailureDestination?.(message);
  }
}

/**
 * A shard of a mapping: its function, its stream and the shard's id — shard ids repeat from stream to
 * stream, so one function fed by many streams reads each of them.
 */
function shardKey(mapping: Mapping, shardId: string): string {
  return `${mapping.functionName}/${mapping.streamArn}/${shardId}`;
}

/** Records split where they cross a tumbling window's boundary (windows aligned to the epoch), in order. */
function byWindow(records: readonly KinesisStreamRecord[], windowMs: number): [number, KinesisStreamRecord[]][] {
  const out: [number, KinesisStreamRecord[]][] = [];
  for (const r of records) {
    const start = Math.floor((r.kinesis.approximateArrivalTimestamp * 1000) / windowMs) * windowMs;
    const last = out.at(-1);
    if (last && last[0] === start) last[1].push(r);
    else out.push([start, [r]]);
  }
  return out;
}

/** Which of a shard's concurrent batches a partition key goes to: always the same one, so its order holds. */
export function laneOf(partitionKey: string, lanes: number): number {
  if (lanes <= 1) return 0;
  return createHash("md5").update(partitionKey).digest().readUInt32BE(0) % lanes;
}

/**
 * Where a batch response says processing failed: undefined for a complete success (no response, a
 * null or empty batchItemFailures), the lowest failed record's index, or -1 when the response is
 * malformed (not an array, a null entry, an empty, null or unknown itemIdentifier), which Lambda
 * treats as a complete failure of the batch.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 */
export function failedFrom(payload: unknown, sequenceNumbers: readonly string[]): number | undefined {
  if (payload === null || payload === undefined || typeof payload !== "object") return undefined;
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return undefined;
  if (!Array.isArray(failures)) return -1;
  if (failures.length === 0) return undefined;
  const indexes = failures.map((f: unknown) => {
    const id = f !== null && typeof f === "object" ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    return typeof id === "string" && id !== "" ? sequenceNumbers.indexOf(id) : -1;
  });
  return indexes.some((i) => i < 0) ? -1 : Math.min(...indexes);
}

/** Splits records into consecutive batches whose invocation payload stays within Lambda's 6 MB. */
export function withinPayloadLimit(records: KinesisStreamRecord[], limit = MAX_PAYLOAD_BYTES): KinesisStreamRecord[][] {
  const batches: KinesisStreamRecord[][] = [];
  const overhead = Buffer.byteLength('{"Records":[]}');
  let current: KinesisStreamRecord[] = [];
  let size = overhead;
  for (const record of records) {
    const bytes = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (current.length > 0 && size + bytes > limit) {
      batches.push(current);
      current = [];
      size = overhead;
    }
    current.push(record);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
