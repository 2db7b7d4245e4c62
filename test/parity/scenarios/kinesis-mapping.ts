import { PutRecordCommand, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { ParityContext, Scenario } from "../scenario.js";

// Lambda's Kinesis event-source mapping, from LocalStack's
// lambda_/event_source_mapping/test_lambda_integration_kinesis.py and its snapshot: the event a
// function gets, partial batch responses (each valid and invalid answer), retries, and the
// invocation record in SQS, SNS and S3 on-failure destinations.

const FILE = "lambda_/event_source_mapping/test_lambda_integration_kinesis.snapshot.json";
const CLASS = "TestKinesisSource";

/** A Kinesis record of a Lambda event as recorded (the keys in the order the recording has them). */
function recordedRecord(r: { partitionKey: string; data: string; seq: number; stream: number; role: number }) {
  return {
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: r.partitionKey,
      sequenceNumber: `<sequence-number:${r.seq}>`,
      data: r.data,
      approximateArrivalTimestamp: "<approximate-arrival-timestamp>",
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `shardId-000000000000:<sequence-number:${r.seq}>`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: `arn:<partition>:iam::111111111111:role/<resource:${r.role}>`,
    awsRegion: "<region>",
    eventSourceARN: `arn:<partition>:kinesis:<region>:111111111111:stream/<resource:${r.stream}>`,
  };
}

/** Lambda's invocation record for a batch given up on, as the recording has it in an SQS or SNS destination. */
function recordedFailure(r: { invokeCount: number; functionError: string | null; sequence: string }) {
  return {
    requestContext: {
      requestId: "<uuid:2>",
      functionArn: "arn:<partition>:lambda:<region>:111111111111:function:<resource:3>",
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: r.invokeCount,
    },
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: r.functionError },
    version: "1.0",
    timestamp: "<timestamp:2022-07-13T13:48:01.000Z>",
    KinesisBatchInfo: {
      shardId: "shardId-000000000000",
      startSequenceNumber: r.sequence,
      endSequenceNumber: r.sequence,
      approximateArrivalOfFirstRecord: "<timestamp:2022-07-13T13:48:01.000Z>",
      approximateArrivalOfLastRecord: "<timestamp:2022-07-13T13:48:01.000Z>",
      batchSize: 1,
      streamArn: "arn:<partition>:kinesis:<region>:111111111111:stream/<resource:2>",
    },
  };
}

/** One message received from a queue, as recorded (its body read as JSON). */
const recordedMessage = (body: unknown) => ({
  Messages: [{ Body: body, MD5OfBody: "<m-d5-of-body:1>", MessageId: "<uuid:3>", ReceiptHandle: "<receipt-handle:1>" }],
});

const hello = Buffer.from("hello").toString("base64");

async function putOne(ctx: ParityContext, fixture: string, data: string, partitionKey: string): Promise<void> {
  const stream = ctx.fixture(fixture).stream ?? "";
  await ctx.clients.kinesis.send(
    new PutRecordCommand({ StreamName: stream, Data: Buffer.from(data), PartitionKey: partitionKey }),
  );
}

const fn = (ctx: ParityContext, fixture: string, i = 0) => ctx.fixture(fixture).functions[i] ?? "";

const SUCCESSES = [
  ["empty_string_success", "KinesisSuccessEmptyString"],
  ["empty_list_success", "KinesisSuccessEmptyList"],
  ["null_success", "KinesisSuccessNull"],
  ["empty_dict_success", "KinesisSuccessEmptyDict"],
  ["empty_batch_item_failure_success", "KinesisSuccessEmptyFailures"],
  ["null_batch_item_failure_success", "KinesisSuccessNullFailures"],
] as const;

const FAILURES = [
  ["item_identifier_not_present_failure", "KinesisFailureNoIdentifier", null],
  ["empty_string_item_identifier_failure", "KinesisFailureEmptyIdentifier", null],
  ["null_item_identifier_failure", "KinesisFailureNullIdentifier", null],
  ["invalid_key_foo_failure", "KinesisFailureKeyFoo", null],
  ["invalid_key_foo_null_value_failure", "KinesisFailureKeyFooNull", null],
  ["unhandled_exception_in_function", "KinesisFailureUnhandled", "Unhandled"],
] as const;

/** The single "hello" record the batch-response scenarios put, as each invocation got it (the labels its recording gave). */
const helloEvent = (stream: number, role: number) => ({
  Records: [recordedRecord({ partitionKey: "test", data: hello, seq: 1, stream, role })],
});

