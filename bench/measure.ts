// One end-to-end measurement: a workload put to a stream of the synthesized stack deployed locally,
// the batch size set in the template as a user would set it. "batched" runs the deployed function
// bundle as Lambda would; "baseline" runs the same logic one record at a time through Powertools'
// BatchProcessor, in process but with the function's role. The gateway meters every call the
// function makes. Used by `npm run bench`, and by a test that holds the request counts
// (deterministic, unlike the timings) to the targets.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { couponCoder, couponSecret } from "../apps/campaign/coupon.js";
import { decodeConversion, decodeLoyalty } from "../apps/campaign/decode.js";
import { couponSink, processConversions, processLoyalty } from "../apps/campaign/service.js";
import { DynamoCampaignStore } from "../apps/campaign/store.js";
import { partitionKeyOf, type StreamName } from "../apps/index.js";
import { zoneAlerts, zoneApp } from "../apps/zones/app.js";
import { decodeReading } from "../apps/zones/reading.js";
import { DEFAULT_RULES } from "../apps/zones/rules.js";
import { zoneStore } from "../apps/zones/store.js";
import { processKeyed } from "../core/keyed.js";
import { snsSink } from "../core/sinks.js";
import { roleIdentities } from "../local/iam/policy.js";
import { sqsDestination } from "../local/lambda/destinations.js";
import { EventSourceRunner, inProcess } from "../local/lambda/kinesis-poller.js";
import { mappingSpec } from "../local/lambda/mapping.js";
import { type LocalStack, startLocalStack } from "../local/stack.js";
import { recordRef, recordText } from "../shared/kinesis-record.js";
import { putRecords } from "../shared/producer.js";
import { drainQueue } from "../test/helpers/queues.js";
import { editTemplate } from "../test/helpers/template-edit.js";
import type { Usage } from "./prices.js";
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
  /** The run's stack, still running (the caller stops it). */
  stack: LocalStack;
  /** What the run used, for its cost. */
  usage: Usage;
}

const FUNCTION_PREFIX = { readings: "Readings", conversions: "Conversions" } as const;

