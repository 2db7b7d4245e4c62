import { readFileSync } from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { APPS, isCsvHeader, outputsOf, partitionKeyOf, STREAMS, type StreamName } from "../apps/index.js";
import type { AppManifest } from "../apps/manifest.js";
import { putRecords } from "../shared/producer.js";
import { type LocalStack, projectRoot } from "./stack.js";

// The demo: every application's demo data, or the named applications', put through the running
// stack (streams marked `first` before the others, as a loyalty list is loaded before its campaign),
// each application's messages shown as they arrive — from the alert topic's queue and the queues it
// names — and, once all is processed, each application's summary and a count of everything.

/**
 * The applications whose demo data a demo puts: those named (`npm start -- --demo NAME,…`), or all.
 * A name that is no application's is an error that lists them.
 */
export function demoApps(only: readonly string[] = []): readonly AppManifest[] {
  const all = APPS as readonly AppManifest[];
  const unknown = only.filter((name) => !all.some((a) => a.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `no application named ${unknown.join(", ")}: the applications are ${all.map((a) => a.name).join(", ")}`,
    );
  }
  return only.length === 0 ? all : all.filter((a) => only.includes(a.name));
}

/** What the demo saw, per application: its messages as they arrived. */
export interface DemoResult {
  readonly messages: ReadonlyMap<string, readonly Record<string, unknown>[]>;
  /** Records put per stream. */
  readonly put: ReadonlyMap<string, number>;
  /** Where the outcome differs from the demo data's expected files: nothing when equal. */
  readonly problems: readonly string[];
  readonly rejected: number;
  readonly failed: number;
}

/**
 * Starts the demo of `apps` (every application's by default) on a started stack: `consumers` are the
 * display loops (they end once `stopped` says so), `finished` resolves once the demo data is
 * processed and summed up.
 */
export function startDemo(
  stack: LocalStack,
  stopped: () => boolean,
  print: (line: string) => void = console.log,
  apps: readonly AppManifest[] = demoApps(),
): { consumers: Promise<void>[]; finished: Promise<DemoResult> } {
  const { sqs } = stack.clients;
  const outputs = stack.outputs as Readonly<Record<string, string>>;
  const messages = new Map<string, Record<string, unknown>[]>(apps.map((a) => [a.name, []]));
  const show = (body: string) => {
    const message = JSON.parse(body) as Record<string, unknown>;
    for (const app of apps) {
      const line = app.demo?.show(message);
      if (line === undefined) continue;
      messages.get(app.name)?.push(message);
      print(line);
      return;
    }
    print(`? ${body.slice(0, 200)}`);
  };
  const queues = new Set([
    ...(apps.some((a) => a.alerts) ? ["AlertQueueUrl"] : []),
    ...apps.flatMap((a) => a.demo?.queues ?? []),
  ]);
  const consumers = [...queues].map((q) => consume(sqs, outputs[q] ?? "", stopped, show));
  const puts = new Map<string, number>();
  return { consumers, finished: putAndSum() };

  async function putAndSum(): Promise<DemoResult> {
    const put = async (name: string, file: string) => {
      const lines = readFileSync(path.join(projectRoot, "data", file), "utf8")
        .split(/\r?\n/)
        .filter((l) => l.trim() !== "")
        // A CSV header is not a record: skipped as `npm run put` skips it.
        .filter((l, i) => !(i === 0 && isCsvHeader(name as StreamName, l)));
      const stream = outputs[outputsOf(name as StreamName).stream] ?? "";
      const records = lines.map((line) => ({
        data: Buffer.from(line),
        partitionKey: partitionKeyOf(name as StreamName, line),
      }));
      const { put } = await putRecords(stack.clients.kinesis, stream, records);
      puts.set(name, put);
      print(`put ${put} ${name} record${put === 1 ? "" : "s"} from data/${file}`);
    };
    const withDemo = apps.flatMap((a) => a.streams).flatMap((s) => (s.demo ? [{ name: s.name, ...s.demo }] : []));
    await Promise.all(withDemo.filter((s) => s.first).map((s) => put(s.name, s.file)));
    await stack.runner?.drained();
    await Promise.all(withDemo.filter((s) => !s.first).map((s) => put(s.name, s.file)));
    await stack.runner?.drained(300_000);
    await sleep(1500); // let the display consumers catch up

    for (const app of apps) {
      const summary = await app.demo?.summary?.({ documents: stack.clients.documents, outputs });
      if (summary) print(`\n${summary}\n`);
    }
    const waiting = async (url: string) =>
      Number(
        (
          await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
          )
        ).Attributes?.ApproximateNumberOfMessages ?? 0,
      );
    const failureQueues = STREAMS.map((s) => outputs[outputsOf(s.name as StreamName).failures] ?? "");
    const failed = (await Promise.all(failureQueues.map(waiting))).reduce((a, b) => a + b, 0);
    const rejected = await waiting(outputs.RejectedQueueUrl ?? "");
    const counts = apps.map((a) => `${a.name} ${messages.get(a.name)?.length ?? 0}`).join(", ");
    print(
      `demo done: messages per application: ${counts}; ${rejected} records rejected, ${failed} batches in failure destinations`,
    );
    const problems: string[] = [];
    for (const app of apps) {
      const context = { documents: stack.clients.documents, outputs };
      problems.push(...((await app.demo?.check?.(messages.get(app.name) ?? [], context)) ?? []));
    }
    const checked = apps.filter((a) => a.demo?.check !== undefined).map((a) => a.name);
    print(
      problems.length > 0
        ? `outcome: NOT the expected one:\n  ${problems.join("\n  ")}`
        : checked.length > 0
          ? `outcome: exactly the expected outcomes of data/*.expected.json (${checked.join(", ")}) ✓`
          : "outcome: not compared (no application here has an expected outcome)",
    );
    return { messages, put: puts, problems, rejected, failed };
  }
}

async function consume(sqs: SQSClient, queueUrl: string, stopped: () => boolean, show: (body: string) => void) {
  while (!stopped()) {
    try {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = out.Messages ?? [];
      for (const m of messages) show(m.Body ?? "");
      if (messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
          }),
        );
      }
    } catch (err) {
      if (stopped()) return;
      console.error(`reading ${queueUrl}: ${err instanceof Error ? err.message : err}`);
      await sleep(1000);
    }
  }
}