export const KINESIS_MAPPING_SCENARIOS: readonly Scenario[] = [
  {
    family: "kinesis-mapping",
    name: "the event of ten records put at once (LATEST)",
    source: { file: FILE, test: `${CLASS}::test_create_kinesis_event_source_mapping`, keys: ["kinesis_records"] },
    fixture: "KinesisCreate",
    async run(ctx) {
      await ctx.clients.kinesis.send(
        new PutRecordsCommand({
          StreamName: ctx.fixture("KinesisCreate").stream,
          Records: Array.from({ length: 10 }, (_, i) => ({ Data: Buffer.from("hello"), PartitionKey: `test_${i}` })),
        }),
      );
      const [events] = await ctx.invocationEvents(fn(ctx, "KinesisCreate"), 1);
      return { kinesis_records: events };
    },
    recorded: {
      kinesis_records: {
        Records: Array.from({ length: 10 }, (_, i) =>
          recordedRecord({ partitionKey: `test_${i}`, data: hello, seq: i + 1, stream: 1, role: 3 }),
        ),
      },
    },
  },
  {
    family: "kinesis-mapping",
    name: "two functions on one stream each get the record",
    source: {
      file: FILE,
      test: `${CLASS}::test_create_kinesis_event_source_mapping_multiple_lambdas_single_kinesis_event_stream`,
      keys: ["kinesis_records-a", "kinesis_records-b"],
    },
    fixture: "KinesisTwoFunctions",
    async run(ctx) {
      await putOne(ctx, "KinesisTwoFunctions", "hello", "test_1");
      const [a] = await ctx.invocationEvents(fn(ctx, "KinesisTwoFunctions", 0), 1);
      const [b] = await ctx.invocationEvents(fn(ctx, "KinesisTwoFunctions", 1), 1);
      return { "kinesis_records-a": a, "kinesis_records-b": b };
    },
    recorded: {
      "kinesis_records-a": {
        Records: [recordedRecord({ partitionKey: "test_1", data: hello, seq: 1, stream: 1, role: 4 })],
      },
      "kinesis_records-b": {
        Records: [recordedRecord({ partitionKey: "test_1", data: hello, seq: 1, stream: 1, role: 4 })],
      },
    },
  },
  {
    family: "kinesis-mapping",
    name: "a function reporting one record of six failed: retried from it, then the batch to the destination",
    source: { file: FILE, test: `${CLASS}::test_kinesis_report_batch_item_failures`, keys: ["sqs_payload"] },
    fixture: "KinesisBatchFailures",
    async run(ctx) {
      await ctx.clients.kinesis.send(
        new PutRecordsCommand({
          StreamName: ctx.fixture("KinesisBatchFailures").stream,
          Records: Array.from({ length: 6 }, (_, i) => ({
            Data: Buffer.from(JSON.stringify({ should_fail: i === 5 }).replace(":", ": ")),
            PartitionKey: `test_${i}`,
          })),
        }),
      );
      return { sqs_payload: await ctx.receiveMessages(ctx.fixture("KinesisBatchFailures").destination ?? "") };
    },
    recorded: {
      sqs_payload: recordedMessage(
        recordedFailure({ invokeCount: 4, functionError: null, sequence: "<sequence-number:6>" }),
      ),
    },
  },
  ...SUCCESSES.map(
    ([param, fixture]): Scenario => ({
      family: "kinesis-mapping",
      name: `ReportBatchItemFailures, a successful answer: ${param}`,
      source: {
        file: FILE,
        test: `${CLASS}::test_kinesis_report_batch_item_success_scenarios[${param}]`,
        keys: ["kinesis_events"],
      },
      fixture,
      async run(ctx) {
        await putOne(ctx, fixture, "hello", "test");
        const events = await ctx.invocationEvents(fn(ctx, fixture), 1);
        // Retried (a success taken for a failure) would show as more invocations: give them time to show.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return { kinesis_events: await ctx.invocationEvents(fn(ctx, fixture), events.length) };
      },
      recorded: { kinesis_events: [helloEvent(1, 3)] },
    }),
  ),
  ...FAILURES.map(
    ([param, fixture, functionError]): Scenario => ({
      family: "kinesis-mapping",
      name: `ReportBatchItemFailures, a failing answer: ${param}`,
      source: {
        file: FILE,
        test: `${CLASS}::test_kinesis_report_batch_item_failure_scenarios[${param}]`,
        keys: ["sqs_payload", "kinesis_events"],
      },
      fixture,
      async run(ctx) {
        await putOne(ctx, fixture, "hello", "test");
        const sqs_payload = await ctx.receiveMessages(ctx.fixture(fixture).destination ?? "");
        return { sqs_payload, kinesis_events: await ctx.invocationEvents(fn(ctx, fixture), 3) };
      },
      recorded: {
        sqs_payload: recordedMessage(
          recordedFailure({ invokeCount: 3, functionError, sequence: "<sequence-number:1>" }),
        ),
        kinesis_events: [helloEvent(2, 4), helloEvent(2, 4), helloEvent(2, 4)],
      },
    }),
  ),
  ...(
    [
      ["sqs", "test_kinesis_event_source_mapping_with_on_failure_destination_config", "sqs_payload"],
      ["sns", "test_kinesis_event_source_mapping_with_sns_on_failure_destination_config", "failure_sns_message"],
      ["s3", "test_kinesis_event_source_mapping_with_s3_on_failure_destination", "record_body"],
    ] as const
  ).map(
    ([kind, test, key]): Scenario => ({
      family: "kinesis-mapping",
      name: `a failing batch's invocation record in an ${kind.toUpperCase()} on-failure destination`,
      source: { file: FILE, test: `${CLASS}::${test}`, keys: [key] },
      fixture: `KinesisOnFailure${kind.toUpperCase()}`,
      async run(ctx) {
        const fixture = `KinesisOnFailure${kind.toUpperCase()}`;
        const message = { input: "hello", value: "world", raise_error: 1 };
        // Python's json.dumps: ", " and ": " between items.
        await putOne(ctx, fixture, JSON.stringify(message).replace(/,/g, ", ").replace(/:/g, ": "), "custom");
        const destination = ctx.fixture(fixture).destination ?? "";
        if (kind === "s3") return { [key]: await ctx.onlyObject(destination) };
        const received = await ctx.receiveMessages(destination);
        if (kind === "sqs") return { [key]: received };
        const [first] = received.Messages as { Body: unknown }[];
        return { [key]: first?.Body };
      },
      recorded: {
        sqs: {
          sqs_payload: recordedMessage(
            recordedFailure({ invokeCount: 2, functionError: "Unhandled", sequence: "<start-sequence-number:1>" }),
          ),
        },
        sns: {
          failure_sns_message: {
            Message: recordedFailure({
              invokeCount: 2,
              functionError: "Unhandled",
              sequence: "<start-sequence-number:1>",
            }),
            MessageId: "<uuid:3>",
            Signature: "<signature>",
            SignatureVersion: "1",
            SigningCertURL: "<cert-domain>/SimpleNotificationService-<signing-cert-file:1>",
            Timestamp: "<timestamp:2022-07-13T13:48:01.000Z>",
            TopicArn: "arn:<partition>:sns:<region>:111111111111:<resource:1>",
            Type: "Notification",
            UnsubscribeURL:
              "<unsubscribe-domain>/?Action=Unsubscribe&SubscriptionArn=arn:<partition>:sns:<region>:111111111111:<resource:1>:<resource:4>",
          },
        },
        s3: {
          record_body: {
            KinesisBatchInfo: {
              approximateArrivalOfFirstRecord: "<timestamp:2022-07-13T13:48:01.000Z>",
              approximateArrivalOfLastRecord: "<timestamp:2022-07-13T13:48:01.000Z>",
              batchSize: 1,
              endSequenceNumber: "<sequence-number:1>",
              shardId: "<kinesis-shard-id>",
              startSequenceNumber: "<sequence-number:1>",
              streamArn: "arn:<partition>:kinesis:<region>:111111111111:stream/<resource:2>",
            },
            payload: {
              Records: [
                {
                  ...recordedRecord({
                    partitionKey: "custom",
                    data: "eyJpbnB1dCI6ICJoZWxsbyIsICJ2YWx1ZSI6ICJ3b3JsZCIsICJyYWlzZV9lcnJvciI6IDF9",
                    seq: 1,
                    stream: 2,
                    role: 4,
                  }),
                  eventID: "<kinesis-shard-id>:<sequence-number:1>",
                },
              ],
            },
            requestContext: {
              approximateInvokeCount: 2,
              condition: "RetryAttemptsExhausted",
              functionArn: "arn:<partition>:lambda:<region>:111111111111:function:<resource:3>",
              requestId: "<uuid:2>",
            },
            responseContext: { executedVersion: "$LATEST", functionError: "Unhandled", statusCode: 200 },
            timestamp: "<timestamp:2022-07-13T13:48:01.000Z>",
            version: "1.0",
          },
        },
      }[kind],
    }),
  ),
];
