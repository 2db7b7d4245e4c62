// What the parity scenarios need deployed, declared once: app.ts makes a stream, a function and a
// mapping (or a queue and its mapping) of each, as LocalStack's AWS-validated tests create them
// through the API; the scenarios (../scenarios/) drive them and read what happened. Each fixture
// has its own function, so that its log holds its scenario's invocations only.

/** The functions, ported from the handlers LocalStack's tests deploy (functions/*.ts). */
export type FunctionCode = "echo" | "respond" | "kinesis-batch-failures" | "raise-on-flag" | "echo-fail";

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

export type Fixture = StreamFixture;

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

export const FIXTURES: readonly Fixture[] = [
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
