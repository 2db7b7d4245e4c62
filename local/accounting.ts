import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { FailureRecord, InvokeInfo } from "./lambda/kinesis-poller.js";

/**
 * What the event-source runner saw each stream's function finish, from its invocation results: a record
 * is finished when an invocation returned without reporting it (or anything before it) failed.
 * With the rejected-records queue and the failure destination it answers, per function:
 * records put = records processed + records rejected + records in the failure destination.
 */
export class Ledger {
  private readonly finished = new Map<string, Set<string>>();
  private readonly failed = new Map<string, number>();

  readonly onInvoke = (info: InvokeInfo): void => {
    if (info.outcome === "error") return;
    const set = this.finished.get(info.streamName) ?? new Set<string>();
    const end =
      info.failedFrom === undefined ? info.sequenceNumbers.length : info.sequenceNumbers.indexOf(info.failedFrom);
    for (const seq of info.sequenceNumbers.slice(0, end)) set.add(seq);
    this.finished.set(info.streamName, set);
  };

  readonly onFailureDestination = (record: FailureRecord): void => {
    const stream = record.KinesisBatchInfo.streamArn.slice(record.KinesisBatchInfo.streamArn.indexOf("/") + 1);
    this.failed.set(stream, (this.failed.get(stream) ?? 0) + record.KinesisBatchInfo.batchSize);
  };

  /** The books of one stream's function, given the sequence numbers its rejected records carried. */
  account(streamName: string, rejected: readonly string[]) {
    const finished = this.finished.get(streamName) ?? new Set<string>();
    const rejectedSet = new Set(rejected);
    for (const seq of rejectedSet) {
      if (!finished.has(seq)) throw new Error(`record ${seq} was rejected but its invocation never finished`);
    }
    return {
      processed: finished.size - rejectedSet.size,
      rejected: rejectedSet.size,
      failureDestination: this.failed.get(streamName) ?? 0,
      total: finished.size + (this.failed.get(streamName) ?? 0),
    };
  }
}

export interface StreamBooks {
  readonly stream: string;
  readonly put: number | undefined;
  readonly processed: number;
  readonly rejected: number;
  readonly failureDestination: number;
  /** Rejections by reason (the reason's text up to its first quote or digit run, so alike ones group). */
  readonly reasons: Readonly<Record<string, number>>;
}

/** The end-of-run accounting, as `npm start` prints it. */
export function accountingText(books: readonly StreamBooks[], lines: readonly string[]): string {
  const header = ["stream", "put", "processed", "rejected", "failure dest.", "accounted"];
  const rows = books.map((b) => {
    const accounted = b.processed + b.rejected + b.failureDestination;
    const ok = b.put === undefined ? "" : accounted === b.put ? " ✓" : " ✗";
    return [
      b.stream,
      String(b.put ?? "-"),
      String(b.processed),
      String(b.rejected),
      String(b.failureDestination),
      `${accounted}${ok}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const table = [header, ...rows].map((r) => `  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`);
  const reasons = books.flatMap((b) =>
    Object.entries(b.reasons).map(([reason, n]) => `  rejected ${b.stream}: ${n} × ${reason}`),
  );
  return ["accounting", ...table, ...reasons, ...lines.map((l) => `  ${l}`)].join("\n");
}

/**
 * Every stream's books at the end of a run: from the runner's ledger, and the rejected-records
 * queue read without taking anything off it (each message hidden a minute, counted once).
 */
export async function streamBooks(
  sqs: SQSClient,
  rejectedQueueUrl: string | undefined,
  streams: readonly { readonly name: string; readonly physical: string }[],
  ledger: Ledger,
  put: ReadonlyMap<string, number>,
): Promise<StreamBooks[]> {
  const seen = new Map<string, { stream: string; sequenceNumber: string; reason: string }>();
  for (let empty = rejectedQueueUrl === undefined ? 2 : 0; empty < 2; ) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: rejectedQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) empty++;
    for (const m of messages) seen.set(m.MessageId ?? "", JSON.parse(m.Body ?? "{}"));
  }
  return streams.map(({ name, physical }) => {
    const rejections = [...seen.values()].filter((r) => r.stream === physical);
    const books = ledger.account(
      physical,
      rejections.map((r) => r.sequenceNumber),
    );
    const reasons: Record<string, number> = {};
    const bySeq = new Map(rejections.map((r) => [r.sequenceNumber, r.reason]));
    for (const reason of bySeq.values()) {
      const kind = reason.replace(/["“].*$|\d[\d.,:TZ-]*/g, "…").slice(0, 80);
      reasons[kind] = (reasons[kind] ?? 0) + 1;
    }
    return {
      stream: name,
      put: put.get(name),
      processed: books.processed,
      rejected: books.rejected,
      failureDestination: books.failureDestination,
      reasons,
    };
  });
}
