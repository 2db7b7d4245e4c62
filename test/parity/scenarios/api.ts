import { Readable } from "node:stream";
import { CreateTopicCommand, GetSubscriptionAttributesCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import type { ParityContext } from "../scenario.js";

// What the API-level scenarios share: LocalStack's test fixtures as they make topics, queues and
// subscriptions (a queue's policy letting its topic send, as sns_create_sqs_subscription sets it),
// errors read as boto3 gives a test `e.value.response`, and answers normalised as LocalStack's
// snapshot transformers normalise them (times as "date" and "timestamp" — once their form is checked).

let counter = 0;
/** A name as LocalStack's short_uid() makes them: unique within the run. */
export const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(counter++).toString(36)}`;

const RAW_BODY = Symbol("raw body");

/**
 * Keeps each answer's raw body beside it (a JSON error's fields as the service wrote them: boto3
 * shows those, the SDK its own modelled ones), for `errorOf`.
 */
export function keepRawBodies<T extends { middlewareStack: { add: (...args: never[]) => void } }>(client: T): T {
  const add = client.middlewareStack.add as unknown as (
    mw: (next: (args: unknown) => Promise<{ response: { body?: unknown } }>) => (args: unknown) => Promise<unknown>,
    options: { step: string; priority: string; name: string },
  ) => void;
  add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as { body?: AsyncIterable<Uint8Array>; [RAW_BODY]?: string };
      if (response.body && typeof response.body[Symbol.asyncIterator] === "function") {
        const chunks: Buffer[] = [];
        for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
        const raw = Buffer.concat(chunks);
        response[RAW_BODY] = raw.toString("utf8");
        response.body = Readable.from([raw]);
      }
      return out;
    },
    // Innermost: before the SDK's deserializer reads the body.
    { step: "deserialize", priority: "low", name: "parityRawBody" },
  );
  return client;
}

/**
 * The member names of an error's modelled shape, from the client's schemas (`<Error>$`: [kind,
 * namespace, name, traits, members, …]); a query-compatible error is found by its awsQueryError code.
 */
function modelledMembers(client: Record<string, unknown>, code: string, queryCode: string | undefined): string[] {
  type ErrorSchema = [number, string, string, { awsQueryError?: [string, number] }, string[]];
  const schemas = Object.entries(client)
    .filter(([name, value]) => name.endsWith("$") && Array.isArray(value) && value[0] === -3)
    .map(([, value]) => value as ErrorSchema);
  const schema = queryCode
    ? schemas.find((s) => s[3]?.awsQueryError?.[0] === queryCode)
    : schemas.find((s) => s[2] === code);
  return schema?.[4] ?? [];
}

/** A failed call as boto3 gives it to a test: `{Error: {Code, Message, Type}}` (the query protocol's shape). */
export async function errorOf(
  call: Promise<unknown>,
  shape: "query" | "json" = "query",
  /** JSON protocols: the client's module, whose exported exceptions are the modelled ones. */
  modelled: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  type Failure = { name: string; message: string; $fault?: string; Error?: { Code?: string; Type?: string } };
  try {
    await call;
  } catch (err) {
    // The SDK names the exception by its modelled class; the code on the wire is what boto3 shows.
    const e = err as Failure;
    const code = e.Error?.Code ?? e.name;
    if (shape === "json") {
      // botocore: Error.Code from __type (or a header), Error.Message from message or Message.
      const response = (err as { $response?: { [RAW_BODY]?: string; headers?: Record<string, string> } }).$response;
      const raw = response?.[RAW_BODY];
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const { __type, ...fields } = body;
      // Lambda's REST errors name their type in a header.
      const typed = response?.headers?.["x-amzn-errortype"]?.split(":")[0];
      const wireCode = typeof __type === "string" ? __type.slice(__type.lastIndexOf("#") + 1) : (typed ?? code);
      // A query-compatible service (CloudWatch) names its query error in a header: boto3 shows that
      // code, and the JSON one as QueryErrorCode; its modelled errors are found by the query code.
      const query = response?.headers?.["x-amzn-query-error"]?.split(";");
      const members = new Set(modelledMembers(modelled, wireCode, query?.[0]));
      // Beside Error, boto3 shows the members of the error's modelled shape, as the body wrote them
      // (an empty message aside): Lambda's Type and Message, DynamoDB's Item and message.
      const shown = Object.entries(fields).filter(([k, v]) => members.has(k) && v !== "");
      // The body's own message (the SDK says "UnknownError" for an empty one).
      const said =
        typeof fields.message === "string"
          ? fields.message
          : typeof fields.Message === "string"
            ? fields.Message
            : e.message;
      const error = query
        ? { Code: query[0], Message: said, QueryErrorCode: wireCode, Type: query[1] ?? "Sender" }
        : { Code: wireCode, Message: said };
      return { Error: error, ...Object.fromEntries(shown) };
    }
    return {
      Error: { Code: code, Message: e.message, Type: e.Error?.Type ?? (e.$fault === "server" ? "Receiver" : "Sender") },
    };
  }
  return { Error: "(the call succeeded)" };
}

/** An answer without the SDK's metadata. */
export function answer<T extends object>(out: T): Omit<T, "$metadata"> {
  const { $metadata: _, ...rest } = out as T & { $metadata?: unknown };
  return rest;
}

export async function createTopic(ctx: ParityContext, attributes?: Record<string, string>, fifo = false) {
  const out = await ctx.clients.sns.send(
    new CreateTopicCommand({
      Name: uid("topic") + (fifo ? ".fifo" : ""),
      ...(attributes ? { Attributes: attributes } : {}),
    }),
  );
  return out.TopicArn ?? "";
}

export async function createQueue(ctx: ParityContext, attributes?: Record<string, string>, fifo = false) {
  const out = await ctx.clients.sqs.send(
    new CreateQueueCommand({
      QueueName: uid("queue") + (fifo ? ".fifo" : ""),
      ...(attributes ? { Attributes: attributes } : {}),
    }),
  );
  return out.QueueUrl ?? "";
}

export async function queueArn(ctx: ParityContext, queueUrl: string): Promise<string> {
  const out = await ctx.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  return out.Attributes?.QueueArn ?? "";
}

/** LocalStack's sns_create_sqs_subscription: subscribed, the queue's policy letting the topic send; its attributes. */
export async function sqsSubscription(
  ctx: ParityContext,
  topicArn: string,
  queueUrl: string,
  attributes?: Record<string, string>,
): Promise<{ arn: string; attributes: Record<string, string> }> {
  const arn = await queueArn(ctx, queueUrl);
  const { SubscriptionArn = "" } = await ctx.clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: arn,
      ...(attributes ? { Attributes: attributes } : {}),
    }),
  );
  await ctx.clients.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "sns.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: arn,
              Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
            },
          ],
        }),
      },
    }),
  );
  const out = await ctx.clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
  return { arn: SubscriptionArn, attributes: out.Attributes ?? {} };
}

const ISO_MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * The literals a test file's snapshot transformers put for times and senders, by key: test_sns.py's
 * envelope Timestamp "date" and SQS's times "timestamp"; the SQS mapping tests' "sent-timestamp" and
 * "sender-id". A value is replaced only in the form AWS gives it.
 */
export const SNS_NAMES: Readonly<Record<string, string>> = {
  Timestamp: "date",
  SentTimestamp: "timestamp",
  ApproximateFirstReceiveTimestamp: "timestamp",
};
export const SQS_MAPPING_NAMES: Readonly<Record<string, string>> = {
  SentTimestamp: "sent-timestamp",
  SenderId: "sender-id",
};

const FORMS: Readonly<Record<string, RegExp>> = {
  Timestamp: ISO_MILLIS,
  SentTimestamp: /^\d{13}$/,
  ApproximateFirstReceiveTimestamp: /^\d{13}$/,
  SenderId: /^[A-Z0-9]+(:[\w.@-]+)?$/,
};

/**
 * An answer as LocalStack's snapshots keep it: the transformers' literals for times and senders, and
 * a JSON string read as JSON — once: the strings inside it stay strings (an envelope's Message).
 */
export function normalised(
  value: unknown,
  names: Readonly<Record<string, string>>,
  key = "",
  parseJson = true,
): unknown {
  if (Array.isArray(value)) return value.map((v) => normalised(v, names, "", parseJson));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalised(v, names, k, parseJson)]));
  }
  if (typeof value === "string") {
    const literal = names[key];
    if (literal !== undefined && (FORMS[key]?.test(value) ?? true)) return literal;
    if (parseJson && value.startsWith("{")) {
      try {
        return normalised(JSON.parse(value), names, "", false);
      } catch {
        return value;
      }
    }
  }
  return value;
}

/** ReceiveMessage until it finds messages (or the time is up), normalised as LocalStack's snapshots are. */
export async function receive(
  ctx: ParityContext,
  input: ReceiveMessageCommandInput,
  names: Readonly<Record<string, string>> = SNS_NAMES,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await ctx.clients.sqs.send(new ReceiveMessageCommand({ WaitTimeSeconds: 1, ...input }));
    if (out.Messages?.length || Date.now() > deadline) return normalised(answer(out), names) as Record<string, unknown>;
  }
}

/** Python's json.dumps: ", " and ": " between items (LocalStack's tests write messages with it). */
export function pythonJson(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value);
}
