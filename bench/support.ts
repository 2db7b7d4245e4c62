import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type DirectClients, directClients } from "../local/clients.js";
import type { Emulators } from "../local/emulators.js";
import { type FaultProxy, startFaultProxy } from "../local/fault-proxy.js";

export interface CountingProxy {
  readonly stats: FaultProxy["stats"];
  reset(): void;
}

/** Clients that reach DynamoDB, SQS and SNS through counting proxies (no faults). */
export async function proxiedClients(emulators: Emulators): Promise<{
  clients: DirectClients;
  proxies: CountingProxy[];
  stop(): Promise<void>;
}> {
  const { endpoints } = emulators;
  const proxies = await Promise.all(
    [endpoints.dynamodb, endpoints.sqs, endpoints.sns].map((url) => startFaultProxy(url)),
  );
  const [dynamodb, sqs, sns] = proxies as [FaultProxy, FaultProxy, FaultProxy];
  const clients = directClients(
    { kinesis: endpoints.kinesis, dynamodb: dynamodb.url, sqs: sqs.url, sns: sns.url },
    emulators.region,
  );
  return {
    clients,
    proxies: proxies.map((proxy) => ({
      stats: proxy.stats,
      reset() {
        proxy.stats.forwarded = 0;
        proxy.stats.operations = {};
        proxy.stats.capacity = { read: 0, write: 0 };
      },
    })),
    stop: async () => {
      await Promise.all(proxies.map((p) => p.stop()));
    },
  };
}

/** Every message a queue holds, received and deleted. */
export async function drainAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (let empty = 0; empty < 3; ) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    all.push(...messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
  return all;
}
