import type { SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamRecord } from "aws-lambda";
import type { RecordRef } from "../shared/kinesis-record.js";
import { type Sink, sqsSink } from "./sinks.js";

/** What lands on the rejected-records queue: enough to find, read and replay the record. */
export interface RejectedRecord {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Empty when the record is withheld. */
  readonly partitionKey: string;
  /** The record's bytes, base64, as Kinesis holds them (cut short past {@link MAX_DATA_CHARS});
   * empty when the record is withheld. */
  readonly data: string;
  readonly dataBytes: number;
  readonly dataTruncated: boolean;
  readonly reason: string;
  readonly function: string;
  readonly rejectedAt: string;
  /** The record may hold data that must not be copied (a payment card number, say): its bytes and partition key
   * are not here, only in the stream at its sequence number while the stream's retention lasts. */
  readonly withheld?: true;
}

// An SQS message holds 256 KiB; a Kinesis record up to 1 MiB. A giant record keeps its first
// 128 KiB here; all of it stays readable in the stream at its sequence number.
const MAX_DATA_CHARS = 128 * 1024;

export function rejection(
  record: KinesisStreamRecord,
  ref: RecordRef,
  reason: string,
  fn: string,
  withheld = false,
): RejectedRecord {
  const data = record.kinesis.data;
  if (withheld) {
    return {
      stream: ref.streamName,
      shardId: ref.shardId,
      sequenceNumber: ref.sequenceNumber,
      partitionKey: "",
      data: "",
      dataBytes: Buffer.byteLength(data, "base64"),
      dataTruncated: false,
      reason,
      function: fn,
      rejectedAt: new Date().toISOString(),
      withheld: true,
    };
  }
  return {
    stream: ref.streamName,
    shardId: ref.shardId,
    sequenceNumber: ref.sequenceNumber,
    partitionKey: ref.partitionKey,
    data: data.length > MAX_DATA_CHARS ? data.slice(0, MAX_DATA_CHARS) : data,
    dataBytes: Buffer.byteLength(data, "base64"),
    dataTruncated: data.length > MAX_DATA_CHARS,
    reason,
    function: fn,
    rejectedAt: new Date().toISOString(),
  };
}

/** The rejected-records queue: one message a record (a standard queue: whoever reads it replays). */
export function rejectionSink(sqs: SQSClient, queueUrl: string): Sink<RejectedRecord> {
  return sqsSink(sqs, queueUrl, (r) => ({ body: r }));
}
