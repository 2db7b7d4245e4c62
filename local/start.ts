#!/usr/bin/env node
// `npm start`: the whole of Tripwire on this machine, no AWS account and no Docker. Starts the
// emulators, creates the stack's resources, runs the deployed handlers with the stack's
// event-source settings, loads the demo data and shows coupons and alerts as they happen.
// `npm start -- --no-demo` starts an empty stack and leaves the streams' output to its clients.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { figuresTable } from "../cli/figures-table.js";
import { putRecords } from "../cli/producer.js";
import { dynamoDocumentClient, kinesisClient, sqsClient } from "../shared/aws.js";
import { DynamoCampaignStore } from "../shared/campaign/store.js";
import { partitionKeyOf, type RecordKind } from "../shared/partition-key.js";
import { EmulatorStartError } from "./emulators.js";
import { projectRoot, startLocalStack } from "./stack.js";

const { values } = parseArgs({
  options: {
    "no-demo": { type: "boolean" },
    "exit-after-demo": { type: "boolean" },
    "work-dir": { type: "string" },
  },
});
const workDir = path.resolve(values["work-dir"] ?? path.join(projectRoot, ".tripwire"));

async function main(): Promise<void> {
  console.log("starting local Kinesis, DynamoDB, SQS and SNS on 127.0.0.1 …");
  const demo = !values["no-demo"];
  const stack = await startLocalStack({
    workDir,
    runner: {
      onFailureDestination: (f) =>
        console.log(
          `✗ ${f.KinesisBatchInfo.batchSize} records sent to the failure destination (${f.requestContext.condition})`,
        ),
    },
  });
  let stopping = false;
  const consumers: Promise<void>[] = [];
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A second Ctrl-C does not wait: the emulators exit by themselves once this process is gone.
      console.log(`\n${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: stopping …`);
    setTimeout(() => {
      console.error("could not stop cleanly within 15 s; exiting (the emulators follow)");
      process.exit(1);
    }, 15_000).unref();
    await Promise.allSettled(consumers);
    await stack.stop();
    console.log("stopped; no process left running");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const { endpoints } = stack.emulators;
  console.log(`Kinesis  ${endpoints.kinesis}\nDynamoDB ${endpoints.dynamodb}\nSQS/SNS  ${endpoints.sqs}`);
  console.log(`outputs  ${stack.outputsFile}   (the format of cdk deploy --outputs-file)`);
  console.log(`env      ${stack.envFile}   (source it to point the AWS CLI/SDK here)`);

  if (demo) {
    const sqs = sqsClient();
    consumers.push(
      consume(
        sqs,
        stack.outputs.PromoQueueUrl,
        () => stopping,
        (body) => {
          const c = JSON.parse(body) as Record<string, string>;
          console.log(
            `🎟  coupon ${c.couponCode}  ${c.campaign}  ${c.email}  (${c.discountPercent} % off, clicked via ${c.channel})`,
          );
        },
      ),
      consume(
        sqs,
        stack.outputs.AlertQueueUrl,
        () => stopping,
        (body) => {
          const a = JSON.parse(body) as Record<string, string | number>;
          const icon = a.status === "ALARM" ? "🔥" : "✅";
          console.log(
            `${icon} ${String(a.status).padEnd(5)} ${String(a.zone).padEnd(12)} ${String(a.rule).padEnd(16)} ${a.temperature} °F  ${a.timestamp}`,
          );
        },
      ),
    );
    const kinesis = kinesisClient();
    const put = async (kind: RecordKind, file: string, stream: string) => {
      const lines = readFileSync(path.join(projectRoot, "data", file), "utf8")
        .split(/\r?\n/)
        .filter((l) => l.trim() !== "");
      const records = lines.map((line) => ({ data: Buffer.from(line), partitionKey: partitionKeyOf(kind, line) }));
      const { put } = await putRecords(kinesis, stream, records);
      console.log(`put ${put} ${kind} records from data/${file}`);
    };
    // The loyalty list first, as the marketing team loads it before the campaign starts.
    await put("loyalty", "loyalty.txt", stack.outputs.LoyaltyStreamName);
    await stack.runner?.drained();
    await Promise.all([
      put("conversions", "conversions.txt", stack.outputs.ConversionsStreamName),
      put("readings", "readings.csv", stack.outputs.ReadingsStreamName),
    ]);
    await stack.runner?.drained(300_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let the display consumers catch up
    const figures = await new DynamoCampaignStore(
      dynamoDocumentClient(),
      stack.outputs.CampaignTableName,
    ).readFigures();
    console.log(`\ncampaign figures\n${figuresTable(figures)}\n`);
    if (values["exit-after-demo"]) return shutdown("demo done");
  }
  console.log("running; put records with `npm run put -- --stream …`; Ctrl-C stops everything");
}

async function consume(
  sqs: SQSClient,
  queueUrl: string,
  stopped: () => boolean,
  show: (body: string) => void,
): Promise<void> {
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
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof EmulatorStartError ? `could not start: ${err.message}` : err);
  process.exit(1);
});
