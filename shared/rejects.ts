import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamRecord } from "aws-lambda";
import { asciiJson } from "./ascii-json.js";
import type { RecordRef } from "./kinesis-record.js";

/** What lands on the rejected-records queue: enough to find, read and replay the record. */
export interface RejectedRecord {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** The record's bytes, base64, as Kinesis holds them (cut short past {@link MAX_DATA_CHARS}). */
  readonly data: string;
  readonly dataBytes: number;
  readonly dataTruncated: boolean;
  readonly reason: string;
  readonly function: string;
  readonly rejectedAt: string;
}

// An SQS message holds 256 KiB; a Kinesis record up to 1 MiB. A giant record keeps its first
// 128 KiB here; all of it stays readable in the stream at its sequence number.
const MAX_DATA_CHARS = 128 * 1024;
const MAX_BATCH_BYTES = 200 * 1024;

export function rejection(record: KinesisStreamRecord, ref: RecordRef, reason: string, fn: string): RejectedRecord {
  const data = record.kinesis.data;
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

/** Sends rejected records to the queue; returns the sequence numbers that could not be sent, and why. */
export async function sendRejections(
  sqs: SQSClient,
  queueUrl: string,
  rejected: readonly RejectedRecord[],
): Promise<{ failed: Set<string>; errors: unknown[] }> {
  const failed = new Set<string>();
  const errors: unknown[] = [];
  const bodies = rejected.map((r) => ({ r, body: asciiJson(r) }));
  let i = 0;
  while (i < bodies.length) {
    const chunk: typeof bodies = [];
    let bytes = 0;
    while (i < bodies.length && chunk.length < 10) {
      const next = bodies[i];
      if (next === undefined || (chunk.length > 0 && bytes + next.body.length > MAX_BATCH_BYTES)) break;
      chunk.push(next);
      bytes += next.body.length;
      i++;
    }
    try {
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map(({ body }, n) => ({ Id: String(n), MessageBody: body })),
        }),
      );
      for (const f of out.Failed ?? []) {
        const entry = chunk[Number(f.Id)];
        if (entry) failed.add(entry.r.sequenceNumber);
        errors.push(new Error(`rejected-records queue refused a message: ${f.Code ?? ""} ${f.Message ?? ""}`));
      }
    } catch (err) {
      errors.push(err);
      for (const { r } of chunk) failed.add(r.sequenceNumber);
    }
  }
  return { failed, errors };
}
