// What the parity scenarios need deployed, declared once: app.ts makes a stream, a function and a
// mapping (or a queue and its mapping) of each, as LocalStack's AWS-validated tests create them
// through the API; the scenarios (../scenarios/) drive them and read what happened. Each fixture
// has its own function, so that its log holds its scenario's invocations only.

/** The functions, ported from the handlers LocalStack's tests deploy (functions/*.ts). */
export type FunctionCode =
  | "echo"
  | "respond"
  | "kinesis-batch-failures"
  | "raise-on-flag"
  | "echo-fail"
  | "sqs-batch-failure"
  | "sqs-integration"
  | "none"
  | "timeout";

export interface StreamFixture {
  readonly kind: "kinesis";
  readonly id: string;
  readonly code: FunctionCode;
  /** For `respond`: what the function answers ("raise": an unhandled exception). */
  readonly response?: unknown;
  readonly mapping: {
    readonly startingPosition: "LATEST" | "TRIM_HORIZON";
    readonly batchSize?: number;
    readonly maxBatchingWindowSeconds?: number;
    readonly retryAttempts?: number;
    readonly maxRecordAgeSeconds?: number;
    readonly reportBatchItemFailures?: boolean;
    readonly bisectBatchOnError?: boolean;
    /** Lambda's filter patterns, each as JSON. */
    readonly filters?: readonly Record<string, unknown>[];
  };
  readonly onFailure?: "sqs" | "sns" | "s3";
  /** More functions on the same stream (each with the same mapping). */
  readonly alsoFeeds?: number;
}

export interface QueueFixture {
  readonly kind: "sqs";
  readonly id: string;
  readonly code: FunctionCode;
  readonly timeoutSeconds?: number;
  /** For sqs-batch-failure: what it answers instead of its result. */
  readonly overwriteResult?: string;
  /** A queue the function sends its results to (DESTINATION_QUEUE_URL, or named in the message). */
  readonly results?: boolean;
  readonly queue: { readonly visibilityTimeoutSeconds?: number; readonly maxReceiveCount?: number };
  readonly mapping: {
    readonly batchSize?: number;
    readonly maxBatchingWindowSeconds?: number;
    readonly reportBatchItemFailures?: boolean;
    readonly filters?: readonly Record<string, unknown>[];
  };
}

/** A function invoked through Lambda's Invoke, no event source. */
export interface FunctionFixture {
  readonly kind: "function";
  readonly id: string;
  readonly code: FunctionCode;
  readonly timeoutSeconds?: number;
}

/**
 * One function fed by many streams (finding 2 of the parity issue): the first stream's records keep
 * failing (retried forever), and every other mapping must still invoke the function on its own.
 */
export interface FanInFixture {
  readonly kind: "fan-in";
  readonly id: string;
  readonly streams: number;
}

export type Fixture = StreamFixture | QueueFixture | FunctionFixture | FanInFixture;

/** The filters of test_sqs_event_filter, by its ids. */
export const SQS_FILTERS: Readonly<Record<string, Record<string, unknown>>> = {
  single: { body: { "my-key": ["my-value"] } },
  or: { body: { "my-key": ["my-value-one", "my-value-two"] } },
  and: { body: { "my-key-one": ["other-filter", "my-value-one"], "my-key-two": ["my-value-two"] } },
  exists: { body: { "my-key": [{ exists: true }] } },
  "numeric-bigger": { body: { "my-number": [{ numeric: [">", 100] }] } },
  "numeric-smaller": { body: { "my-number": [{ numeric: ["<", 100] }] } },
  "numeric-range": { body: { "my-number": [{ numeric: [">=", 100, "<", 200] }] } },
  prefix: { body: { "my-key": [{ prefix: "yes" }] } },
  "valid-json-filter": { body: { "my-key": ["my-value"] } },
};

const respond = (id: string, response: unknown): StreamFixture => ({
  kind: "kinesis",
  id,
  code: "respond",
  response,
  mapping: {
    startingPosition: "TRIM_HORIZON",
    batchSize: 1,
    maxBatchingWindowSeconds: 1,
    reportBatchItemFailures: true,
    retryAttempts: 2,
  },
});

