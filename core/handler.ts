import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { dynamoDocumentClient, kinesisClient, snsClient, sqsClient } from "../shared/aws.js";
import type { RecordRef } from "../shared/kinesis-record.js";
import { type KeyedApp, processKeyed } from "./keyed.js";
import { DynamoKeyedStore, type StateCodec } from "./keyed-store.js";
import { kinesisLineage } from "./kinesis-lineage.js";
import { type Observability, observability } from "./observability.js";
import { rejectionSink } from "./rejects.js";
import { type Message, snsSink } from "./sinks.js";
import { type CountedOutcome, type Decoded, handleStreamBatch } from "./stream-batch.js";

/** A stream function as deployed: how its records decode, what a batch does, and its metrics. */
export interface StreamHandlerSpec<T, C extends string = string> {
  /** The service name of its logs and metrics. */
  readonly service: string;
  readonly decode: (text: string, ref: RecordRef) => T;
  readonly process: (records: Decoded<T>[]) => Promise<CountedOutcome<C>>;
  /** The metrics a batch's counts make (a zero is not published). */
  readonly metrics: (counts: Readonly<Partial<Record<C, number>>>) => Record<string, number>;
  readonly rejectedQueueUrl: string;
  /** Its logs and metrics, when the caller made them already for its own warnings (one Logger and one Metrics a function). */
  readonly observability?: Observability;
}

type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/**
 * A Lambda handler for a stream function: decode (rejecting with a reason), process, answer with a
 * partial batch response, and publish what happened as metrics — in one place for every function.
 */
export function streamHandler<T, C extends string>(fn: StreamHandlerSpec<T, C>): Handler {
  const rejections = rejectionSink(sqsClient(), fn.rejectedQueueUrl);
  const obs = fn.observability ?? observability(fn.service);
  return async (event) => {
    let counted: CountedOutcome<C> | undefined;
    try {
      return await handleStreamBatch(event, {
        functionName: fn.service,
        decode: fn.decode,
        process: async (records) => {
          counted = await fn.process(records);
          return counted;
        },
        rejections,
        onSummary: obs.summary,
        onError: obs.error,
      });
    } finally {
      if (counted) for (const [name, n] of Object.entries(fn.metrics(counted.counts))) obs.count(name, n);
      obs.metrics.publishStoredMetrics();
    }
  };
}

/** A keyed application as deployed: its logic, its state's place in DynamoDB, and its output topic. */
export interface KeyedFunction<E, S, O> {
  /** The service name of its logs and metrics. */
  readonly service: string;
  readonly decode: (text: string, ref: RecordRef) => E;
  readonly app: KeyedApp<E, S, O>;
  readonly codec: StateCodec<S>;
  /** The table's partition key attribute. */
  readonly keyAttribute: string;
  readonly message: (output: O) => Message;
  readonly table: string;
  readonly topicArn: string;
  readonly rejectedQueueUrl: string;
}

/**
 * A Lambda handler for a keyed application: its batches through the exactly-once core, its
 * outcomes and outputs (by the application's metric names) as metrics. Clients are made once, at
 * cold start, from the environment.
 */
export function keyedHandler<E, S, O>(fn: KeyedFunction<E, S, O>): Handler {
  const obs = observability(fn.service);
  const deps = {
    app: fn.app,
    store: new DynamoKeyedStore<S, O>(dynamoDocumentClient(), fn.table, fn.keyAttribute, fn.codec),
    sink: snsSink(snsClient(), fn.topicArn, fn.message),
    lineage: kinesisLineage(kinesisClient(), (stream, err) =>
      obs.logger.warn("the stream's shards could not be listed: this batch's items keep every watermark", {
        stream,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      }),
    ),
  };
  return streamHandler({
    service: fn.service,
    decode: fn.decode,
    process: (records) => processKeyed(records, deps),
    metrics: ({ applied = 0, stale = 0, replayed = 0, conflicts = 0, ...outputs }) => ({
      ...outputs,
      RecordsProcessed: applied + stale + replayed,
      RecordsIgnoredStale: stale,
      DuplicatesSkipped: replayed,
      ConditionalWriteConflicts: conflicts,
    }),
    rejectedQueueUrl: fn.rejectedQueueUrl,
    observability: obs,
  });
}
