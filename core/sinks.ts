import { createHash } from "node:crypto";
import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { asciiJson } from "../shared/ascii-json.js";

// Where outputs go: one convention for every destination. `send` resolves once every output is
// delivered, or throws a SendError saying how many, from the first on, are known delivered — so a
// caller hands back exactly the records whose outputs are not (their retry sends again; FIFO
// deduplication drops what had gone after all).

/** How one output becomes a message. */
export interface Message {
  readonly body: object;
  /** FIFO destinations: messages of one group are delivered in order (a key, a customer). */
  readonly group?: string;
  /** FIFO destinations: what makes the message unique, e.g. (key, record, rule) — the same output
   * always gets the same deduplication id, so a repeated send is dropped. */
  readonly identity?: readonly string[];
  /** Message attributes, for subscription filter policies. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** A destination of outputs. */
export interface Sink<O> {
  /** Sends every output, in order, or throws a {@link SendError}. */
  send(outputs: readonly O[]): Promise<void>;
}

/** The destination refused or failed some outputs; those before `sent` are delivered. */
export class SendError extends Error {
  override readonly name = "SendError";
  constructor(
    message: string,
    readonly sent: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One entry of a batch call, as both SNS PublishBatch and SQS SendMessageBatch take it. */
interface Entry {
  readonly Id: string;
  readonly body: string;
  readonly group?: string;
  readonly deduplicationId?: string;
  readonly attributes?: Record<string, { DataType: "String"; StringValue: string }>;
}

/** A batch call's refusals: entry ids with why. */
type Refusals = readonly { Id?: string; Code?: string; Message?: string }[] | undefined;

const ENTRIES_PER_CALL = 10;
// Both services take 256 KiB a call; attributes and JSON framing are kept well inside it.
const BYTES_PER_CALL = 200 * 1024;

/** Sends messages in calls of ten (and at most ~200 KiB), in order, stopping at the first refusal. */
function batchSink<O>(
  destination: string,
  message: (output: O) => Message,
  call: (entries: readonly Entry[]) => Promise<Refusals>,
): Sink<O> {
  return {
    async send(outputs) {
      const entries = outputs.map((output, i) => entry(message(output), i));
      let start = 0;
      while (start < entries.length) {
        let end = start;
        let bytes = 0;
        while (end < entries.length && end - start < ENTRIES_PER_CALL) {
          const size = Buffer.byteLength((entries[end] as Entry).body);
          if (end > start && bytes + size > BYTES_PER_CALL) break;
          bytes += size;
          end++;
        }
        const chunk = entries.slice(start, end).map((e, i) => ({ ...e, Id: String(i) }));
        let refused: Refusals;
        try {
          refused = await call(chunk);
        } catch (err) {
          throw new SendError(`${destination}: ${err instanceof Error ? err.message : String(err)}`, start, {
            cause: err,
          });
        }
        if (refused && refused.length > 0) {
          const first = Math.min(...refused.map((r) => Number(r.Id)));
          const why = refused[0];
          throw new SendError(
            `${destination} refused ${refused.length} messages: ${why?.Code ?? ""} ${why?.Message ?? ""}`,
            start + (Number.isFinite(first) ? first : 0),
          );
        }
        start = end;
      }
    },
  };
}

function entry(m: Message, i: number): Entry {
  return {
    Id: String(i),
    body: asciiJson(m.body),
    ...(m.group === undefined ? {} : { group: groupId(m.group) }),
    ...(m.identity === undefined ? {} : { deduplicationId: deduplicationId(m.identity) }),
    ...(m.attributes === undefined
      ? {}
      : {
          attributes: Object.fromEntries(
            Object.entries(m.attributes).map(([k, v]) => [k, { DataType: "String" as const, StringValue: v }]),
          ),
        }),
  };
}

/** Publishes outputs to an SNS topic. */
export function snsSink<O>(sns: SNSClient, topicArn: string, message: (output: O) => Message): Sink<O> {
  return batchSink(`SNS topic ${topicArn}`, message, async (entries) => {
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: entries.map((e) => ({
          Id: e.Id,
          Message: e.body,
          MessageGroupId: e.group,
          MessageDeduplicationId: e.deduplicationId,
          MessageAttributes: e.attributes,
        })),
      }),
    );
    return out.Failed;
  });
}

/** Sends outputs to an SQS queue. */
export function sqsSink<O>(sqs: SQSClient, queueUrl: string, message: (output: O) => Message): Sink<O> {
  return batchSink(`SQS queue ${queueUrl}`, message, async (entries) => {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: entries.map((e) => ({
          Id: e.Id,
          MessageBody: e.body,
          MessageGroupId: e.group,
          MessageDeduplicationId: e.deduplicationId,
          MessageAttributes: e.attributes,
        })),
      }),
    );
    return out.Failed;
  });
}

/** A FIFO deduplication id: a hash of the output's identity (at most 128 characters). */
export function deduplicationId(identity: readonly string[]): string {
  return createHash("sha256").update(identity.join("\u0000")).digest("hex");
}

function groupId(group: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(group) ? group : createHash("sha256").update(group).digest("hex");
}
