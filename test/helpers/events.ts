import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { couponCoder } from "#apps/campaign/coupon.js";
import type { RecordRef } from "#shared/kinesis-record.js";
import type { Decoded } from "../../core/stream-batch.js";

let sequence = 49_600_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;

/** A fresh Kinesis sequence number, as long as the real ones (well past 2^53). */
/** Coupon codes under a test secret (a deployment has its own). */
export const TEST_CODER = couponCoder("a-test-secret-of-the-unit-tests");

export function nextSequence(): string {
  sequence += 1000n;
  return sequence.toString();
}

export function kinesisRecord(
  data: string | Uint8Array,
  options: {
    partitionKey?: string;
    sequenceNumber?: string;
    shardId?: string;
    stream?: string;
    arrivalMs?: number;
  } = {},
): KinesisStreamRecord {
  const sequenceNumber = options.sequenceNumber ?? nextSequence();
  const shardId = options.shardId ?? "shardId-000000000000";
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  return {
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: options.partitionKey ?? "key",
      sequenceNumber,
      data: bytes.toString("base64"),
      approximateArrivalTimestamp: (options.arrivalMs ?? Date.UTC(2026, 10, 20, 9)) / 1000,
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: "arn:aws:iam::000000000000:role/test",
    awsRegion: "us-east-1",
    eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${options.stream ?? "test-stream"}`,
  };
}

export function kinesisEvent(lines: readonly (string | Uint8Array)[]): KinesisStreamEvent {
  return { Records: lines.map((line) => kinesisRecord(line)) };
}

/** Wraps decoded events as the batch pipeline hands them to a service. */
export function decoded<T>(events: readonly T[], shardId = "shardId-000000000000"): Decoded<T>[] {
  return events.map((event) => ({ event, ref: ref({ shardId }) }));
}

export function ref(overrides: Partial<RecordRef> = {}): RecordRef {
  return {
    streamName: "test-stream",
    shardId: "shardId-000000000000",
    sequenceNumber: nextSequence(),
    partitionKey: "key",
    arrivalMs: Date.UTC(2026, 10, 20, 9),
    ...overrides,
  };
}
