import type { _Record } from "@aws-sdk/client-kinesis";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";

// The Kinesis event Lambda sends a function: one shape for the poller's invocations and for the
// event files `npm run event` writes.

export interface RecordSource {
  readonly shardId: string;
  readonly streamArn: string;
  /** The function's role, as Lambda names it in each record (`invokeIdentityArn`). */
  readonly roleArn: string;
  readonly region: string;
}

/** A Kinesis record as Lambda hands it to the function. */
export function lambdaRecord(source: RecordSource, record: _Record): KinesisStreamRecord {
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
    eventID: `${source.shardId}:${sequenceNumber}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: source.roleArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
}

/** Why an event is not a Kinesis event Lambda would send, or undefined when it is one. */
export function kinesisEventProblem(event: unknown): string | undefined {
  if (event === null || typeof event !== "object" || Array.isArray(event)) return "the event is not a JSON object";
  const records = (event as { Records?: unknown }).Records;
  if (!Array.isArray(records)) return 'the event has no "Records" list';
  for (const [i, r] of records.entries()) {
    const kinesis = (r as { kinesis?: { data?: unknown; sequenceNumber?: unknown; partitionKey?: unknown } } | null)
      ?.kinesis;
    if (typeof kinesis?.data !== "string") return `Records[${i}] has no kinesis.data (base64)`;
    if (Buffer.from(kinesis.data, "base64").toString("base64") !== kinesis.data.replace(/\s/g, "")) {
      return `Records[${i}].kinesis.data is not base64`;
    }
    if (typeof kinesis.sequenceNumber !== "string") return `Records[${i}] has no kinesis.sequenceNumber`;
    if (typeof kinesis.partitionKey !== "string") return `Records[${i}] has no kinesis.partitionKey`;
  }
  return undefined;
}

export type { KinesisStreamEvent };
