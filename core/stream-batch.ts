import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { DecodeError, errorMessage, RedactedDecodeError } from "../shared/errors.js";
import { compareSequence, type RecordRef, recordRef, recordText } from "../shared/kinesis-record.js";
import { type RejectedRecord, rejection } from "./rejects.js";
import { SendError, type Sink } from "./sinks.js";

/** A record that decoded into an event. */
export interface Decoded<T> {
  readonly ref: RecordRef;
  readonly event: T;
}

export interface BatchOutcome {
  /** Sequence numbers of good records that could not be finished now and must come again. */
  readonly failed: ReadonlySet<string>;
  /** Why they could not be finished, for the log. */
  readonly errors?: readonly unknown[];
}

/** A batch's outcome with what happened, by name (the function maps names to metrics). */
export interface CountedOutcome<C extends string = string> extends BatchOutcome {
  readonly counts: Readonly<Partial<Record<C, number>>>;
}

export interface BatchSummary {
  readonly received: number;
  readonly rejected: number;
  readonly failed: number;
}

export interface StreamBatchOptions<T> {
  readonly functionName: string;
  readonly decode: (text: string, ref: RecordRef) => T;
  readonly process: (records: Decoded<T>[]) => Promise<BatchOutcome>;
  /** The rejected-records queue ({@link rejectionSink}). */
  readonly rejections: Sink<RejectedRecord>;
  readonly onSummary?: (summary: BatchSummary, rejected: readonly RejectedRecord[]) => void;
  readonly onError?: (err: unknown) => void;
}

/**
 * The shape every stream handler shares: decode each record, send the undecodable ones to the
 * rejected-records queue with a reason, hand the rest to the function's own logic, and answer
 * with a partial batch response so that Lambda retries from the first unfinished record only.
 */
export async function handleStreamBatch<T>(
  event: KinesisStreamEvent,
  options: StreamBatchOptions<T>,
): Promise<KinesisStreamBatchResponse> {
  const good: Decoded<T>[] = [];
  const rejected: RejectedRecord[] = [];
  for (const record of event.Records) {
    const ref = recordRef(record);
    try {
      good.push({ ref, event: options.decode(recordText(record), ref) });
    } catch (err) {
      // A decoder bug must not stall the shard either: the record is rejected with what went wrong.
      const reason = err instanceof DecodeError ? err.message : `could not decode: ${errorMessage(err)}`;
      rejected.push(rejection(record, ref, reason, options.functionName, err instanceof RedactedDecodeError));
    }
  }
  const failed = new Set<string>();
  if (rejected.length > 0) {
    try {
      await options.rejections.send(rejected);
    } catch (err) {
      // Records not known to be on the queue come again, and are rejected again.
      options.onError?.(err);
      const sent = err instanceof SendError ? err.sent : 0;
      for (const r of rejected.slice(sent)) failed.add(r.sequenceNumber);
    }
  }
  if (good.length > 0) {
    try {
      const outcome = await options.process(good);
      for (const seq of outcome.failed) failed.add(seq);
      for (const err of outcome.errors ?? []) options.onError?.(err);
    } catch (err) {
      options.onError?.(err);
      // Nothing of the good records is known to be done; their effects are idempotent, so all come again.
      for (const { ref } of good) failed.add(ref.sequenceNumber);
    }
  }
  options.onSummary?.({ received: event.Records.length, rejected: rejected.length, failed: failed.size }, rejected);
  return {
    batchItemFailures: [...failed].sort(compareSequence).map((itemIdentifier) => ({ itemIdentifier })),
  };
}
