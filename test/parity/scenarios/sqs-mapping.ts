import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { ParityContext, Scenario } from "../scenario.js";
import { answer, normalised, pythonJson, receive, SQS_MAPPING_NAMES } from "./api.js";

// Lambda's SQS event-source mapping, from LocalStack's
// lambda_/event_source_mapping/test_lambda_integration_sqs.py and its snapshot: the event (body,
// attributes, message attributes and their MD5), partial batch responses Lambda takes as success ({})
// or as failure (a malformed one), retries after the visibility timeout into the dead-letter queue,
// and filters on the body.

const FILE = "lambda_/event_source_mapping/test_lambda_integration_sqs.snapshot.json";
const CLASS = "TestSQSEventSourceMapping";

const send = (
  ctx: ParityContext,
  QueueUrl: string,
  MessageBody: string,
  MessageAttributes?: Record<string, { DataType: string; StringValue: string }>,
) =>
  ctx.clients.sqs.send(
    new SendMessageCommand({ QueueUrl, MessageBody, ...(MessageAttributes ? { MessageAttributes } : {}) }),
  );

/** A record of Lambda's SQS event as recorded (the labels its recording gave). */
function recordedRecord(r: {
  message: number;
  receipt: number;
  body: unknown;
  count?: number;
  md5: string;
  attributes?: Record<string, unknown>;
  md5OfAttributes?: string | null;
}) {
  return {
    messageId: `<uuid:${r.message}>`,
    receiptHandle: `<receipt-handle:${r.receipt}>`,
    body: r.body,
    attributes: {
      ApproximateReceiveCount: String(r.count ?? 1),
      SentTimestamp: "sent-timestamp",
      SenderId: "sender-id",
      ApproximateFirstReceiveTimestamp: "<approximate-first-receive-timestamp>",
    },
    messageAttributes: r.attributes ?? {},
    ...(r.md5OfAttributes === undefined ? {} : { md5OfMessageAttributes: r.md5OfAttributes }),
    md5OfBody: r.md5,
    eventSource: "aws:sqs",
    eventSourceARN: "arn:<partition>:sqs:<region>:111111111111:<resource:1>",
    awsRegion: "<region>",
  };
}

/** A ReceiveMessage of one message as recorded. */
const recordedReceive = (body: unknown, ids: { md5: number; message: number; receipt: number }) => ({
  Messages: [
    {
      Body: body,
      MD5OfBody: `<m-d5-of-body:${ids.md5}>`,
      MessageId: `<uuid:${ids.message}>`,
      ReceiptHandle: `<receipt-handle:${ids.receipt}>`,
    },
  ],
});

async function emptyQueue(ctx: ParityContext, QueueUrl: string, what: string): Promise<void> {
  const out = await ctx.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const left =
    Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
  if (left !== 0) throw new Error(`${what} holds ${left} message(s); AWS's holds none`);
}

/** The bodies test_sqs_event_filter sends, matching its filter and not, by its ids. */
const FILTER_ITEMS: Readonly<Record<string, readonly [unknown, unknown]>> = {
  single: [{ "my-key": "my-value" }, { "my-key": "other-value" }],
  or: [{ "my-key": "my-value-two" }, { "my-key": "other-value" }],
  and: [
    { "my-key-one": "my-value-one", "my-key-two": "my-value-two" },
    { "my-key-one": "other-value-", "my-key-two": "my-value-two" },
  ],
  exists: [{ "my-key": "any-value-one" }, { "other-key": "any-value-two" }],
  "numeric-bigger": [{ "my-number": 101 }, { "my-number": 100 }],
  "numeric-smaller": [{ "my-number": 99 }, { "my-number": 100 }],
  "numeric-range": [{ "my-number": 100 }, { "my-number": 200 }],
  prefix: [{ "my-key": "yes-value" }, { "my-key": "no-value" }],
  "valid-json-filter": [{ "my-key": "my-value" }, "plain-string"],
};

