// Put-to-effect latency on the deployed stack run locally, with the template's own settings
// (batching window included) and Lambda's once-a-second polling: how long a customer waits for a
// coupon, or an operator for an alarm, after the record is put. Records go in at a steady rate, each
// one made to cause an effect, and each effect is timed from its record's put to its arrival on the
// queue a consumer reads.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { partitionKeyOf } from "../apps/index.js";
import { startLocalStack } from "../local/stack.js";
import { putRecords } from "../shared/producer.js";

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
}

const T0 = Date.UTC(2026, 10, 20, 9);

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
  const stack = await startLocalStack({
    workDir: mkdtempSync(path.join(tmpdir(), "tripwire-latency-")),
    app: assembly,
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
    const consumer = (async () => {
      while (producing || arrivedAt.size < putAt.size) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        const now = performance.now();
        for (const m of out.Messages ?? []) {
          const body = JSON.parse(m.Body ?? "{}") as Record<string, string>;
          const key = app === "readings" ? `${body.zone}|${body.timestamp}` : String(body.email);
          if (!arrivedAt.has(key)) arrivedAt.set(key, now);
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
    })();
    // A tenth of a second's records every 100 ms: a steady rate, not one burst.
    const perTick = Math.max(1, Math.round(rate / 10));
    const started = performance.now();
    for (let i = 0; i < records.length; i += perTick) {
      const tick = records.slice(i, i + perTick);
      const wait = started + (i / rate) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      await putRecords(
        kinesis,
        stream,
        tick.map((r) => ({ data: Buffer.from(r.line), partitionKey: partitionKeyOf(app, r.line) })),
      );
      const now = performance.now();
      for (const r of tick) putAt.set(r.key, now);
      last = now;
    }
    producing = false;
    await consumer;
    const latencies = [...putAt].flatMap(([key, at]) => {
      const arrived = arrivedAt.get(key);
      return arrived === undefined ? [] : [arrived - at];
    });
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    const mapping = stack.stacks[0]?.byType("AWS::Lambda::EventSourceMapping")[0];
    return {
      app,
      rate,
      seconds,
      effects: latencies.length,
      missing: putAt.size - latencies.length,
      p50: pct(50),
      p95: pct(95),
      p99: pct(99),
      batchingWindowSeconds: Number(mapping?.properties.MaximumBatchingWindowInSeconds ?? 0),
    };
  } finally {
    await stack.stop();
  }
}
