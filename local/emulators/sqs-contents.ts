import type { QueueContents, QueuedMessage } from "../cloudwatch/queue-age.js";

// What a queue of the SQS emulator (fauxqs) holds, read through its inspection endpoint: nothing is
// received, no visibility changes. (SQS's own GetQueueAttributes has no message ages.)

interface FauxqsMessage {
  readonly messageId: string;
  readonly sentTimestamp: number;
  readonly approximateReceiveCount: number;
}

interface FauxqsInspection {
  readonly attributes?: Record<string, string>;
  readonly messages: {
    readonly ready: readonly FauxqsMessage[];
    readonly inflight: readonly { readonly message: FauxqsMessage }[];
  };
}

const queued = (m: FauxqsMessage): QueuedMessage => ({
  id: m.messageId,
  sentAt: m.sentTimestamp,
  receiveCount: m.approximateReceiveCount,
});

/** The queue's contents, or undefined when the emulator has no such queue. */
export async function sqsQueueContents(endpoint: string, queueName: string): Promise<QueueContents | undefined> {
  const res = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(queueName)}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`the SQS emulator answered ${res.status} for queue ${queueName}`);
  const inspection = (await res.json()) as FauxqsInspection;
  return {
    fifo: inspection.attributes?.FifoQueue === "true",
    visible: inspection.messages.ready.map(queued),
    inFlight: inspection.messages.inflight.map((e) => queued(e.message)),
  };
}
