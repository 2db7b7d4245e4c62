import { createHash } from "node:crypto";
import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import { asciiJson } from "../shared/ascii-json.js";
import { SendError, type Sink } from "./keyed.js";

/** How one output becomes a FIFO topic message. */
export interface FifoMessage {
  readonly body: object;
  /** Messages of one group are delivered in order: the key. */
  readonly group: string;
  /** What makes the message unique, e.g. (key, record, rule): the same output always gets the same id. */
  readonly identity: readonly string[];
  /** SNS message attributes, for subscription filter policies. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Publishes outputs to a FIFO topic, ten to a call, each with a deduplication id from its identity. */
export function snsFifoSink<O>(sns: SNSClient, topicArn: string, message: (output: O) => FifoMessage): Sink<O> {
  return {
    async send(outputs) {
      for (let start = 0; start < outputs.length; start += 10) {
        const chunk = outputs.slice(start, start + 10).map(message);
        const out = await sns.send(
          new PublishBatchCommand({
            TopicArn: topicArn,
            PublishBatchRequestEntries: chunk.map((m, i) => ({
              Id: String(i),
              Message: asciiJson(m.body),
              MessageGroupId: groupId(m.group),
              MessageDeduplicationId: deduplicationId(m.identity),
              MessageAttributes: Object.fromEntries(
                Object.entries(m.attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
              ),
            })),
          }),
        );
        if (out.Failed && out.Failed.length > 0) {
          const first = out.Failed[0];
          throw new SendError(
            `SNS refused ${out.Failed.length} messages: ${first?.Code ?? ""} ${first?.Message ?? ""}`,
          );
        }
      }
    },
  };
}

/** A FIFO deduplication id: a hash of the output's identity (at most 128 characters). */
export function deduplicationId(identity: readonly string[]): string {
  return createHash("sha256").update(identity.join("\u0000")).digest("hex");
}

function groupId(group: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(group) ? group : createHash("sha256").update(group).digest("hex");
}
