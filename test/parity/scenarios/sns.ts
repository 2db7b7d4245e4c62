import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  type MessageAttributeValue,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import { DeleteMessageCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { ParityContext, Scenario } from "../scenario.js";
import {
  answer,
  createQueue,
  createTopic,
  errorOf,
  pythonJson,
  queueArn,
  receive,
  sqsSubscription,
  uid,
} from "./api.js";

// SNS, from LocalStack's sns/test_sns.py and its snapshot: what a queue receives (the envelope with
// and without raw delivery, MessageStructure json, TargetArn), topics' and subscriptions' attributes,
// FIFO delivery and deduplication, and the errors of malformed publishing as AWS words them.

const FILE = "sns/test_sns.snapshot.json";
const sns = (ctx: ParityContext) => ctx.clients.sns;

/** The characters test_create_topic_name_constraints puts in a name, in its order. */
const BAD_NAME_CHARACTERS = [":", ";", "!", "@", "|", "^", "%", " "];

const error = (Code: string, Message: string) => ({ Error: { Code, Message, Type: "Sender" } });
const invalid = (message: string) => error("InvalidParameter", `Invalid parameter: ${message}`);
const attributeError = (message: string) => error("ParameterValueInvalid", message);

/** A received message's envelope as recorded (no Subject, no MessageAttributes unless given). */
const recordedEnvelope = (message: string, ids: { message: number }, extra: Record<string, unknown> = {}) => ({
  Type: "Notification",
  MessageId: `<uuid:${ids.message}>`,
  TopicArn: "arn:<partition>:sns:<region>:111111111111:<resource:1>",
  Message: message,
  Timestamp: "date",
  SignatureVersion: "1",
  Signature: "<signature>",
  SigningCertURL: "<cert-domain>/SimpleNotificationService-<signing-cert-file:1>",
  UnsubscribeURL:
    "<unsubscribe-domain>/?Action=Unsubscribe&SubscriptionArn=arn:<partition>:sns:<region>:111111111111:<resource:1>:<resource:2>",
  ...extra,
});

const recordedReceive = (body: unknown, ids: { message: number; receipt: number }) => ({
  Messages: [
    {
      Body: body,
      MD5OfBody: "<md5-hash>",
      MessageId: `<uuid:${ids.message}>`,
      ReceiptHandle: `<receipt-handle:${ids.receipt}>`,
    },
  ],
});

const subscriptionAttributes = (raw: "true" | "false") => ({
  Attributes: {
    ConfirmationWasAuthenticated: "true",
    Endpoint: "arn:<partition>:sqs:<region>:111111111111:<resource:1>",
    Owner: "111111111111",
    PendingConfirmation: "false",
    Protocol: "sqs",
    RawMessageDelivery: raw,
    SubscriptionArn: "arn:<partition>:sns:<region>:111111111111:<resource:4>:<resource:2>",
    SubscriptionPrincipal: "arn:<partition>:iam::111111111111:user/<resource:3>",
    TopicArn: "arn:<partition>:sns:<region>:111111111111:<resource:4>",
  },
});

async function deleteFirst(ctx: ParityContext, queueUrl: string, received: Record<string, unknown>) {
  const [first] = (received.Messages ?? []) as { ReceiptHandle?: string }[];
  await ctx.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first?.ReceiptHandle }));
}

/** The attribute maps test_empty_or_wrong_message_attributes publishes, each refused. */
const WRONG_ATTRIBUTES: Record<string, Record<string, MessageAttributeValue>> = {
  missing_string_attr: { attr1: { DataType: "String", StringValue: "" } },
  fully_missing_string_attr: { attr1: { DataType: "String" } },
  fully_missing_data_type: { attr1: { StringValue: "value" } as MessageAttributeValue },
  missing_binary_attr: { attr1: { DataType: "Binary", BinaryValue: new Uint8Array() } },
  str_attr_binary_value: { attr1: { DataType: "String", BinaryValue: Buffer.from("123") } },
  int_attr_binary_value: { attr1: { DataType: "Number", BinaryValue: Buffer.from("123") } },
  binary_attr_string_value: { attr1: { DataType: "Binary", StringValue: "123" } },
  invalid_attr_string_value: { attr1: { DataType: "InvalidType", StringValue: "123" } },
  too_long_name: { ["a".repeat(257)]: { DataType: "String", StringValue: "123" } },
  invalid_name: { "a^*?": { DataType: "String", StringValue: "123" } },
  invalid_name_2: { ".abc": { DataType: "String", StringValue: "123" } },
  invalid_name_3: { "abc.": { DataType: "String", StringValue: "123" } },
  invalid_name_4: { "a..bc": { DataType: "String", StringValue: "123" } },
};

