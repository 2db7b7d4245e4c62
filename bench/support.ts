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
