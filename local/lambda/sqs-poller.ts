import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { matches } from "../event-patterns.js";
import type { Invocation } from "./function-host.js";

// Lambda's event-source mapping for an SQS queue, run locally as Lambda runs it: pollers receive up
// to the batch size (within the batching window), as the function's role, and invoke the function
// with the batch; a batch the function returns from is deleted — but for the messages its partial
// batch response names, when the mapping reports batch item failures — and a batch it fails is
// left to come back after the queue's visibility timeout, and to its dead-letter queue after the
// queue's maxReceiveCount. Messages no filter matches are deleted unseen.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html

/**
 * A queue's event-source mapping. Lambda's UpdateEventSourceMapping changes a running mapping
 * (local/control): `enabled`, the batch settings and the filters are read afresh for every batch.
 */
export interface QueueMapping {
  /** The mapping's UUID, as Lambda's API names it. */
  readonly uuid?: string;
  readonly functionName: string;
  readonly queueName: string;
  readonly queueArn: string;
  readonly queueUrl: string;
  readonly fifo: boolean;
  readonly invoke: (event: SQSEvent) => Promise<Invocation>;
  /** Resolves once the function has an environment ready: messages are taken only then. */
  readonly warm?: () => Promise<void>;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  /** Switched off: no message is received until it is switched on again. */
  enabled?: boolean;
  /** Batches under way at once (ScalingConfig.MaximumConcurrency, or Lambda's first five pollers). */
  readonly concurrency: number;
  /** FilterCriteria patterns (filters.ts); none: every message goes to the function. */
  filters: readonly Parameters<typeof matches>[0][];
  /** The mapping receives and deletes as the function's role. */
  readonly sqs: SQSClient;
}

export interface QueueInvokeInfo {
  readonly functionName: string;
  readonly queueName: string;
  readonly messageIds: readonly string[];
  readonly outcome: "ok" | "partial" | "error";
  /** The messages left to come back (a partial batch response's, or all of a failed batch). */
  readonly failed: readonly string[];
  readonly error?: string;
}

export interface QueuePollerOptions {
  readonly region: string;
  /** How long one receive waits for messages (long polling; Lambda's is 20 s, shorter here to stop promptly). */
  readonly waitSeconds?: number;
  readonly onInvoke?: (info: QueueInvokeInfo) => void;
  readonly onFiltered?: (functionName: string, count: number) => void;
  readonly onPollError?: (functionName: string, err: unknown) => void;
}

/** Lambda's largest receive: SQS returns at most ten messages a call. */
const RECEIVE_MAX = 10;

export class QueuePoller {
  private stopping = false;
  private busy = 0;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly mappings: readonly QueueMapping[],
    private readonly options: QueuePollerOptions,
  ) {}

  start(): void {
    for (const mapping of this.mappings) {
      for (let i = 0; i < mapping.concurrency; i++) this.loops.push(this.poll(mapping));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.loops);
  }

  /** Resolves once every mapped queue holds no message (visible or in flight) and no batch is under way. */
  async drained(timeoutMs = 60_000): Promise<void> {
    // A switched-off mapping receives nothing until it is switched on: its queue is not waited for.
    await untilQueuesEmpty(
      this.mappings.filter((m) => m.enabled !== false).map((m) => ({ sqs: m.sqs, queueUrl: m.queueUrl })),
      () => this.busy === 0,
      timeoutMs,
      "queue mappings",
    );
  }

  private async poll(mapping: QueueMapping): Promise<void> {
    while (!this.stopping) {
      if (mapping.enabled === false) {
        await sleep(200);
        continue;
      }
      try {
        await mapping.warm?.();
        const messages = await this.receive(mapping);
        if (messages.length === 0) continue;
        this.busy++;
        try {
          await this.deliver(mapping, messages);
        } finally {
          this.busy--;
        }
      } catch (err) {
        if (this.stopping) return;
        this.options.onPollError?.(mapping.functionName, err);
        await sleep(1000);
      }
    }
  }

  /** Up to the batch size: the first receive waits for messages, then more while the batching window is open. */
  private async receive(mapping: QueueMapping): Promise<Message[]> {
    const messages: Message[] = [];
    let windowEnds = 0;
    for (;;) {
      const out = await mapping.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: mapping.queueUrl,
          MaxNumberOfMessages: Math.min(RECEIVE_MAX, mapping.batchSize - messages.length),
          WaitTimeSeconds: messages.length === 0 ? (this.options.waitSeconds ?? 2) : 0,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      const got = out.Messages ?? [];
      if (messages.length === 0) windowEnds = Date.now() + mapping.maxBatchingWindowSeconds * 1000;
      messages.push(...got);
      if (this.stopping || messages.length === 0 || messages.length >= mapping.batchSize) break;
      if (Date.now() >= windowEnds) break;
      if (got.length === 0) await sleep(Math.min(200, windowEnds - Date.now()));
    }
    return messages;
  }

  private async deliver(mapping: QueueMapping, messages: Message[]): Promise<void> {
    const records = messages.map((m) => sqsRecord(m, mapping, this.options.region));
    const passing = mapping.filters.length === 0 ? records : records.filter((r) => passesQueueFilters(mapping, r));
    const filtered = records.filter((r) => !passing.includes(r));
    if (filtered.length > 0) {
      // Lambda deletes what no filter matches: it is never sent, and never comes back.
      await this.delete(mapping, filtered);
      this.options.onFiltered?.(mapping.functionName, filtered.length);
    }
    if (passing.length === 0) return;
    const messageIds = passing.map((r) => r.messageId);
    const report = (outcome: QueueInvokeInfo["outcome"], failed: readonly string[], error?: string) =>
      this.options.onInvoke?.({
        functionName: mapping.functionName,
        queueName: mapping.queueName,
        messageIds,
        outcome,
        failed,
        ...(error === undefined ? {} : { error }),
      });
    const result = await mapping.invoke({ Records: passing });
    if (result.kind === "error") {
      // Nothing is deleted: the batch comes back after the visibility timeout.
      report("error", messageIds, `${result.errorType}: ${result.errorMessage}`);
      return;
    }
    const failed = mapping.reportBatchItemFailures ? failedMessages(result.payload, messageIds) : new Set<string>();
    await this.delete(
      mapping,
      passing.filter((r) => !failed.has(r.messageId)),
    );
    report(failed.size === 0 ? "ok" : "partial", [...failed]);
  }

  private async delete(mapping: QueueMapping, records: readonly SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += RECEIVE_MAX) {
      const chunk = records.slice(i, i + RECEIVE_MAX);
      const out = await mapping.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: mapping.queueUrl,
          Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
        }),
      );
      if ((out.Failed ?? []).length > 0) {
        throw new Error(`DeleteMessageBatch failed for ${out.Failed?.map((f) => f.Code).join(", ")}`);
      }
    }
  }
}

