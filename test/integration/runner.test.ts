import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import type { KinesisStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEFAULT_EVENT_SOURCE, type EventSourceSettings } from "../../infra/event-sources.js";
import type { Emulators } from "../../local/emulators/emulators.js";
import { EventSourceRunner, type FailureRecord } from "../../local/lambda/kinesis-poller.js";
import { putRecords } from "../../shared/producer.js";
import { directClients } from "../helpers/clients.js";
import { createStream, drainQueue, emulatorsForTests, testMapping } from "../helpers/emulators.js";

let emulators: Emulators;
let kinesis: KinesisClient;
let sqs: SQSClient;

beforeAll(async () => {
  emulators = await emulatorsForTests();
  ({ kinesis, sqs } = directClients(emulators));
});
afterAll(async () => {
  await emulators?.stop();
});

let streams = 0;
/** A fresh stream with `lines` put under the given keys, a failure queue, and a runner for `handler`. */
async function setUp(
  handler: (event: KinesisStreamEvent) => Promise<unknown>,
  lines: string[],
  options: {
    shards?: number;
    keyOf?: (line: string, i: number) => string;
    settings?: Partial<EventSourceSettings>;
  } = {},
) {
  const streamName = `runner-test-${++streams}`;
  await createStream(kinesis, streamName, options.shards ?? 1);
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `${streamName}-failures` }));
  const failureQueueUrl = queue.QueueUrl as string;
  await putRecords(
    kinesis,
    streamName,
    lines.map((line, i) => ({ data: Buffer.from(line), partitionKey: options.keyOf?.(line, i) ?? "k" })),
  );
  const settings = { ...DEFAULT_EVENT_SOURCE, maxBatchingWindowSeconds: 0, ...options.settings };
  const runner = new EventSourceRunner(
    [testMapping({ kinesis, sqs }, { functionName: "test", streamName, handler, settings, failureQueueUrl })],
    { pollIntervalMs: 50, retryDelayMs: 10, discoverIntervalMs: 100 },
  );
  await runner.start();
  await runner.drained();
  await runner.stop();
  const failures = (await drainQueue(sqs, failureQueueUrl, 500)).map((m) => JSON.parse(m.Body ?? "") as FailureRecord);
  return { failures, settings };
}

const text = (event: KinesisStreamEvent) => event.Records.map((r) => Buffer.from(r.kinesis.data, "base64").toString());
const numbered = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);

describe("the local event-source runner", () => {
  test("a handler that reports record k failed gets records from k on again, not before", async () => {
    const batches: string[][] = [];
    let failedOnce = false;
    const { failures } = await setUp(
      async (event) => {
        batches.push(text(event));
        if (!failedOnce) {
          failedOnce = true;
          const k = event.Records[4];
          return {
            batchItemFailures: [
              { itemIdentifier: k?.kinesis.sequenceNumber ?? "" },
              { itemIdentifier: event.Records[7]?.kinesis.sequenceNumber ?? "" },
            ],
          };
        }
        return { batchItemFailures: [] };
      },
      numbered(10),
      { settings: { batchSize: 10 } },
    );
    expect(batches).toEqual([numbered(10), numbered(10).slice(4)]);
    expect(failures).toEqual([]);
  });

  test("a handler that throws is bisected down to the poison record, which lands in the failure destination", async () => {
    const processed: string[] = [];
    let poisonInvocations = 0;
    const { failures, settings } = await setUp(
      async (event) => {
        const lines = text(event);
        if (lines.includes("r5")) {
          if (lines.length === 1) poisonInvocations++;
          throw new Error("poison");
        }
        processed.push(...lines);
        return { batchItemFailures: [] };
      },
      numbered(8),
      { settings: { batchSize: 8, retryAttempts: 2 } },
    );
    expect(processed).toEqual(["r0", "r1", "r2", "r3", "r4", "r6", "r7"]);
    expect(poisonInvocations).toBe(settings.retryAttempts + 1);
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    expect(failure?.requestContext).toMatchObject({ condition: "RetryAttemptsExhausted", approximateInvokeCount: 3 });
    expect(failure?.KinesisBatchInfo).toMatchObject({ batchSize: 1, shardId: "shardId-000000000000" });
    expect(failure?.KinesisBatchInfo.startSequenceNumber).toBe(failure?.KinesisBatchInfo.endSequenceNumber);
    expect(failure?.KinesisBatchInfo.streamArn).toMatch(/^arn:aws:kinesis:us-east-1:\d{12}:stream\/runner-test-/);
  });

  test("without bisection a failing batch is retried whole, then sent to the destination as one range", async () => {
    let calls = 0;
    const { failures } = await setUp(
      async () => {
        calls++;
        throw new Error("down");
      },
      numbered(6),
      { settings: { batchSize: 6, retryAttempts: 1, bisectBatchOnError: false } },
    );
    expect(calls).toBe(2);
    expect(failures.map((f) => f.KinesisBatchInfo.batchSize)).toEqual([6]);
  });

  test("records older than the maximum record age go to the destination unprocessed", async () => {
    let delivered = 0;
    const { failures } = await setUp(
      async (event) => {
        delivered += event.Records.length;
      },
      numbered(3),
      { settings: { maxRecordAgeSeconds: 0 } },
    );
    expect(delivered).toBe(0);
    expect(failures.map((f) => f.requestContext.condition)).toEqual(["RecordAgeExceeded"]);
  });

  test("order per shard and per key holds over several shards, every record delivered once", async () => {
    const seen: { shard: string; seq: bigint; key: string; n: number }[] = [];
    const lines = Array.from({ length: 400 }, (_, i) => `key-${i % 23}:${i}`);
    await setUp(
      async (event) => {
        for (const r of event.Records) {
          const [key = "", n = ""] = Buffer.from(r.kinesis.data, "base64").toString().split(":");
          seen.push({ shard: r.eventID.split(":")[0] ?? "", seq: BigInt(r.kinesis.sequenceNumber), key, n: Number(n) });
        }
        return { batchItemFailures: [] };
      },
      lines,
      { shards: 4, keyOf: (line) => line.split(":")[0] ?? "", settings: { batchSize: 25 } },
    );
    expect(seen.map((s) => s.n).sort((a, b) => a - b)).toEqual(lines.map((_, i) => i));
    expect(new Set(seen.map((s) => s.shard)).size).toBe(4);
    const lastByShard = new Map<string, bigint>();
    const lastByKey = new Map<string, number>();
    for (const s of seen) {
      expect(s.seq > (lastByShard.get(s.shard) ?? -1n)).toBe(true);
      expect(s.n > (lastByKey.get(s.key) ?? -1)).toBe(true);
      lastByShard.set(s.shard, s.seq);
      lastByKey.set(s.key, s.n);
    }
  });
});

