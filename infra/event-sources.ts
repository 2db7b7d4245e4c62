import { RECORD_KINDS, type RecordKind } from "../shared/partition-key.js";
import type { OutputKey } from "./outputs.js";

// How each stream feeds its function: the one definition that both the CDK stack and the local
// runner read, so that what runs on a laptop is what runs in the account. A test compares it
// with the synthesized template's AWS::Lambda::EventSourceMapping properties.

export interface EventSourceSettings {
  /** Records per invocation (GetRecords limit). */
  readonly batchSize: number;
  /** How long Lambda may wait to fill a batch, in seconds. */
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: "TRIM_HORIZON" | "LATEST";
  /** Split a failing batch in two and retry the halves, down to the poison record. */
  readonly bisectBatchOnError: boolean;
  /** Retries of a failing batch before it goes to the failure destination. */
  readonly retryAttempts: number;
  /** Records older than this are not processed but sent to the failure destination. */
  readonly maxRecordAgeSeconds: number;
  /** The function answers with batchItemFailures; Lambda checkpoints before the lowest one. */
  readonly reportBatchItemFailures: boolean;
  readonly parallelizationFactor: number;
}

/** The stream functions: each a stream, a function and its event-source mapping in the stack. */
export const STREAM_FUNCTIONS = RECORD_KINDS;
export type StreamFunctionName = RecordKind;

/** The stack outputs naming a stream function's stream and failure destination. */
export const outputsOf = (name: StreamFunctionName): { stream: OutputKey; failures: OutputKey } => ({
  stream: `${logicalIdOf(name)}StreamName` as OutputKey,
  failures: `${logicalIdOf(name)}FailureQueueUrl` as OutputKey,
});

/** A stream function's construct id in the stack ("readings" → "Readings"): its resources' logical ids start with it. */
export const logicalIdOf = (name: StreamFunctionName): string => name[0]?.toUpperCase() + name.slice(1);

const defaults: EventSourceSettings = {
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  startingPosition: "TRIM_HORIZON",
  bisectBatchOnError: true,
  retryAttempts: 5,
  maxRecordAgeSeconds: 24 * 3600,
  reportBatchItemFailures: true,
  // One batch per shard at a time: per-key order is what the applications rely on.
  parallelizationFactor: 1,
};

export type EventSourceOverrides = Partial<Record<StreamFunctionName, Partial<EventSourceSettings>>>;

/** The event-source settings of every stream function, for a stage's overrides. */
export function eventSources(overrides: EventSourceOverrides = {}): Record<StreamFunctionName, EventSourceSettings> {
  return Object.fromEntries(STREAM_FUNCTIONS.map((name) => [name, { ...defaults, ...overrides[name] }])) as Record<
    StreamFunctionName,
    EventSourceSettings
  >;
}