/**
 * The messages a partial batch response names as failed; a malformed response (not a list, an
 * identifier that is empty or not of the batch) fails the whole batch, as Lambda does.
 */
export function failedMessages(payload: unknown, messageIds: readonly string[]): Set<string> {
  if (payload === null || payload === undefined || typeof payload !== "object") return new Set();
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return new Set();
  const all = new Set(messageIds);
  if (!Array.isArray(failures)) return all;
  const ids = failures.map((f: unknown) =>
    f !== null && typeof f === "object" ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined,
  );
  if (ids.some((id) => typeof id !== "string" || !all.has(id))) return all;
  return new Set(ids as string[]);
}

/** A received message as Lambda hands it to the function. */
export function sqsRecord(m: Message, mapping: Pick<QueueMapping, "queueArn">, region: string): SQSRecord {
  const attributes = Object.fromEntries(
    Object.entries(m.Attributes ?? {}).filter(([, v]) => v !== undefined),
  ) as unknown as SQSRecord["attributes"];
  const messageAttributes = Object.fromEntries(
    Object.entries(m.MessageAttributes ?? {}).map(([name, a]) => [
      name,
      {
        ...(a.StringValue === undefined ? {} : { stringValue: a.StringValue }),
        ...(a.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(a.BinaryValue).toString("base64") }),
        stringListValues: a.StringListValues ?? [],
        binaryListValues: (a.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
        dataType: a.DataType ?? "String",
      },
    ]),
  );
  return {
    messageId: m.MessageId ?? "",
    receiptHandle: m.ReceiptHandle ?? "",
    body: m.Body ?? "",
    attributes,
    messageAttributes,
    // Lambda sends null for a message without attributes (the type says string | undefined).
    md5OfMessageAttributes: (m.MD5OfMessageAttributes ?? null) as string,
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: mapping.queueArn,
    awsRegion: region,
  };
}

/** What an SQS record looks like to a filter: its fields, and its body parsed when it is JSON. */
function passesQueueFilters(mapping: QueueMapping, record: SQSRecord): boolean {
  let body: unknown = record.body;
  try {
    body = JSON.parse(record.body);
  } catch {
    // a plain string body is matched as the string
  }
  const view = { ...record, body };
  return mapping.filters.some((p) => matches(p, view));
}

/**
 * Resolves once every queue holds no message, visible or in flight, and `idle()` holds; throws,
 * naming `what` and the messages held, past the timeout.
 */
export async function untilQueuesEmpty(
  queues: readonly { readonly sqs: SQSClient; readonly queueUrl: string }[],
  idle: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const held = async ({ sqs, queueUrl }: (typeof queues)[number]) => {
    const { Attributes: a = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  for (;;) {
    const counts = await Promise.all(queues.map(held));
    if (idle() && counts.every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not drain in time: ${counts.join(", ")} messages held`);
    await sleep(100);
  }
}
