import { randomUUID } from "node:crypto";
import {
  type _Record,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import type { EventSourceSettings } from "../infra/event-sources.js";

// Plays the Lambda Kinesis event source mapping against a Kinesis endpoint, so that the handlers
// that deploy are the handlers that run here, with the mapping's own settings: batch size and
// batching window, partial batch responses (checkpoint before the lowest failed record),
// bisection on function errors (not counted as retries, as in Lambda), bounded retries, maximum
// record age, and an SQS on-failure destination that receives Lambda's own invocation record.

/** A Kinesis handler as Lambda calls it; one that returns nothing reports no failures. */
export type StreamHandler = (
  event: KinesisStreamEvent,
) => Promise<KinesisStreamBatchResponse | undefined> | Promise<void>;

export interface Mapping {
  readonly functionName: string;
  readonly streamName: string;
  readonly handler: StreamHandler;
  readonly settings: EventSourceSettings;
  readonly failureQueueUrl: string;
}

export interface RunnerOptions {
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
  readonly region?: string;
  readonly account?: string;
  /** How long an idle shard waits before polling again (Lambda polls about once a second). */
  readonly pollIntervalMs?: number;
  /** Pause before retrying a failed batch. */
  readonly retryDelayMs?: number;
  /** Deliver every batch a second time after it succeeded, as at-least-once delivery may. */
  readonly deliverTwice?: boolean;
  /** Run two invocations of every batch at once, as a racing duplicate delivery would. */
  readonly raceDuplicates?: boolean;
  readonly onInvoke?: (info: InvokeInfo) => void;
  readonly onFailureDestination?: (info: FailureRecord) => void;
  readonly onPollError?: (shardId: string, err: unknown) => void;
}

export interface InvokeInfo {
  readonly functionName: string;
  readonly shardId: string;
  readonly sequenceNumbers: readonly string[];
  readonly outcome: "ok" | "partial" | "error";
  readonly failedFrom?: string;
  readonly error?: string;
}

/** What Lambda sends to an on-failure destination for a stream batch it gives up on. */
export interface FailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: "RetryAttemptsExhausted" | "RecordAgeExceeded";
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly version: "1.0";
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

interface ShardContext {
  readonly mapping: Mapping;
  readonly shardId: string;
  readonly streamArn: string;
  caughtUp: boolean;
  /** The last sequence number fully delivered: where a restarted poll resumes. */
  checkpoint?: string | undefined;
}

export class EventSourceRunner {
  private readonly region: string;
  private readonly account: string;
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly shards: ShardContext[] = [];
  private busy = 0;

  constructor(
    private readonly mappings: readonly Mapping[],
    private readonly options: RunnerOptions,
  ) {
    this.region = options.region ?? process.env.AWS_REGION ?? "us-east-1";
    this.account = options.account ?? "000000000000";
  }

  /** Starts polling every shard of every mapped stream. */
  async start(): Promise<void> {
    for (const mapping of this.mappings) {
      const summary = await this.options.kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: mapping.streamName }),
      );
      const streamArn = summary.StreamDescriptionSummary?.StreamARN ?? this.streamArn(mapping.streamName);
      const shards = await this.options.kinesis.send(new ListShardsCommand({ StreamName: mapping.streamName }));
      for (const shard of shards.Shards ?? []) {
        if (!shard.ShardId) continue;
        const context: ShardContext = { mapping, shardId: shard.ShardId, streamArn, caughtUp: false };
        this.shards.push(context);
        this.loops.push(this.pollShard(context));
      }
    }
  }

  /** Stops polling; resolves when every shard loop has finished its current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.loops);
  }

  /** Resolves once every shard has been read to its end and no batch is in flight. */
  async drained(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Two rounds of empty polls on every shard: a poll already under way when this was called may
    // have missed the newest records, the one after it cannot.
    for (let round = 0; round < 2; round++) {
      for (const shard of this.shards) shard.caughtUp = false;
      await this.waitFor(() => this.busy === 0 && this.shards.every((s) => s.caughtUp), deadline);
    }
  }

  private async waitFor(condition: () => boolean, deadline: number): Promise<void> {
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("event source runner did not drain in time");
      await sleep(50);
    }
  }

  private streamArn(streamName: string): string {
    return `arn:aws:kinesis:${this.region}:${this.account}:stream/${streamName}`;
  }

  private functionArn(functionName: string): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${functionName}`;
  }

  private async pollShard(context: ShardContext): Promise<void> {
    for (let failures = 0; !this.stopping; failures++) {
      try {
        await this.pollShardOnce(context);
        return;
      } catch (err) {
        // An emulator or network hiccup: start again from the last checkpoint, like Lambda's poller.
        if (this.stopping) return;
        this.options.onPollError?.(context.shardId, err);
        await sleep(Math.min(5000, 200 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  private async pollShardOnce(context: ShardContext): Promise<void> {
    const { kinesis } = this.options;
    const { mapping, shardId } = context;
    const { settings } = mapping;
    // From the mapping's starting position, or — after a poller restart — just past the last
    // record fully delivered.
    const start = await kinesis.send(
      new GetShardIteratorCommand(
        context.checkpoint === undefined
          ? { StreamName: mapping.streamName, ShardId: shardId, ShardIteratorType: settings.startingPosition }
          : {
              StreamName: mapping.streamName,
              ShardId: shardId,
              ShardIteratorType: "AFTER_SEQUENCE_NUMBER",
              StartingSequenceNumber: context.checkpoint,
            },
      ),
    );
    let iterator = start.ShardIterator;
    const pollInterval = this.options.pollIntervalMs ?? 200;
    while (!this.stopping && iterator) {
      let out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: settings.batchSize }));
      const records = [...(out.Records ?? [])];
      // The batching window: a short batch waits (up to the window) for more records to fill it.
      const windowEnds = Date.now() + settings.maxBatchingWindowSeconds * 1000;
      while (records.length > 0 && records.length < settings.batchSize && Date.now() < windowEnds && !this.stopping) {
        if (!out.NextShardIterator) break;
        await sleep(Math.min(pollInterval, Math.max(0, windowEnds - Date.now())));
        out = await kinesis.send(
          new GetRecordsCommand({ ShardIterator: out.NextShardIterator, Limit: settings.batchSize - records.length }),
        );
        records.push(...(out.Records ?? []));
      }
      iterator = out.NextShardIterator;
      if (records.length === 0) {
        context.caughtUp = true;
        await sleep(pollInterval);
        continue;
      }
      this.busy++;
      try {
        await this.deliver(
          context,
          records.map((r) => this.toLambdaRecord(context, r)),
          0,
        );
        context.checkpoint = records.at(-1)?.SequenceNumber;
      } finally {
        this.busy--;
      }
    }
  }

  private toLambdaRecord(context: ShardContext, record: _Record): KinesisStreamRecord {
    const sequenceNumber = record.SequenceNumber ?? "";
    return {
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: record.PartitionKey ?? "",
        sequenceNumber,
        data: Buffer.from(record.Data ?? new Uint8Array()).toString("base64"),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `${context.shardId}:${sequenceNumber}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: `arn:aws:iam::${this.account}:role/${context.mapping.functionName}-role`,
      awsRegion: this.region,
      eventSourceARN: context.streamArn,
    };
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
      await this.toFailureDestination(context, expired, "RecordAgeExceeded", retries + 1);
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
      await this.toFailureDestination(context, remaining, "RetryAttemptsExhausted", retries + 1);
      return;
    }
    await sleep(this.options.retryDelayMs ?? 100);
    await this.deliver(context, remaining, retries + 1);
  }

  private async invoke(
    context: ShardContext,
    records: KinesisStreamRecord[],
  ): Promise<{ kind: "ok" } | { kind: "partial"; from: number } | { kind: "error" }> {
    const { mapping, shardId } = context;
    const event = (): KinesisStreamEvent => ({ Records: structuredClone(records) });
    const sequenceNumbers = records.map((r) => r.kinesis.sequenceNumber);
    let response: KinesisStreamBatchResponse | undefined;
    try {
      if (this.options.raceDuplicates) {
        const [first] = await Promise.all([mapping.handler(event()), mapping.handler(event())]);
        response = first ?? undefined;
      } else {
        response = (await mapping.handler(event())) ?? undefined;
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.options.onInvoke?.({
        functionName: mapping.functionName,
        shardId,
        sequenceNumbers,
        outcome: "error",
        error,
      });
      return { kind: "error" };
    }
    const failures = mapping.settings.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
    if (failures.length === 0) {
      this.options.onInvoke?.({ functionName: mapping.functionName, shardId, sequenceNumbers, outcome: "ok" });
      if (this.options.deliverTwice) {
        // The duplicate's own outcome does not matter to the checkpoint, as with a real redelivery.
        await Promise.resolve(mapping.handler(event())).catch(() => undefined);
      }
      return { kind: "ok" };
    }
    // Lambda checkpoints before the lowest failed record; an identifier it cannot find in the
    // batch (or an empty one) fails the whole batch.
    const indexes = failures.map((f) => sequenceNumbers.indexOf(f.itemIdentifier ?? ""));
    const from = indexes.some((i) => i < 0) ? 0 : Math.min(...indexes);
    this.options.onInvoke?.({
      functionName: mapping.functionName,
      shardId,
      sequenceNumbers,
      outcome: "partial",
      failedFrom: sequenceNumbers[from] as string,
    });
    return { kind: "partial", from };
  }

  private async toFailureDestination(
    context: ShardContext,
    records: KinesisStreamRecord[],
    condition: FailureRecord["requestContext"]["condition"],
    invokeCount: number,
  ): Promise<void> {
    const first = records[0];
    const last = records.at(-1);
    if (!first || !last) return;
    const message: FailureRecord = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: this.functionArn(context.mapping.functionName),
        condition,
        approximateInvokeCount: invokeCount,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: "$LATEST",
        ...(condition === "RetryAttemptsExhausted" ? { functionError: "Unhandled" } : {}),
      },
      version: "1.0",
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: context.shardId,
        startSequenceNumber: first.kinesis.sequenceNumber,
        endSequenceNumber: last.kinesis.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
        batchSize: records.length,
        streamArn: context.streamArn,
      },
    };
    // The destination must take it, or the records would be lost: keep trying.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.sqs.send(
          new SendMessageCommand({ QueueUrl: context.mapping.failureQueueUrl, MessageBody: JSON.stringify(message) }),
        );
        break;
      } catch (err) {
        if (this.stopping || attempt >= 20) throw err;
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
    this.options.onFailureDestination?.(message);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
