import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SNSEvent, SNSEventRecord } from "aws-lambda";
import type { Resource } from "../cloudformation/assembly.js";
import { type AsyncAttempt, type AsyncTarget, invokeAsync } from "./async-invoke.js";
import { untilQueuesEmpty } from "./sqs-poller.js";

// A function subscribed to an SNS topic (Protocol lambda; CDK's LambdaSubscription), run as SNS and
// Lambda run it: each message the topic delivers — after the subscription's filter policy — invokes
// the function asynchronously with SNS's event (async-invoke.ts: retried, then the dead-letter queue).
// The SNS emulator delivers to queues only, so each such subscription is a queue of the local
// stack's own subscribed in its place (raw delivery off: SNS's envelope), read here.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html

export interface FunctionSubscription extends AsyncTarget {
  readonly functionName: string;
  readonly topicArn: string;
  readonly subscriptionArn: string;
  /** The local stack's queue subscribed in the function's place. */
  readonly relayUrl: string;
}

export interface SnsInvokeInfo extends AsyncAttempt {
  readonly functionName: string;
  readonly topicArn: string;
  readonly messageId: string;
}

/** The relay queue's visibility: longer than an event's retries take. */
const RELAY_VISIBILITY_SECONDS = 60;

/** Subscribes a queue of the local stack's own to the topic in a lambda subscription's place. */
export async function relaySubscription(
  clients: { sns: SNSClient; sqs: SQSClient },
  subscription: Resource,
): Promise<{ relayUrl: string; subscriptionArn: string }> {
  const p = subscription.properties;
  const hash = createHash("sha256").update(subscription.arn).digest("hex").slice(0, 16);
  const { QueueUrl } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `tripwire-sns-relay-${hash}`,
      Attributes: { VisibilityTimeout: String(RELAY_VISIBILITY_SECONDS) },
    }),
  );
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  const attributes: Record<string, string> = {};
  if (p.FilterPolicy !== undefined) attributes.FilterPolicy = JSON.stringify(p.FilterPolicy);
  if (p.FilterPolicyScope !== undefined) attributes.FilterPolicyScope = String(p.FilterPolicyScope);
  const { SubscriptionArn } = await clients.sns.send(
    new SubscribeCommand({
      TopicArn: String(p.TopicArn),
      Protocol: "sqs",
      Endpoint: Attributes?.QueueArn,
      Attributes: attributes,
    }),
  );
  if (!QueueUrl || !SubscriptionArn) throw new Error(`${subscription.logicalId}: the relay queue was not subscribed`);
  return { relayUrl: QueueUrl, subscriptionArn: SubscriptionArn };
}

/** SNS's envelope as the relay queue holds it, made the record Lambda's SNS event carries. */
export function snsRecord(body: string, subscriptionArn: string): SNSEventRecord {
  const n = JSON.parse(body) as Record<string, unknown>;
  return {
    EventVersion: "1.0",
    EventSubscriptionArn: subscriptionArn,
    EventSource: "aws:sns",
    Sns: {
      SignatureVersion: String(n.SignatureVersion ?? "1"),
      Timestamp: String(n.Timestamp),
      Signature: String(n.Signature ?? ""),
      SigningCertUrl: String(n.SigningCertURL ?? ""),
      MessageId: String(n.MessageId),
      Message: String(n.Message),
      MessageAttributes: (n.MessageAttributes ?? {}) as SNSEventRecord["Sns"]["MessageAttributes"],
      Type: String(n.Type ?? "Notification"),
      UnsubscribeUrl: String(n.UnsubscribeURL ?? ""),
      TopicArn: String(n.TopicArn),
      Subject: (n.Subject ?? null) as string,
    },
  };
}

export class SnsInvoker {
  private stopping = false;
  private busy = 0;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly subscriptions: readonly FunctionSubscription[],
    private readonly relay: SQSClient,
    private readonly options: {
      readonly onInvoke?: (info: SnsInvokeInfo) => void;
      readonly onError?: (functionName: string, err: unknown) => void;
    } = {},
  ) {}

  start(): void {
    for (const s of this.subscriptions) this.loops.push(this.poll(s));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.loops);
  }

  /** Resolves once every relay queue is empty and no event is being invoked or retried. */
  async drained(timeoutMs = 60_000): Promise<void> {
    await untilQueuesEmpty(
      this.subscriptions.map((s) => ({ sqs: this.relay, queueUrl: s.relayUrl })),
      () => this.busy === 0,
      timeoutMs,
      "SNS subscriptions of functions",
    );
  }

  private async poll(s: FunctionSubscription): Promise<void> {
    while (!this.stopping) {
      try {
        const { Messages = [] } = await this.relay.send(
          new ReceiveMessageCommand({ QueueUrl: s.relayUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        // Asynchronous invocations: each message its own, at once.
        await Promise.all(
          Messages.map(async (m) => {
            this.busy++;
            try {
              await this.deliver(s, snsRecord(m.Body ?? "{}", s.subscriptionArn));
              await this.relay.send(new DeleteMessageCommand({ QueueUrl: s.relayUrl, ReceiptHandle: m.ReceiptHandle }));
            } finally {
              this.busy--;
            }
          }),
        );
      } catch (err) {
        if (this.stopping) return;
        this.options.onError?.(s.functionName, err);
        await sleep(1000);
      }
    }
  }

  /** One event, invoked asynchronously (retried, then given up to the dead-letter queue). */
  private async deliver(s: FunctionSubscription, record: SNSEventRecord): Promise<void> {
    await invokeAsync(s, { Records: [record] } satisfies SNSEvent, record.Sns.MessageId, (attempt) =>
      this.options.onInvoke?.({
        functionName: s.functionName,
        topicArn: record.Sns.TopicArn,
        messageId: record.Sns.MessageId,
        ...attempt,
      }),
    );
  }
}
