// One end-to-end measurement: a workload put to a stream, run through the local event-source
// runner with a function's processing (batched as deployed, or the per-record baseline), its
// DynamoDB/SQS/SNS calls counted by a metering proxy. Used by `npm run bench`, and by a test that
// holds the request counts (deterministic, unlike the timings) to the targets.
import { performance } from "node:perf_hooks";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { putRecords } from "../cli/producer.js";
import { eventSources } from "../infra/event-sources.js";
import type { DirectClients } from "../local/clients.js";
import type { Emulators } from "../local/emulators.js";
import { drainQueue } from "../local/queues.js";
import { createResources } from "../local/resources.js";
import { EventSourceRunner, type StreamHandler } from "../local/runner.js";
import { decodeConversion, decodeLoyalty } from "../shared/campaign/decode.js";
import { processConversions, processLoyalty } from "../shared/campaign/service.js";
import { DynamoCampaignStore } from "../shared/campaign/store.js";
import { recordRef, recordText } from "../shared/kinesis-record.js";
import { partitionKeyOf, type RecordKind } from "../shared/partition-key.js";
import { type Decoded, handleStreamBatch } from "../shared/stream-batch.js";
import { decodeReading } from "../shared/zones/reading.js";
import { DEFAULT_RULES } from "../shared/zones/rules.js";
import { processReadings } from "../shared/zones/service.js";
import { DynamoZoneStore } from "../shared/zones/store.js";
import { proxiedClients } from "./support.js";
import { conversionWorkload, readingLines } from "./workload.js";

export type Mode = "batched" | "baseline";

export interface RunPlan {
  readonly app: "readings" | "conversions";
  readonly batchSize: number;
  readonly mode: Mode;
  /** How many records of each workload to put. */
  readonly workload: { readonly readings: number; readonly conversions: number };
}

export interface Run {
  app: RunPlan["app"];
  batchSize: number;
  mode: Mode;
  records: number;
  seconds: number;
  dynamoRequests: number;
  writeUnits: number;
  messages: number;
  messageRequests: number;
  /** DynamoDB calls by operation. */
  operations: Record<string, number>;
  /** The table the run kept its state in. */
  table: string;
}

let runs = 0;

/** Puts the plan's workload to fresh resources and runs it to the end; what it cost. */
export async function measure(emulators: Emulators, direct: DirectClients, plan: RunPlan): Promise<Run> {
  const { app, batchSize, mode } = plan;
  const outputs = await createResources(direct, `bench${++runs}`, 2);
  const proxied = await proxiedClients(emulators);
  const { clients, proxies } = proxied;
  const kind: RecordKind = app;
  let lines: string[];
  let handle: (records: Decoded<unknown>[]) => Promise<{ failed: ReadonlySet<string> }>;
  let decode: (text: string, arrivalMs: number) => unknown;
  if (app === "readings") {
    lines = readingLines(plan.workload.readings);
    const deps = {
      store: new DynamoZoneStore(clients.documents, outputs.ZoneTableName),
      sns: clients.sns,
      topicArn: outputs.AlertTopicArn,
      rules: DEFAULT_RULES,
    };
    decode = decodeReading;
    handle = (records) => processReadings(records as Decoded<ReturnType<typeof decodeReading>>[], deps);
  } else {
    const workload = conversionWorkload(plan.workload.conversions);
    lines = workload.conversions;
    const store = new DynamoCampaignStore(clients.documents, outputs.CampaignTableName);
    // The loyalty list goes in first, directly: it is not what is measured.
    const members = workload.loyalty.map((line, i) => ({
      event: decodeLoyalty(line),
      ref: { streamName: "loyalty", shardId: "s", sequenceNumber: String(i + 1), partitionKey: "", arrivalMs: 0 },
    }));
    await processLoyalty(members, new DynamoCampaignStore(direct.documents, outputs.CampaignTableName));
    decode = decodeConversion;
    const deps = { store, sqs: clients.sqs, promoQueueUrl: outputs.PromoQueueUrl };
    handle = (records) => processConversions(records as Decoded<ReturnType<typeof decodeConversion>>[], deps);
  }

  const streamName = app === "readings" ? outputs.ReadingsStreamName : outputs.ConversionsStreamName;
  await putRecords(
    direct.kinesis,
    streamName,
    lines.map((line) => ({ data: Buffer.from(line), partitionKey: partitionKeyOf(kind, line) })),
  );
  for (const proxy of proxies) proxy.reset();

  const handler: StreamHandler =
    mode === "batched"
      ? (event: KinesisStreamEvent) =>
          handleStreamBatch(event, {
            functionName: app,
            decode: (text, ref) => decode(text, ref.arrivalMs),
            process: handle,
            sqs: clients.sqs,
            rejectedQueueUrl: outputs.RejectedQueueUrl,
          })
      : (event: KinesisStreamEvent) =>
          processPartialResponse(
            event,
            async (record: KinesisStreamRecord) => {
              const ref = recordRef(record);
              const outcome = await handle([{ ref, event: decode(recordText(record), ref.arrivalMs) }]);
              if (outcome.failed.size > 0) throw new Error("record failed");
            },
            new BatchProcessor(EventType.KinesisDataStreams),
            { processInParallel: false },
          );
  const settings = { ...eventSources()[app], batchSize, maxBatchingWindowSeconds: 0 };
  const runner = new EventSourceRunner(
    [{ functionName: app, streamName, handler, settings, failureQueueUrl: outputs.RejectedQueueUrl }],
    { kinesis: direct.kinesis, sqs: direct.sqs, pollIntervalMs: 20 },
  );
  const started = performance.now();
  await runner.start();
  await runner.drained(600_000);
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();

  const [dynamo, sqs, sns] = proxies.map((p) => p.stats);
  const count = (ops: Record<string, number> | undefined, names: string[]) =>
    names.reduce((sum, name) => sum + (ops?.[name] ?? 0), 0);
  const queue = app === "readings" ? outputs.AlertQueueUrl : outputs.PromoQueueUrl;
  const messages = (await drainQueue(direct.sqs, queue, 500)).length;
  const messageRequests =
    app === "readings"
      ? count(sns?.operations, ["Publish", "PublishBatch"])
      : count(sqs?.operations, ["SendMessage", "SendMessageBatch"]);
  await proxied.stop();
  return {
    app,
    batchSize,
    mode,
    records: lines.length,
    seconds,
    dynamoRequests: Object.values(dynamo?.operations ?? {}).reduce((a, b) => a + b, 0),
    writeUnits: dynamo?.capacity.write ?? 0,
    messages,
    messageRequests,
    operations: { ...dynamo?.operations },
    table: app === "readings" ? outputs.ZoneTableName : outputs.CampaignTableName,
  };
}