const WRONG_ATTRIBUTE_ERRORS: Record<string, Record<string, unknown>> = {
  missing_string_attr: attributeError(
    "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'.",
  ),
  fully_missing_string_attr: attributeError(
    "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'.",
  ),
  missing_binary_attr: attributeError(
    "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'Binary'.",
  ),
  str_attr_binary_value: attributeError("The message attribute 'attr1' with type 'String' must use field 'String'."),
  int_attr_binary_value: attributeError("The message attribute 'attr1' with type 'Number' must use field 'String'."),
  binary_attr_string_value: attributeError("The message attribute 'attr1' with type 'Binary' must use field 'Binary'."),
  invalid_attr_string_value: attributeError(
    "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
  ),
  too_long_name: attributeError("Length of message attribute name must be less than 256 bytes."),
  invalid_name: attributeError(
    "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
  ),
  invalid_name_2: attributeError("Invalid message attribute name starting with character '.' was found."),
  invalid_name_3: attributeError("Invalid message attribute name ending with character '.' was found."),
  invalid_name_4: attributeError("Message attribute name can not have successive '.' character."),
};

const EFFECTIVE_DELIVERY_POLICY = {
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 20,
      maxDelayTarget: 20,
      numRetries: 3,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: "linear",
    },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: "text/plain; charset=UTF-8" },
  },
};