/**
 * LocalStack's test uses a 4 s visibility timeout and function timeout; a batch that must not come
 * back gets longer ones here, since a function's first call through the SDK takes seconds on a loaded
 * 2-core machine (AWS: well under one), and a timed-out invocation returns its batch to the queue.
 */
const failingBatch = (
  id: string,
  overwriteResult: string,
  maxReceiveCount: number,
  visibilityTimeoutSeconds = 4,
): QueueFixture => ({
  kind: "sqs",
  id,
  code: "sqs-batch-failure",
  timeoutSeconds: visibilityTimeoutSeconds,
  overwriteResult,
  results: true,
  queue: { visibilityTimeoutSeconds, maxReceiveCount },
  mapping: { batchSize: 10, maxBatchingWindowSeconds: 0, reportBatchItemFailures: true },
});

export const FIXTURES: readonly Fixture[] = [
  { kind: "fan-in", id: "FanIn", streams: 17 },
  { kind: "function", id: "InvokeEcho", code: "echo" },
  { kind: "function", id: "InvokeNone", code: "none" },
  { kind: "function", id: "InvokeTimeout", code: "timeout", timeoutSeconds: 1 },
  failingBatch("SqsEmptyJsonSucceeds", "{}", 1, 10),
  failingBatch("SqsInvalidJsonFails", '{"batchItemFailures": [{"foo":"notvalid"}]}', 2),
  {
    kind: "sqs",
    id: "SqsBodyAndAttributes",
    code: "sqs-integration",
    timeoutSeconds: 5,
    results: true,
    queue: { visibilityTimeoutSeconds: 5, maxReceiveCount: 2 },
    mapping: { batchSize: 1 },
  },
  { kind: "sqs", id: "SqsEcho", code: "echo", queue: {}, mapping: { maxBatchingWindowSeconds: 1 } },
  ...Object.entries(SQS_FILTERS).map(
    ([name, filter]): QueueFixture => ({
      kind: "sqs",
      id: `SqsFilter${name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
      code: "echo",
      queue: {},
      mapping: { maxBatchingWindowSeconds: 1, filters: [filter] },
    }),
  ),
  { kind: "kinesis", id: "KinesisCreate", code: "echo", mapping: { startingPosition: "LATEST" } },
  {
    kind: "kinesis",
    id: "KinesisTwoFunctions",
    code: "echo",
    mapping: { startingPosition: "TRIM_HORIZON" },
    alsoFeeds: 1,
  },
  ...(
    [
      ["SuccessEmptyString", ""],
      ["SuccessEmptyList", []],
      ["SuccessNull", null],
      ["SuccessEmptyDict", {}],
      ["SuccessEmptyFailures", { batchItemFailures: [] }],
      ["SuccessNullFailures", { batchItemFailures: null }],
    ] as const
  ).map(([id, response]) => respond(`Kinesis${id}`, response)),
  ...(
    [
      ["FailureNoIdentifier", { batchItemFailures: [{ itemIdentifier: 123 }] }],
      ["FailureEmptyIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
      ["FailureNullIdentifier", { batchItemFailures: [{ itemIdentifier: null }] }],
      ["FailureKeyFoo", { batchItemFailures: [{ foo: 123 }] }],
      ["FailureKeyFooNull", { batchItemFailures: [{ foo: null }] }],
      ["FailureUnhandled", "raise"],
    ] as const
  ).map(([id, response]) => ({ ...respond(`Kinesis${id}`, response), onFailure: "sqs" as const })),
  {
    kind: "kinesis",
    id: "KinesisBatchFailures",
    code: "kinesis-batch-failures",
    mapping: {
      startingPosition: "TRIM_HORIZON",
      batchSize: 3,
      maxBatchingWindowSeconds: 1,
      retryAttempts: 3,
      reportBatchItemFailures: true,
    },
    onFailure: "sqs",
  },
  ...(["sqs", "sns", "s3"] as const).map(
    (onFailure): StreamFixture => ({
      kind: "kinesis",
      id: `KinesisOnFailure${onFailure.toUpperCase()}`,
      code: "raise-on-flag",
      mapping: { startingPosition: "TRIM_HORIZON", batchSize: 1, maxBatchingWindowSeconds: 1, retryAttempts: 1 },
      onFailure,
    }),
  ),
];
