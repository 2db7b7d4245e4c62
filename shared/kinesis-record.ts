import type { KinesisStreamRecord } from "aws-lambda";
import { DecodeError } from "./errors.js";

/** Where a record came from: enough to find it again in the stream and to order it. */
export interface RecordRef {
  readonly streamName: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** Kinesis approximate arrival time, epoch milliseconds. */
  readonly arrivalMs: number;
}

/** The longest record text we accept. Our records are one short CSV line or a small JSON object;
 * anything far longer is a producer bug, not data. */
export const MAX_RECORD_CHARS = 4096;

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function recordRef(record: KinesisStreamRecord): RecordRef {
  const colon = record.eventID.indexOf(":");
  return {
    streamName: streamNameOf(record.eventSourceARN),
    shardId: colon > 0 ? record.eventID.slice(0, colon) : record.eventID,
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    arrivalMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
  };
}

export function streamNameOf(streamArn: string): string {
  const slash = streamArn.lastIndexOf("/");
  return slash >= 0 ? streamArn.slice(slash + 1) : streamArn;
}

/** The record's payload as one line of text: strict UTF-8, without a byte-order mark or line ending. */
export function recordText(record: KinesisStreamRecord): string {
  const bytes = Buffer.from(record.kinesis.data, "base64");
  if (bytes.length === 0) throw new DecodeError("empty record");
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new DecodeError("record is not valid UTF-8");
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.replace(/\r?\n$/, "");
  if (text.length > MAX_RECORD_CHARS) {
    throw new DecodeError(`record is ${text.length} characters long; at most ${MAX_RECORD_CHARS} are accepted`);
  }
  if (text.trim() === "") throw new DecodeError("record is blank");
  if (/[\n\r]/.test(text)) throw new DecodeError("record holds more than one line");
  return text;
}

// Kinesis sequence numbers are decimal strings well past 2^53, so they are never parsed as
// numbers. Left-padded to a fixed width they compare correctly as strings, in code and in
// DynamoDB condition expressions alike.
const SEQUENCE_WIDTH = 80;

export function sequenceKey(sequenceNumber: string): string {
  if (!/^\d{1,80}$/.test(sequenceNumber)) throw new Error(`not a Kinesis sequence number: ${sequenceNumber}`);
  return sequenceNumber.padStart(SEQUENCE_WIDTH, "0");
}

export function compareSequence(a: string, b: string): number {
  const ka = sequenceKey(a);
  const kb = sequenceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