export const SNS_SCENARIOS: readonly Scenario[] = [
  {
    family: "sns",
    name: "to a queue: raw delivery (attributes as SQS's), then the envelope (attributes as SNS's), by TargetArn",
    source: {
      file: FILE,
      test: "TestSNSSubscriptionSQS::test_publish_sqs_from_sns",
      keys: ["sub-attrs-raw-true", "message-raw-true", "sub-attrs-raw-false", "message-raw-false"],
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      const queueUrl = await createQueue(ctx);
      const { arn } = await sqsSubscription(ctx, topicArn, queueUrl);
      const setRaw = (value: string) =>
        sns(ctx).send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: arn,
            AttributeName: "RawMessageDelivery",
            AttributeValue: value,
          }),
        );
      const attributes = async () =>
        answer(await sns(ctx).send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn })));
      await setRaw("true");
      const rawTrue = await attributes();
      await sns(ctx).send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: "Test msg",
          MessageAttributes: { attr1: { DataType: "Number", StringValue: "99.12" } },
        }),
      );
      const received = { QueueUrl: queueUrl, MessageAttributeNames: ["All"], VisibilityTimeout: 0 };
      const messageRawTrue = await receive(ctx, received);
      await deleteFirst(ctx, queueUrl, messageRawTrue);
      await setRaw("false");
      const rawFalse = await attributes();
      await sns(ctx).send(
        new PublishCommand({
          TargetArn: topicArn,
          Message: "Test msg",
          MessageAttributes: { attr1: { DataType: "Number", StringValue: "100.12" } },
        }),
      );
      return {
        "sub-attrs-raw-true": rawTrue,
        "message-raw-true": messageRawTrue,
        "sub-attrs-raw-false": rawFalse,
        "message-raw-false": await receive(ctx, received),
      };
    },
    recorded: {
      "sub-attrs-raw-true": subscriptionAttributes("true"),
      "message-raw-true": {
        Messages: [
          {
            Body: "Test msg",
            MD5OfBody: "<md5-hash>",
            MD5OfMessageAttributes: "d302007e9aa062660afc85fd0a482472",
            MessageAttributes: { attr1: { DataType: "Number", StringValue: "99.12" } },
            MessageId: "<uuid:1>",
            ReceiptHandle: "<receipt-handle:1>",
          },
        ],
      },
      "sub-attrs-raw-false": subscriptionAttributes("false"),
      "message-raw-false": recordedReceive(
        {
          ...recordedEnvelope("Test msg", { message: 2 }),
          TopicArn: "arn:<partition>:sns:<region>:111111111111:<resource:4>",
          UnsubscribeURL:
            "<unsubscribe-domain>/?Action=Unsubscribe&SubscriptionArn=arn:<partition>:sns:<region>:111111111111:<resource:4>:<resource:2>",
          MessageAttributes: { attr1: { Type: "Number", Value: "100.12" } },
        },
        { message: 3, receipt: 2 },
      ),
    },
  },
  {
    family: "sns",
    name: "Publish by TopicArn and by TargetArn deliver alike",
    source: {
      file: FILE,
      test: "TestSNSPublishCrud::test_publish_message_by_target_arn",
      keys: ["receive-topic-arn", "receive-target-arn"],
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      const queueUrl = await createQueue(ctx);
      await sqsSubscription(ctx, topicArn, queueUrl);
      const received = { QueueUrl: queueUrl, MessageAttributeNames: ["All"], VisibilityTimeout: 0 };
      await sns(ctx).send(new PublishCommand({ TopicArn: topicArn, Message: "test-msg-1" }));
      const byTopic = await receive(ctx, received);
      await deleteFirst(ctx, queueUrl, byTopic);
      await sns(ctx).send(new PublishCommand({ TargetArn: topicArn, Message: "test-msg-2" }));
      return { "receive-topic-arn": byTopic, "receive-target-arn": await receive(ctx, received) };
    },
    recorded: {
      "receive-topic-arn": recordedReceive(recordedEnvelope("test-msg-1", { message: 1 }), { message: 2, receipt: 1 }),
      "receive-target-arn": recordedReceive(recordedEnvelope("test-msg-2", { message: 3 }), { message: 4, receipt: 2 }),
    },
  },
  {
    family: "sns",
    name: "MessageStructure json: a queue gets its sqs entry, else the default",
    source: {
      file: FILE,
      test: "TestSNSSubscriptionSQS::test_message_structure_json_to_sqs",
      keys: ["get-msg-json-sqs", "get-msg-json-default"],
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      const queueUrl = await createQueue(ctx);
      await sqsSubscription(ctx, topicArn, queueUrl);
      const publish = (message: unknown) =>
        sns(ctx).send(
          new PublishCommand({ TopicArn: topicArn, Message: pythonJson(message), MessageStructure: "json" }),
        );
      await publish({ default: "default field", sqs: pythonJson({ field: "value" }) });
      const first = await receive(ctx, { QueueUrl: queueUrl, MaxNumberOfMessages: 1 });
      await deleteFirst(ctx, queueUrl, first);
      await publish({ default: "default field", sqs: { field: "value" } });
      return {
        "get-msg-json-sqs": first,
        "get-msg-json-default": await receive(ctx, { QueueUrl: queueUrl, MaxNumberOfMessages: 1 }),
      };
    },
    recorded: {
      "get-msg-json-sqs": recordedReceive(recordedEnvelope('{"field": "value"}', { message: 1 }), {
        message: 2,
        receipt: 1,
      }),
      "get-msg-json-default": recordedReceive(recordedEnvelope("default field", { message: 3 }), {
        message: 4,
        receipt: 2,
      }),
    },
  },
  {
    family: "sns",
    name: "MessageStructure json refused: no default, not JSON, a default that is no string; duplicate keys taken",
    source: {
      file: FILE,
      test: "TestSNSPublishCrud::test_message_structure_json_exc",
      keys: ["missing-default-key", "invalid-json", "duplicate-json-keys", "key-is-not-string"],
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      const publish = (Message: string) =>
        sns(ctx).send(new PublishCommand({ TopicArn: topicArn, Message, MessageStructure: "json" }));
      return {
        "missing-default-key": await errorOf(publish(pythonJson({ sqs: "Test message" }))),
        "invalid-json": await errorOf(publish('{"default": "This is a default message"} }')),
        "duplicate-json-keys": answer(
          await publish('{"default": "This is a default message", "default": "Duplicate"}'),
        ),
        "key-is-not-string": await errorOf(publish(pythonJson({ default: { object: "test" } }))),
      };
    },
    recorded: {
      "missing-default-key": invalid("Message Structure - No default entry in JSON message body"),
      "invalid-json": invalid("Message Structure - JSON message body failed to parse"),
      "duplicate-json-keys": { MessageId: "<uuid:1>" },
      "key-is-not-string": invalid("Message Structure - No default entry in JSON message body"),
    },
  },
  {
    family: "sns",
    name: "a TopicArn that is no ARN, or names no topic",
    source: {
      file: FILE,
      test: "TestSNSPublishCrud::test_publish_wrong_arn_format",
      keys: ["invalid-topic-arn", "invalid-topic-arn-1", "empty-topic"],
    },
    async run(ctx) {
      const publish = (TopicArn: string) =>
        errorOf(sns(ctx).send(new PublishCommand({ Message: "Good news everyone!", TopicArn })));
      return {
        "invalid-topic-arn": await publish("randomstring"),
        "invalid-topic-arn-1": await publish("randomstring:1"),
        "empty-topic": await publish(""),
      };
    },
    recorded: {
      "invalid-topic-arn": invalid("TopicArn Reason: An ARN must have at least 6 elements, not 1"),
      "invalid-topic-arn-1": invalid("TopicArn Reason: An ARN must have at least 6 elements, not 2"),
      "empty-topic": invalid("TopicArn Reason: An ARN must have at least 6 elements, not 1"),
    },
  },
  {
    family: "sns",
    name: "publishing to a topic without subscribers, and to one that does not exist",
    source: { file: FILE, test: "TestSNSPublishCrud::test_unknown_topic_publish", keys: ["success", "error"] },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      return {
        success: answer(
          await sns(ctx).send(new PublishCommand({ TopicArn: topicArn, Message: "This is a test message" })),
        ),
        error: await errorOf(
          sns(ctx).send(new PublishCommand({ TopicArn: `${topicArn}-fake`, Message: "This is a test message" })),
        ),
      };
    },
    recorded: { success: { MessageId: "<uuid:1>" }, error: error("NotFound", "Topic does not exist") },
  },
  {
    family: "sns",
    name: "an empty message is refused, and nothing reaches the queue",
    source: {
      file: FILE,
      test: "TestSNSPublishCrud::test_empty_sns_message",
      keys: ["empty-msg-error", "queue-attrs"],
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      const queueUrl = await createQueue(ctx);
      await sqsSubscription(ctx, topicArn, queueUrl);
      const failed = await errorOf(sns(ctx).send(new PublishCommand({ Message: "", TopicArn: topicArn })));
      const attrs = await ctx.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
      );
      return { "empty-msg-error": failed, "queue-attrs": answer(attrs) };
    },
    recorded: {
      "empty-msg-error": invalid("Empty message"),
      "queue-attrs": { Attributes: { ApproximateNumberOfMessages: "0" } },
    },
  },
  {
    family: "sns",
    name: "a message over 256 KB, and one that passes it with its attributes",
    source: {
      file: FILE,
      test: "TestSNSPublishCrud::test_publish_too_long_message",
      keys: ["error", "error-with-attrs"],
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      const attrs = { attr1: { DataType: "Number", StringValue: "1" } };
      const withAttrs = "a".repeat(262144 - ("attr1".length + "Number".length + 1) + 1);
      return {
        error: await errorOf(
          sns(ctx).send(new PublishCommand({ TopicArn: topicArn, Message: "This is a test message".repeat(12000) })),
        ),
        "error-with-attrs": await errorOf(
          sns(ctx).send(new PublishCommand({ TopicArn: topicArn, Message: withAttrs, MessageAttributes: attrs })),
        ),
      };
    },
    recorded: { error: invalid("Message too long"), "error-with-attrs": invalid("Message too long") },
  },
  {
    family: "sns",
    name: "a Subject that is empty is refused",
    source: {
      file: FILE,
      test: "TestSNSPublishCrud::test_publish_with_empty_subject",
      keys: ["response-without-subject", "response-with-empty-subject"],
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      const Message = pythonJson({ message: "test_publish" });
      return {
        "response-without-subject": answer(await sns(ctx).send(new PublishCommand({ TopicArn: topicArn, Message }))),
        "response-with-empty-subject": await errorOf(
          sns(ctx).send(new PublishCommand({ TopicArn: topicArn, Subject: "", Message })),
        ),
      };
    },
    recorded: {
      "response-without-subject": { MessageId: "<uuid:1>" },
      "response-with-empty-subject": invalid("Subject"),
    },
  },
  {
    family: "sns",
    name: "message attributes SNS refuses, in Publish and PublishBatch, each with SNS's words",
    source: {
      file: FILE,
      test: "TestSNSSubscriptionSQS::test_empty_or_wrong_message_attributes",
      keys: Object.keys(WRONG_ATTRIBUTES).flatMap((k) => [k, `batch-${k}`]),
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      await sqsSubscription(ctx, topicArn, await createQueue(ctx));
      const out: Record<string, unknown> = {};
      for (const [kind, MessageAttributes] of Object.entries(WRONG_ATTRIBUTES)) {
        out[kind] = await errorOf(
          sns(ctx).send(new PublishCommand({ TopicArn: topicArn, Message: "test message", MessageAttributes })),
        );
        out[`batch-${kind}`] = await errorOf(
          sns(ctx).send(
            new PublishBatchCommand({
              TopicArn: topicArn,
              PublishBatchRequestEntries: [
                { Id: "1", Message: "test-batch", MessageAttributes },
                { Id: "3", Message: "valid-batch" },
              ],
            }),
          ),
        );
      }
      return out;
    },
    recorded: Object.fromEntries(
      Object.keys(WRONG_ATTRIBUTES).flatMap((kind) => {
        const single =
          kind === "fully_missing_data_type"
            ? error(
                "ValidationError",
                "1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member must not be null",
              )
            : WRONG_ATTRIBUTE_ERRORS[kind];
        const batch =
          kind === "fully_missing_data_type"
            ? error(
                "ValidationError",
                "1 validation error detected: Value null at 'publishBatchRequestEntries.1.member.messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member must not be null",
              )
            : WRONG_ATTRIBUTE_ERRORS[kind];
        return [
          [kind, single],
          [`batch-${kind}`, batch],
        ];
      }),
    ),
  },
  {
    family: "sns",
    name: "attribute types: String. and Stringprefixed refused, String.prefixed taken",
    source: {
      file: FILE,
      test: "TestSNSSubscriptionSQS::test_message_attributes_prefixes",
      keys: ["publish-error", "publish-error-2", "publish-ok-1", "publish-ok-2"],
    },
    async run(ctx) {
      const topicArn = await createTopic(ctx);
      await sqsSubscription(ctx, topicArn, await createQueue(ctx));
      const publish = (DataType: string) =>
        sns(ctx).send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: "test message",
            MessageAttributes: { attr1: { DataType, StringValue: "prefixed-1" } },
          }),
        );
      return {
        "publish-error": await errorOf(publish("String.")),
        "publish-error-2": await errorOf(publish("Stringprefixed")),
        "publish-ok-1": answer(await publish("String.prefixed")),
        "publish-ok-2": answer(await publish("String.  prefixed.")),
      };
    },
    recorded: {
      "publish-error": WRONG_ATTRIBUTE_ERRORS.invalid_attr_string_value,
      "publish-error-2": WRONG_ATTRIBUTE_ERRORS.invalid_attr_string_value,
      "publish-ok-1": { MessageId: "<uuid:1>" },
      "publish-ok-2": { MessageId: "<uuid:2>" },
    },
  },
  {
    family: "sns",
    name: "PublishBatch refused: no group id, eleven entries, ids alike, no deduplication, no default",
    source: {
      file: FILE,
      test: "TestSNSSubscriptionSQS::test_publish_batch_exceptions",
      keys: ["no-group-id", "too-many-msg", "same-msg-id", "no-dedup-id", "no-default-key-json"],
    },
    async run(ctx) {
      const { TopicArn } = await sns(ctx).send(
        new CreateTopicCommand({ Name: `${uid("topic")}.fifo`, Attributes: { FifoTopic: "true" } }),
      );
      const batch = (
        PublishBatchRequestEntries: {
          Id: string;
          Message: string;
          MessageGroupId?: string;
          MessageStructure?: string;
        }[],
      ) => errorOf(sns(ctx).send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries })));
      return {
        "no-group-id": await batch([{ Id: "1", Message: "Test message without Group ID" }]),
        "too-many-msg": await batch(
          Array.from({ length: 11 }, (_, i) => ({ Id: `Id_${i}`, Message: "Too many messages" })),
        ),
        "same-msg-id": await batch([
          { Id: "1", Message: "Messages with the same ID" },
          { Id: "1", Message: "Messages with the same ID" },
        ]),
        "no-dedup-id": await batch([
          { Id: "1", Message: "Test message without MessageDeduplicationId", MessageGroupId: "msg1" },
        ]),
        "no-default-key-json": await batch([
          { Id: "1", Message: pythonJson({ sqs: "test sqs" }), MessageStructure: "json" },
        ]),
      };
    },
    recorded: {
      "no-group-id": invalid("The MessageGroupId parameter is required for FIFO topics"),
      "too-many-msg": error(
        "TooManyEntriesInBatchRequest",
        "The batch request contains more entries than permissible.",
      ),
      "same-msg-id": error("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."),
      "no-dedup-id": invalid(
        "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      ),
      "no-default-key-json": invalid("Message Structure - No default entry in JSON message body"),
    },
  },
  {
    family: "sns",
    name: "a FIFO topic's attributes, and GetTopicAttributes of no topic and of no ARN",
    source: {
      file: FILE,
      test: "TestSNSTopicCrud::test_create_topic_with_attributes",
      keys: ["get-topic-attrs", "get-attrs-nonexistent-topic", "get-attrs-malformed-topic"],
    },
    async run(ctx) {
      const { TopicArn = "" } = await sns(ctx).send(
        new CreateTopicCommand({
          Name: `${uid("topictest")}.fifo`,
          Attributes: { DisplayName: "TestTopic", SignatureVersion: "2", FifoTopic: "true" },
        }),
      );
      return {
        "get-topic-attrs": answer(await sns(ctx).send(new GetTopicAttributesCommand({ TopicArn }))),
        "get-attrs-nonexistent-topic": await errorOf(
          sns(ctx).send(new GetTopicAttributesCommand({ TopicArn: `${TopicArn.slice(0, -8)}${uid("x")}` })),
        ),
        "get-attrs-malformed-topic": await errorOf(
          sns(ctx).send(new GetTopicAttributesCommand({ TopicArn: "test-topic" })),
        ),
      };
    },
    recorded: {
      "get-topic-attrs": {
        Attributes: {
          ContentBasedDeduplication: "false",
          DisplayName: "TestTopic",
          EffectiveDeliveryPolicy: EFFECTIVE_DELIVERY_POLICY,
          FifoTopic: "true",
          Owner: "111111111111",
          Policy: defaultTopicPolicy(1),
          SignatureVersion: "2",
          SubscriptionsConfirmed: "0",
          SubscriptionsDeleted: "0",
          SubscriptionsPending: "0",
          TopicArn: "arn:<partition>:sns:<region>:111111111111:<resource:1>",
        },
      },
      "get-attrs-nonexistent-topic": error("NotFound", "Topic does not exist"),
      "get-attrs-malformed-topic": invalid("TopicArn Reason: An ARN must have at least 6 elements, not 1"),
    },
  },
  {
    family: "sns",
    name: "a standard topic's attributes, and FifoTopic that cannot be set afterwards",
    source: {
      file: FILE,
      test: "TestSNSTopicCrudV2::test_topic_get_attributes_with_fifo_false",
      keys: ["get-attrs-standard-topic", "set-fifo-false-after-creation"],
    },
    async run(ctx) {
      const TopicArn = await createTopic(ctx, { FifoTopic: "false" });
      return {
        "get-attrs-standard-topic": answer(await sns(ctx).send(new GetTopicAttributesCommand({ TopicArn }))),
        "set-fifo-false-after-creation": await errorOf(
          sns(ctx).send(
            new SetTopicAttributesCommand({ TopicArn, AttributeName: "FifoTopic", AttributeValue: "false" }),
          ),
        ),
      };
    },
    recorded: {
      "get-attrs-standard-topic": {
        Attributes: {
          DisplayName: "",
          EffectiveDeliveryPolicy: EFFECTIVE_DELIVERY_POLICY,
          Owner: "111111111111",
          Policy: defaultTopicPolicy(1),
          SubscriptionsConfirmed: "0",
          SubscriptionsDeleted: "0",
          SubscriptionsPending: "0",
          TopicArn: "arn:<partition>:sns:<region>:111111111111:<resource:1>",
        },
      },
      "set-fifo-false-after-creation": invalid("AttributeName"),
    },
  },
  {
    family: "sns",
    name: "topic names: 256 characters taken; empty, too long, .fifo misplaced or missing, and bad characters refused",
    source: {
      file: FILE,
      test: "TestSNSTopicCrudV2::test_create_topic_name_constraints",
      keys: [
        "valid-name-max-length",
        "name-too-short",
        "name-too-long",
        "name-contains-fifo",
        "fifo-name-not-contains-fifo",
        ...BAD_NAME_CHARACTERS.map((_, i) => `name-invalid-char-${i}`),
      ],
    },
    async run(ctx) {
      const create = (Name: string, fifo = false) =>
        sns(ctx).send(new CreateTopicCommand({ Name, ...(fifo ? { Attributes: { FifoTopic: "true" } } : {}) }));
      const out: Record<string, unknown> = {
        "valid-name-max-length": answer(await create("a".repeat(256))),
        "name-too-short": await errorOf(create("")),
        "name-too-long": await errorOf(create("a".repeat(257))),
        "name-contains-fifo": await errorOf(create("test.fifo")),
        "fifo-name-not-contains-fifo": await errorOf(create("test", true)),
      };
      for (const [i, c] of BAD_NAME_CHARACTERS.entries())
        out[`name-invalid-char-${i}`] = await errorOf(create(`bad${c}name`));
      return out;
    },
    recorded: {
      "valid-name-max-length": { TopicArn: "arn:<partition>:sns:<region>:111111111111:<resource:1>" },
      ...Object.fromEntries(
        [
          "name-too-short",
          "name-too-long",
          "name-contains-fifo",
          "fifo-name-not-contains-fifo",
          ...BAD_NAME_CHARACTERS.map((_, i) => `name-invalid-char-${i}`),
        ].map((k) => [k, invalid("Topic Name")]),
      ),
    },
  },
  {
    family: "sns",
    name: "a subscription's attributes, a RawMessageDelivery that is no boolean, and one that does not exist",
    source: {
      file: FILE,
      test: "TestSNSSubscriptionCrud::test_create_subscriptions_with_attributes",
      keys: ["subscribe-wrong-attr", "subscribe", "get-attrs", "get-attrs-nonexistent-sub"],
    },
    async run(ctx) {
      const TopicArn = await createTopic(ctx);
      const Endpoint = await queueArn(ctx, await createQueue(ctx));
      const subscribe = (value: string) =>
        sns(ctx).send(
          new SubscribeCommand({
            TopicArn,
            Protocol: "sqs",
            Endpoint,
            Attributes: { RawMessageDelivery: value },
            ReturnSubscriptionArn: true,
          }),
        );
      const wrong = await errorOf(subscribe("wrongvalue"));
      const subscribed = answer(await subscribe("true"));
      return {
        "subscribe-wrong-attr": wrong,
        subscribe: subscribed,
        "get-attrs": answer(
          await sns(ctx).send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscribed.SubscriptionArn })),
        ),
        "get-attrs-nonexistent-sub": await errorOf(
          sns(ctx).send(
            new GetSubscriptionAttributesCommand({
              SubscriptionArn: `${subscribed.SubscriptionArn?.slice(0, -36)}${crypto.randomUUID()}`,
            }),
          ),
        ),
      };
    },
    recorded: {
      "subscribe-wrong-attr": invalid(
        "Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.",
      ),
      subscribe: { SubscriptionArn: "arn:<partition>:sns:<region>:111111111111:<resource:4>:<resource:1>" },
      "get-attrs": {
        Attributes: {
          ...subscriptionAttributes("true").Attributes,
          Endpoint: "arn:<partition>:sqs:<region>:111111111111:<resource:2>",
          SubscriptionArn: "arn:<partition>:sns:<region>:111111111111:<resource:4>:<resource:1>",
        },
      },
      "get-attrs-nonexistent-sub": error("NotFound", "Subscription does not exist"),
    },
  },
  {
    family: "sns",
    name: "a protocol SNS does not know",
    source: { file: FILE, test: "TestSNSSubscriptionCrud::test_subscribe_with_invalid_protocol", keys: ["exception"] },
    async run(ctx) {
      const TopicArn = await createTopic(ctx);
      return {
        exception: await errorOf(
          sns(ctx).send(new SubscribeCommand({ TopicArn, Protocol: "test-protocol", Endpoint: "localhost" })),
        ),
      };
    },
    recorded: { exception: invalid("Amazon SNS does not support this protocol string: test-protocol") },
  },
];

function defaultTopicPolicy(resource: number) {
  return {
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [
          "SNS:GetTopicAttributes",
          "SNS:SetTopicAttributes",
          "SNS:AddPermission",
          "SNS:RemovePermission",
          "SNS:DeleteTopic",
          "SNS:Subscribe",
          "SNS:ListSubscriptionsByTopic",
          "SNS:Publish",
        ],
        Resource: `arn:<partition>:sns:<region>:111111111111:<resource:${resource}>`,
        Condition: { StringEquals: { "AWS:SourceOwner": "111111111111" } },
      },
    ],
  };
}
