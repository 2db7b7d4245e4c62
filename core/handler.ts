import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { dynamoDocumentClient, snsClient, sqsClient } from "../shared/aws.js";
import type { RecordRef } from "../shared/kinesis-record.js";
import { observability } from "../shared/observability.js";
import { handleStreamBatch } from "../shared/stream-batch.js";
import { type KeyedApp, processKeyed } from "./keyed.js";
import { DynamoKeyedStore, type StateCodec } from "./keyed-store.js";
import { type FifoMessage, snsFifoSink } from "./sns-sink.js";

/** A keyed application as deployed: its logic, its state's place in DynamoDB, and its output topic. */
export interface KeyedFunction<E, S, O> {
  /** The service name of its logs and metrics. */
  readonly service: string;
  readonly decode: (text: string, ref: RecordRef) => E;
  readonly app: KeyedApp<E, S, O>;
  readonly codec: StateCodec<S>;
  /** The table's partition key attribute. */
  readonly keyAttribute: string;
  readonly message: (output: O) => FifoMessage;
  readonly table: string;
  readonly topicArn: string;
  readonly rejectedQueueUrl: string;
}

/**
 * A Lambda handler for a keyed application: decode (rejecting with a reason), run the batch through
 * the exactly-once core, answer with a partial batch response, and count what happened as metrics.
 * Clients are made once, at cold start, from the environment.
 */
export function keyedHandler<E, S, O>(
  fn: KeyedFunction<E, S, O>,
): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const sqs = sqsClient();
  const deps = {
    app: fn.app,
    store: new DynamoKeyedStore<S, O>(dynamoDocumentClient(), fn.table, fn.keyAttribute, fn.codec),
    sink: snsFifoSink(snsClient(), fn.topicArn, fn.message),
  };
  const obs = observability(fn.service);
  return async (event) => {
    let counts: Readonly<Record<string, number>> = {};
    try {
      return await handleStreamBatch(event, {
        functionName: fn.service,
        decode: fn.decode,
        process: async (records) => {
          const outcome = await processKeyed(records, deps);
          counts = outcome.counts;
          return outcome;
        },
        sqs,
        rejectedQueueUrl: fn.rejectedQueueUrl,
        onSummary: obs.summary,
        onError: obs.error,
      });
    } finally {
      const { applied = 0, stale = 0, replayed = 0, conflicts = 0, ...outputs } = counts;
      obs.count("RecordsProcessed", applied + stale + replayed);
      obs.count("RecordsIgnoredStale", stale);
      obs.count("DuplicatesSkipped", replayed);
      obs.count("ConditionalWriteConflicts", conflicts);
      for (const [name, n] of Object.entries(outputs)) obs.count(name, n);
      obs.metrics.publishStoredMetrics();
    }
  };
}