/** Deploys the assembly with the plan's batch size, puts the workload and runs it to the end. */
export async function measure(assembly: string, plan: RunPlan): Promise<Run> {
  const { app, batchSize, mode } = plan;
  const app_ = editTemplate(assembly, (template) => {
    for (const r of Object.values(template.Resources)) {
      if (r.Type !== "AWS::Lambda::EventSourceMapping") continue;
      r.Properties.BatchSize = batchSize;
      r.Properties.MaximumBatchingWindowInSeconds = 0;
      // The function hosts run; the measurement starts its own poller once the workload is in.
      r.Properties.Enabled = false;
    }
  });
  const stack = await startLocalStack({
    workDir: mkdtempSync(path.join(tmpdir(), "tripwire-bench-")),
    app: app_,
    runner: { pollIntervalMs: 20 },
  });
  const outputs = stack.outputs;
  const admin = stack.clients;
  const kind: StreamName = app;
  const lines =
    app === "readings"
      ? readingLines(plan.workload.readings)
      : conversionWorkload(plan.workload.conversions).conversions;
  if (app === "conversions") {
    // The loyalty list goes in first, directly, as the administrator: it is not what is measured.
    const members = conversionWorkload(plan.workload.conversions).loyalty.map((line, i) => ({
      event: decodeLoyalty(line),
      ref: { streamName: "loyalty", shardId: "s", sequenceNumber: String(i + 1), partitionKey: "", arrivalMs: 0 },
    }));
    await processLoyalty(members, new DynamoCampaignStore(admin.documents, outputs.CampaignTableName));
  }
  const streamName = app === "readings" ? outputs.ReadingsStreamName : outputs.ConversionsStreamName;
  await putRecords(
    admin.kinesis,
    streamName,
    lines.map((line) => ({ data: Buffer.from(line), partitionKey: partitionKeyOf(kind, line) })),
  );

  const [deployment] = stack.stacks;
  if (!deployment) throw new Error("no stack");
  const fn = deployment.byType("AWS::Lambda::Function").find((f) => f.logicalId.startsWith(FUNCTION_PREFIX[app]));
  const mapping = deployment
    .byType("AWS::Lambda::EventSourceMapping")
    .find((m) => m.properties.FunctionName === fn?.name);
  const identity = fn && roleIdentities(deployment).get(fn.logicalId);
  if (!fn || !mapping || !identity) throw new Error(`no ${app} function in the assembly`);
  // The function's calls carry its role, so the gateway meters (and authorizes) them as the function's.
  stack.gateway.addIdentity(`ASIABENCH${app.toUpperCase()}`, identity, { faults: false });
  const common = () =>
    stack.gateway.clientConfig({ accessKeyId: `ASIABENCH${app.toUpperCase()}`, secretAccessKey: "bench" });
  const clients = {
    kinesis: new KinesisClient({ requestHandler: new NodeHttpHandler(), ...common() }),
    sqs: new SQSClient(common()),
    sns: new SNSClient(common()),
    documents: DynamoDBDocumentClient.from(new DynamoDBClient(common()), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };

  let invoke: (event: KinesisStreamEvent) => Promise<import("../local/lambda/function-host.js").Invocation>;
  if (mode === "batched") {
    const host = stack.hosts.get(fn.logicalId);
    if (!host) throw new Error("no function host");
    // A warm execution environment, as the in-process baseline always is: the cold start is not timed.
    await host.invoke({ Records: [] });
    invoke = (event) => host.invoke(event);
  } else {
    // The baseline issues the deployment's codes: its secret, read as the function reads it.
    const sm = new SecretsManagerClient(stack.gateway.clientConfig());
    const codeOf = couponCoder(await couponSecret(sm, outputs.CouponSecretArn));
    const handle =
      app === "readings"
        ? (record: KinesisStreamRecord) => {
            const ref = recordRef(record);
            const deps = {
              app: zoneApp(DEFAULT_RULES),
              store: zoneStore(clients.documents, outputs.ZoneTableName),
              sink: snsSink(clients.sns, outputs.AlertTopicArn, zoneAlerts.message),
            };
            return processKeyed([{ ref, event: decodeReading(recordText(record), ref.arrivalMs) }], deps);
          }
        : (record: KinesisStreamRecord) => {
            const ref = recordRef(record);
            const deps = {
              store: new DynamoCampaignStore(clients.documents, outputs.CampaignTableName),
              coupons: couponSink(clients.sqs, outputs.PromoQueueUrl),
              codeOf,
            };
            return processConversions([{ ref, event: decodeConversion(recordText(record), ref.arrivalMs) }], deps);
          };
    invoke = inProcess((event: KinesisStreamEvent) =>
      processPartialResponse(
        event,
        async (record: KinesisStreamRecord) => {
          if ((await handle(record)).failed.size > 0) throw new Error("record failed");
        },
        new BatchProcessor(EventType.KinesisDataStreams),
        { processInParallel: false },
      ),
    );
  }
  // Each invocation timed (the function's work, as Lambda bills duration), and counted.
  let invocations = 0;
  let handlerSeconds = 0;
  const timedInvoke = async (event: KinesisStreamEvent) => {
    const started = performance.now();
    try {
      return await invoke(event);
    } finally {
      invocations++;
      handlerSeconds += (performance.now() - started) / 1000;
    }
  };
  const runner = new EventSourceRunner(
    [
      {
        functionName: fn.name,
        functionArn: fn.arn,
        streamName,
        streamArn: String(mapping.properties.EventSourceArn),
        invoke: timedInvoke,
        settings: mappingSpec(mapping).settings,
        destination: sqsDestination(clients.sqs, outputs.RejectedQueueUrl),
        kinesis: clients.kinesis,
        roleArn: identity.roleArn,
      },
    ],
    { pollIntervalMs: 20, discoverIntervalMs: 50 },
  );
  stack.gateway.resetStats();
  const started = performance.now();
  await runner.start();
  await runner.drained(600_000);
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();

  const { operations, capacity } = stack.gateway.stats;
  const of = (service: string) =>
    Object.fromEntries(
      Object.entries(operations)
        .filter(([op]) => op.startsWith(`${service}:`))
        .map(([op, n]) => [op.slice(service.length + 1), n]),
    ) as Record<string, number>;
  const dynamo = of("dynamodb");
  const sum = (ops: Record<string, number>, names: string[]) => names.reduce((n, name) => n + (ops[name] ?? 0), 0);
  const queue = app === "readings" ? outputs.AlertQueueUrl : outputs.PromoQueueUrl;
  const messages = (await drainQueue(admin.sqs, queue, 500)).length;
  return {
    app,
    batchSize,
    mode,
    records: lines.length,
    seconds,
    dynamoRequests: Object.values(dynamo).reduce((a, b) => a + b, 0),
    writeUnits: capacity.write,
    messages,
    messageRequests:
      app === "readings"
        ? sum(of("sns"), ["Publish", "PublishBatch"])
        : sum(of("sqs"), ["SendMessage", "SendMessageBatch"]),
    operations: dynamo,
    table: app === "readings" ? outputs.ZoneTableName : outputs.CampaignTableName,
    stack,
    usage: {
      records: lines.length,
      seconds,
      shards: 2,
      writeUnits: capacity.write,
      readUnits: capacity.read,
      invocations,
      handlerSeconds,
      memoryMb: Number(fn.properties.MemorySize ?? 128),
      sqsRequests: sum(of("sqs"), ["SendMessage", "SendMessageBatch"]),
      snsRequests: sum(of("sns"), ["Publish", "PublishBatch"]),
    },
  };
}
