// Put-to-effect latency on the deployed stack run locally, with the template's own settings
// (batching window included) and Lambda's once-a-second polling: how long a customer waits for a
// coupon, or an operator for an alarm, after the record is put. Records go in at a steady rate, each
// one made to cause an effect, and each effect is timed from its record's put to its arrival on the
// queue a consumer reads — and stage by stage: put → in the shard (Kinesis's arrival time) → read
// by the poller (its GetRecords) → invoked → state written (the function's DynamoDB write naming the
// record's key) → message sent (its SNS publish or SQS send carrying the effect) → received.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { partitionKeyOf } from "../apps/index.js";
import type { AwsRequest } from "../local/iam/request.js";
import type { InvokeInfo, ReadInfo } from "../local/lambda/kinesis-poller.js";
import { startLocalStack } from "../local/stack.js";
import { putRecords } from "../shared/producer.js";
import { editTemplate } from "../test/helpers/template-edit.js";

/** The stages of a record's way, in order: each measured from the end of the one before. */
export const STAGES = ["in shard", "read", "invoked", "written", "sent", "received"] as const;
export type Stage = (typeof STAGES)[number];

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface Latency {
  readonly app: "readings" | "conversions";
  readonly rate: number;
  readonly seconds: number;
  readonly effects: number;
  readonly missing: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly batchingWindowSeconds: number;
  /** Per stage, the time from the stage before (ms), over the effects every stage was seen for. */
  readonly stages: Readonly<Record<Stage, Percentiles>>;
}

const T0 = Date.UTC(2026, 10, 20, 9);
const CONSUMERS = 4;

/** Each record's line and the key its effect can be matched by. */
function workload(app: Latency["app"], count: number): { line: string; key: string }[] {
  return Array.from({ length: count }, (_, i) => {
    if (app === "conversions") {
      const email = `latency-${i}@example.com`; // a member's first click: one coupon each
      return { line: `LatencyCampaign, ClickConversion, ${email}, Instagram`, key: email };
    }
    // Each zone's readings alternate above and below 89 °F: every reading raises or clears an alarm.
    const zone = `lat-${i % 20}`;
    const at = new Date(T0 + Math.floor(i / 20) * 5000).toISOString();
    return { line: `${zone}-dev, ${zone}, ${Math.floor(i / 20) % 2 === 0 ? 95 : 70}, ${at}`, key: `${zone}|${at}` };
  });
}

