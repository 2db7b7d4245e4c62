import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { ServiceMetrics } from "../cloudwatch/service-metrics.js";
import type { CallToDecide, Refusal } from "../iam/authorizer.js";
import type { SnsAttribute } from "./envelope.js";
import type { Deliveries, QueueDelivery, Subscription } from "./sns.js";

// Where the local SNS delivers: the SQS emulator's queues (sent as SNS sends them — raw messages
// with their attributes as SQS attributes, a FIFO queue's with the group and deduplication id) and
// the functions, once they run (set by the functions stage); and what it counts, as AWS/SNS metrics.
// Each delivery is SNS's own call, as `sns.amazonaws.com` for its topic: decided by the queue's or
// the function's policy and the queue's key, as in an account — a refused one is dropped and
// counted (NumberOfNotificationsFailed), never retried, never delivered anyway.

/** Decides a call SNS makes (the gateway's `decide`): the refusal, when refused. */
export type DeliveryAuthorizer = (call: CallToDecide) => Refusal | undefined;

export class SnsDeliveries implements Deliveries {
  /** Invokes a function for SNS (the functions stage sets it); until then a function cannot be delivered to. */
  functions: Deliveries["toFunction"] | undefined;

  constructor(
    private readonly sqs: SQSClient,
    /** The SQS emulator's URL of a queue, by its ARN. */
    private readonly queueUrl: (queueArn: string) => string,
    private readonly metrics: ServiceMetrics,
    private readonly authorize: DeliveryAuthorizer,
    private readonly onFailed?: (subscription: Subscription, reason: string) => void,
  ) {}

  /** SNS's call for its topic, refused with the words the service would log. */
  private asSns(service: "sqs" | "lambda", operation: string, action: string, resource: string, topicArn: string) {
    const account = topicArn.split(":")[4] ?? "";
    const refusal = this.authorize({
      caller: { kind: "service", service: "sns.amazonaws.com" },
      service,
      operation,
      action,
      resources: [resource],
      arrival: { secure: true, source: { arn: topicArn, account } },
    });
    if (refusal) throw new Error(refusal.message);
  }

  async toQueue(queueArn: string, m: QueueDelivery, from: { topicArn: string }): Promise<void> {
    this.asSns("sqs", "SendMessage", "sqs:SendMessage", queueArn, from.topicArn);
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl(queueArn),
        MessageBody: m.body,
        ...(Object.keys(m.attributes).length > 0 ? { MessageAttributes: sqsAttributes(m.attributes) } : {}),
        ...(m.groupId === undefined ? {} : { MessageGroupId: m.groupId }),
        ...(m.deduplicationId === undefined ? {} : { MessageDeduplicationId: m.deduplicationId }),
      }),
    );
    this.metrics.queueSent(queueArn.slice(queueArn.lastIndexOf(":") + 1), 1);
  }

  async toFunction(functionArn: string, event: unknown, from: { topicArn: string; subscriptionArn: string }) {
    if (!this.functions) throw new Error(`the function ${functionArn} does not run on this local stack`);
    this.asSns("lambda", "Invoke", "lambda:InvokeFunction", functionArn, from.topicArn);
    await this.functions(functionArn, event, from);
  }

  metric(name: string, topicName: string, value: number): void {
    this.metrics.sns(name, topicName, value);
  }

  failed(subscription: Subscription, reason: string): void {
    this.onFailed?.(subscription, reason);
  }
}

/** SNS's message attributes as SQS's, for raw delivery. */
function sqsAttributes(attributes: Readonly<Record<string, SnsAttribute>>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, a]) => [
      name,
      a.BinaryValue === undefined
        ? { DataType: a.DataType, StringValue: a.StringValue }
        : { DataType: a.DataType, BinaryValue: Buffer.from(a.BinaryValue, "base64") },
    ]),
  );
}