const fixtureId = (name: string) => `SqsFilter${name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;

export const SQS_MAPPING_SCENARIOS: readonly Scenario[] = [
  {
    family: "sqs-mapping",
    name: "a partial batch response of {} is a success: nothing retried, nothing in the dead-letter queue",
    source: {
      file: FILE,
      test: "test_report_batch_item_failures_empty_json_batch_succeeds",
      keys: ["get_destination_queue_url", "first_invocation"],
    },
    fixture: "SqsEmptyJsonSucceeds",
    nullsDropped: {
      "$.first_invocation.Messages[0].Body.event.Records[0].md5OfMessageAttributes":
        "relayed through an SQS body, the recording has no null fields (test_sqs_event_source_mapping's event, read from the log, keeps md5OfMessageAttributes: null)",
    },
    async run(ctx) {
      const f = ctx.fixture("SqsEmptyJsonSucceeds");
      const results = f.destination ?? "";
      await send(ctx, f.queue ?? "", pythonJson({ message: 1, fail_attempts: 0 }));
      const first = await receive(ctx, { QueueUrl: results, MaxNumberOfMessages: 1 }, SQS_MAPPING_NAMES);
      // The message's visibility timeout (10 s, fixtures.ts) and one more second: a batch taken for failed would be in the DLQ.
      await new Promise((resolve) => setTimeout(resolve, 11_000));
      await emptyQueue(ctx, f.deadLetter ?? "", "the dead-letter queue");
      return { get_destination_queue_url: await queueUrlAnswer(ctx, results), first_invocation: first };
    },
    recorded: {
      get_destination_queue_url: { QueueUrl: "<queue-url:1>" },
      first_invocation: recordedReceive(
        {
          event: {
            Records: [
              recordedRecord({
                message: 1,
                receipt: 2,
                body: '{"message": 1, "fail_attempts": 0}',
                md5: "<md5-of-body:1>",
              }),
            ],
          },
          result: {},
        },
        { md5: 1, message: 2, receipt: 1 },
      ),
    },
  },
  {
    family: "sqs-mapping",
    name: "a malformed partial batch response fails the whole batch: retried, then in the dead-letter queue",
    source: {
      file: FILE,
      test: "test_report_batch_item_failures_invalid_result_json_batch_fails",
      keys: ["get_destination_queue_url", "first_invocation", "second_invocation", "dlq_response"],
    },
    fixture: "SqsInvalidJsonFails",
    nullsDropped: {
      "$.first_invocation.Messages[0].Body.event.Records[0].md5OfMessageAttributes":
        "as above: relayed through an SQS body",
      "$.second_invocation.Messages[0].Body.event.Records[0].md5OfMessageAttributes":
        "as above: relayed through an SQS body",
    },
    async run(ctx) {
      const f = ctx.fixture("SqsInvalidJsonFails");
      const results = f.destination ?? "";
      await send(ctx, f.queue ?? "", pythonJson({ message: 1, fail_attempts: 0 }));
      const read = () => receive(ctx, { QueueUrl: results, MaxNumberOfMessages: 1 }, SQS_MAPPING_NAMES);
      const first = await read();
      const second = await read();
      return {
        get_destination_queue_url: await queueUrlAnswer(ctx, results),
        first_invocation: first,
        second_invocation: second,
        dlq_response: await receive(ctx, { QueueUrl: f.deadLetter ?? "" }, SQS_MAPPING_NAMES),
      };
    },
    recorded: {
      get_destination_queue_url: { QueueUrl: "<queue-url:1>" },
      first_invocation: recordedReceive(
        {
          event: {
            Records: [
              recordedRecord({
                message: 1,
                receipt: 4,
                body: '{"message": 1, "fail_attempts": 0}',
                md5: "<m-d5-of-body:3>",
              }),
            ],
          },
          result: { batchItemFailures: [{ foo: "notvalid" }] },
        },
        { md5: 1, message: 2, receipt: 1 },
      ),
      second_invocation: recordedReceive(
        {
          event: {
            Records: [
              recordedRecord({
                message: 1,
                receipt: 5,
                body: '{"message": 1, "fail_attempts": 0}',
                md5: "<m-d5-of-body:3>",
                count: 2,
              }),
            ],
          },
          result: { batchItemFailures: [{ foo: "notvalid" }] },
        },
        { md5: 2, message: 3, receipt: 2 },
      ),
      dlq_response: recordedReceive({ message: 1, fail_attempts: 0 }, { md5: 3, message: 1, receipt: 3 }),
    },
  },
  {
    family: "sqs-mapping",
    name: "a message's body and attributes, and their MD5s, as the function gets them",
    source: {
      file: FILE,
      test: "test_message_body_and_attributes_passed_correctly",
      keys: ["get_destination_queue_url", "first_attempt"],
    },
    fixture: "SqsBodyAndAttributes",
    async run(ctx) {
      const f = ctx.fixture("SqsBodyAndAttributes");
      const results = f.destination ?? "";
      await send(ctx, f.queue ?? "", pythonJson({ destination: results, fail_attempts: 0 }), {
        Title: { DataType: "String", StringValue: "The Whistler" },
        Author: { DataType: "String", StringValue: "John Grisham" },
        WeeksOn: { DataType: "Number", StringValue: "6" },
      });
      return {
        get_destination_queue_url: await queueUrlAnswer(ctx, results),
        first_attempt: await receive(ctx, { QueueUrl: results, MaxNumberOfMessages: 1 }, SQS_MAPPING_NAMES),
      };
    },
    recorded: {
      get_destination_queue_url: { QueueUrl: "<queue-url:1>" },
      first_attempt: recordedReceive(
        {
          error: null,
          event: {
            Records: [
              recordedRecord({
                message: 1,
                receipt: 2,
                body: '{"destination": "<queue-url:1>", "fail_attempts": 0}',
                md5: "<md5-of-body:1>",
                attributes: {
                  WeeksOn: { stringValue: "6", stringListValues: [], binaryListValues: [], dataType: "Number" },
                  Author: {
                    stringValue: "John Grisham",
                    stringListValues: [],
                    binaryListValues: [],
                    dataType: "String",
                  },
                  Title: {
                    stringValue: "The Whistler",
                    stringListValues: [],
                    binaryListValues: [],
                    dataType: "String",
                  },
                },
                md5OfAttributes: "d25a6aea97eb8f585bfa92d314504a92",
              }),
            ],
          },
        },
        { md5: 1, message: 2, receipt: 1 },
      ),
    },
  },
  {
    family: "sqs-mapping",
    name: "the event of one message, and the queue empty after",
    source: { file: FILE, test: `${CLASS}::test_sqs_event_source_mapping`, keys: ["events"] },
    fixture: "SqsEcho",
    async run(ctx) {
      const f = ctx.fixture("SqsEcho");
      await send(ctx, f.queue ?? "", pythonJson({ foo: "bar" }));
      const events = await ctx.invocationEvents(f.functions[0] ?? "", 1);
      await emptyQueue(ctx, f.queue ?? "", "the queue");
      return { events: normalised(events, SQS_MAPPING_NAMES) };
    },
    recorded: {
      events: [
        {
          Records: [
            recordedRecord({
              message: 2,
              receipt: 1,
              body: { foo: "bar" },
              md5: "<md5-of-body:1>",
              md5OfAttributes: null,
            }),
          ],
        },
      ],
    },
  },
  ...Object.entries(FILTER_ITEMS).map(
    ([name, [matching, notMatching]]): Scenario => ({
      family: "sqs-mapping",
      name: `a filter on the body (${name}): the matching message invokes, the other is deleted unseen`,
      source: { file: FILE, test: `${CLASS}::test_sqs_event_filter[${name}]`, keys: ["invocation_events"] },
      fixture: fixtureId(name),
      async run(ctx) {
        const f = ctx.fixture(fixtureId(name));
        const queue = f.queue ?? "";
        await send(ctx, queue, pythonJson(matching));
        await send(ctx, queue, typeof notMatching === "string" ? notMatching : pythonJson(notMatching));
        const events = await ctx.invocationEvents(f.functions[0] ?? "", 1);
        // Both gone from the queue: one processed, one left out by the filter.
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          try {
            await emptyQueue(ctx, queue, "the queue");
            break;
          } catch (err) {
            if (Date.now() > deadline - 200) throw err;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
        return { invocation_events: normalised(events, SQS_MAPPING_NAMES) };
      },
      recorded: {
        invocation_events: [
          {
            Records: [
              recordedRecord({ message: 2, receipt: 1, body: matching, md5: "<md5-of-body:1>", md5OfAttributes: null }),
            ],
          },
        ],
      },
    }),
  ),
];

async function queueUrlAnswer(ctx: ParityContext, queueUrl: string) {
  return answer(
    await ctx.clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueUrl.slice(queueUrl.lastIndexOf("/") + 1) })),
  );
}