export async function measureLatency(
  assembly: string,
  app: Latency["app"],
  rate: number,
  seconds: number,
): Promise<Latency> {
  const seen = new StageClock(app);
  const stack = await startLocalStack({
    workDir: mkdtempSync(path.join(tmpdir(), "tripwire-latency-")),
    app: assembly,
    runner: { onRead: (read) => seen.read(read), onInvoke: (info) => seen.invoked(info) },
    onCall: (call, at) => seen.call(call, at),
  });
  try {
    const { kinesis, sqs } = stack.clients;
    const records = workload(app, rate * seconds);
    if (app === "conversions") {
      const members = records.map((r) => `${r.key}, , , `);
      await putRecords(
        kinesis,
        stack.outputs.LoyaltyStreamName,
        members.map((m) => ({ data: Buffer.from(m), partitionKey: partitionKeyOf("loyalty", m) })),
      );
      await stack.runner?.drained(300_000);
    }
    const queue = app === "readings" ? stack.outputs.AlertQueueUrl : stack.outputs.PromoQueueUrl;
    const stream = app === "readings" ? stack.outputs.ReadingsStreamName : stack.outputs.ConversionsStreamName;
    const putAt = new Map<string, number>();
    const arrivedAt = new Map<string, number>();
    let producing = true;
    let last = performance.now();
    // Consumers as a service reading the queue would run: several receives at once, so that the
    // reader is not what is measured.
    const consumerLoop = async () => {
      while (producing || arrivedAt.size < putAt.size) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const now = performance.now();
        for (const m of out.Messages ?? []) {
          const key = effectKey(app, m.Body ?? "{}");
          if (!arrivedAt.has(key)) {
            arrivedAt.set(key, now);
            seen.received(key, Date.now());
          }
        }
        if (out.Messages?.length) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queue,
              Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
            }),
          );
        }
        if (!producing && performance.now() - last > 30_000) break; // the stragglers are counted missing
      }
    };
    const consumer = Promise.all(Array.from({ length: CONSUMERS }, consumerLoop));
    // A tenth of a second's records every 100 ms: a steady rate, not one burst.
    const perTick = Math.max(1, Math.round(rate / 10));
    const started = performance.now();
    for (let i = 0; i < records.length; i += perTick) {
      const tick = records.slice(i, i + perTick);
      const wait = started + (i / rate) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      const before = Date.now();
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: tick.map((r) => ({ Data: Buffer.from(r.line), PartitionKey: partitionKeyOf(app, r.line) })),
        }),
      );
      if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records refused at ${rate} records/s`);
      const now = performance.now();
      tick.forEach((r, i) => {
        putAt.set(r.key, now);
        seen.put(r.key, out.Records?.[i]?.SequenceNumber ?? "", before);
      });
      last = now;
    }
    producing = false;
    await consumer;
    const latencies = [...putAt].flatMap(([key, at]) => {
      const arrived = arrivedAt.get(key);
      return arrived === undefined ? [] : [arrived - at];
    });
    const { p50, p95, p99 } = percentiles(latencies);
    const mapping = stack.stacks[0]?.byType("AWS::Lambda::EventSourceMapping")[0];
    return {
      app,
      rate,
      seconds,
      effects: latencies.length,
      missing: putAt.size - latencies.length,
      p50,
      p95,
      p99,
      batchingWindowSeconds: Number(mapping?.properties.MaximumBatchingWindowInSeconds ?? 0),
      stages: seen.stages(),
    };
  } finally {
    await stack.stop();
  }
}

/**
 * Measures each application's latency (LATENCY_RATE records/s, default 500, for LATENCY_SECONDS,
 * default 30; LATENCY_WINDOW and LATENCY_BATCH override the mappings' batching window and batch size) and prints the tables: put to
 * effect, and where the time goes.
 */
export async function latencyTables(template: string, apps: readonly Latency["app"][]): Promise<Latency[]> {
  const rate = Number(process.env.LATENCY_RATE ?? 500);
  const seconds = Number(process.env.LATENCY_SECONDS ?? 30);
  // LATENCY_WINDOW=0, LATENCY_BATCH=500: every mapping's batching window (seconds) or batch size set
  // so, to see what a setting does to the time.
  const { LATENCY_WINDOW: window, LATENCY_BATCH: batch } = process.env;
  const assembly =
    window === undefined && batch === undefined
      ? template
      : editTemplate(template, (t) => {
          for (const r of Object.values(t.Resources)) {
            if (r.Type !== "AWS::Lambda::EventSourceMapping") continue;
            if (window !== undefined) r.Properties.MaximumBatchingWindowInSeconds = Number(window);
            if (batch !== undefined) r.Properties.BatchSize = Number(batch);
          }
        });
  const latencies: Latency[] = [];
  for (const app of apps) {
    process.stderr.write(`measuring ${app} latency …\n`);
    latencies.push(await measureLatency(assembly, app, rate, seconds));
  }
  console.log(
    `\nPut-to-effect latency, ms: ${rate} records/s over 2 shards for ${seconds} s, each record causing an effect;` +
      " the template's settings, polled once a second as Lambda does",
  );
  console.log("function     effects  missing     p50     p95     p99  batching window");
  for (const l of latencies) {
    const cells = [l.p50, l.p95, l.p99].map((v) => v.toFixed(0).padStart(6)).join("  ");
    console.log(
      `${l.app.padEnd(12)} ${String(l.effects).padStart(7)}  ${String(l.missing).padStart(7)}  ${cells}  ${l.batchingWindowSeconds} s`,
    );
  }
  console.log(
    "\nWhere the time goes, ms from the stage before, p50 / p99 (put → in shard → read → invoked → written → sent → received)",
  );
  console.log(`function     ${STAGES.map((s) => s.padStart(13)).join(" ")}`);
  for (const l of latencies) {
    const cells = STAGES.map((s) => `${l.stages[s].p50.toFixed(0)} / ${l.stages[s].p99.toFixed(0)}`.padStart(13));
    console.log(`${l.app.padEnd(12)} ${cells.join(" ")}`);
  }
  return latencies;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** The key an effect is matched by: an alert's zone and reading time, a coupon's e-mail. */
function effectKey(app: Latency["app"], body: string): string {
  const effect = JSON.parse(body) as Record<string, unknown>;
  return app === "readings" ? `${effect.zone}|${effect.timestamp}` : String(effect.email);
}

/**
 * When each record passed each stage, from what the local stack reports: the runner's reads and
 * invocations (by sequence number), and the functions' calls as the endpoint answered them — a
 * zone's state write is its PutItem, a coupon's its item in the facts' BatchWriteItem; an alert's
 * sending is the SNS publish carrying it, a coupon's the SQS send.
 */
class StageClock {
  private readonly bySequence = new Map<string, string>(); // sequence number → effect key
  private readonly at = new Map<string, Partial<Record<"put" | Stage, number>>>();
  /** Readings: per zone, the times its item was written (a zone's records follow one another). */
  private readonly zoneWrites = new Map<string, number[]>();

  constructor(private readonly app: Latency["app"]) {}

  put(key: string, sequenceNumber: string, at: number): void {
    this.bySequence.set(sequenceNumber, key);
    this.at.set(key, { put: at });
  }

  private mark(key: string | undefined, stage: Stage, at: number): void {
    const times = key === undefined ? undefined : this.at.get(key);
    if (times && times[stage] === undefined) times[stage] = at;
  }

  read(read: ReadInfo): void {
    for (const r of read.records) {
      const key = this.bySequence.get(r.sequenceNumber);
      this.mark(key, "in shard", r.arrivalMs);
      this.mark(key, "read", read.at);
    }
  }

  invoked(info: InvokeInfo): void {
    for (const sequenceNumber of info.sequenceNumbers)
      this.mark(this.bySequence.get(sequenceNumber), "invoked", info.startedAt);
  }

  call(call: AwsRequest, at: number): void {
    const json = call.json ?? {};
    if (this.app === "readings" && call.operation === "PutItem") {
      const zone = (json.Item as { zone?: { S?: string } } | undefined)?.zone?.S;
      if (zone !== undefined) {
        const writes = this.zoneWrites.get(zone);
        if (writes) writes.push(at);
        else this.zoneWrites.set(zone, [at]);
      }
    }
    if (this.app === "conversions" && call.operation === "BatchWriteItem") {
      for (const requests of Object.values(
        (json.RequestItems ?? {}) as Record<string, { PutRequest?: { Item?: Record<string, { S?: string }> } }[]>,
      )) {
        for (const r of requests) {
          const item = r.PutRequest?.Item;
          if (item?.pk?.S?.startsWith("COUPON#")) this.mark(item.email?.S, "written", at);
        }
      }
    }
    if (call.service === "sns" && call.operation.startsWith("Publish")) {
      for (const [name, value] of call.form ?? []) if (name.endsWith("Message")) this.sent(value, at);
    }
    if (call.service === "sqs" && call.operation.startsWith("SendMessage")) {
      const bodies = [
        json.MessageBody,
        ...((json.Entries ?? []) as { MessageBody?: string }[]).map((e) => e.MessageBody),
      ];
      for (const body of bodies) if (typeof body === "string") this.sent(body, at);
    }
  }

  private sent(body: string, at: number): void {
    try {
      this.mark(effectKey(this.app, body), "sent", at);
    } catch {
      // not an effect of this measurement
    }
  }

  received(key: string, at: number): void {
    this.mark(key, "received", at);
  }

  stages(): Record<Stage, Percentiles> {
    const spans = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<Stage, number[]>;
    for (const [key, times] of this.at) {
      if (this.app === "readings" && times.invoked !== undefined) {
        // The zone's first write once the record's invocation began.
        const zone = key.split("|")[0] ?? "";
        times.written = this.zoneWrites.get(zone)?.find((t) => t >= (times.invoked as number));
      }
      const order = ["put", ...STAGES] as const;
      if (order.some((s) => times[s] === undefined)) continue;
      STAGES.forEach((stage, i) => {
        spans[stage].push((times[stage] as number) - (times[order[i] as "put" | Stage] as number));
      });
    }
    return Object.fromEntries(STAGES.map((s) => [s, percentiles(spans[s])])) as Record<Stage, Percentiles>;
  }
}