describe("the runner's newer mapping settings", () => {
  test("without ReportBatchItemFailures a response is not read: a batch that returned is done", async () => {
    const seen: string[] = [];
    await setUp(
      async (event) => {
        seen.push(...text(event));
        return { batchItemFailures: [{ itemIdentifier: event.Records[0]?.kinesis.sequenceNumber }] };
      },
      numbered(12),
      { settings: { reportBatchItemFailures: false, batchSize: 5 } },
    );
    expect(seen).toEqual(numbered(12));
  });

  test("ParallelizationFactor 3: other keys go on while one key's batch is under way, and the checkpoint waits for it", async () => {
    const streamName = `runner-test-${++streams}`;
    await createStream(kinesis, streamName, 1);
    const lines = Array.from(
      { length: 60 },
      (_, i) => `${["slow", "a", "b", "c", "d", "e"][i % 6]}:${Math.floor(i / 6)}`,
    );
    const put = await putRecords(
      kinesis,
      streamName,
      lines.map((line) => ({ data: Buffer.from(line), partitionKey: line.split(":")[0] as string })),
    );
    expect(put.put).toBe(60);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const done: string[] = [];
    const handler = async (event: KinesisStreamEvent) => {
      const batch = text(event);
      if (batch.some((l) => l.startsWith("slow:"))) await released;
      done.push(...batch);
    };
    const settings = { ...DEFAULT_EVENT_SOURCE, maxBatchingWindowSeconds: 0, batchSize: 10, parallelizationFactor: 3 };
    const runner = new EventSourceRunner(
      [testMapping({ kinesis, sqs }, { functionName: "par", streamName, handler, settings, failureQueueUrl: "" })],
      { pollIntervalMs: 50, retryDelayMs: 10, discoverIntervalMs: 100 },
    );
    await runner.start();
    try {
      // Every record of the keys that share no batch with "slow" is done while "slow" waits.
      const deadline = Date.now() + 20_000;
      const others = () => done.filter((l) => !l.startsWith("slow:")).length;
      let last = -1;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        if (others() === last && last > 0) break;
        last = others();
      }
      expect(done.some((l) => l.startsWith("slow:"))).toBe(false);
      expect(others()).toBeGreaterThan(0);
      const [checkpoint] = [...runner.checkpoints().values()];
      // Nothing read together with the waiting batch is past the checkpoint.
      expect(checkpoint).toBeUndefined();
      release();
      await runner.drained();
      for (const key of ["slow", "a", "b", "c", "d", "e"]) {
        expect(done.filter((l) => l.startsWith(`${key}:`))).toEqual(lines.filter((l) => l.startsWith(`${key}:`)));
      }
      expect([...runner.checkpoints().values()][0]).toBeDefined();
    } finally {
      release();
      await runner.stop();
    }
  });
});
