import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, expect, test } from "vitest";
import { type LocalStack, projectRoot, startLocalStack } from "../../local/stack.js";

// `npm start -- --watch` on a small CDK app of its own (written here, so that the test may change it):
// a handler changed on disk while records flow is synthesized in the background and swapped in;
// later records are handled by the new code, none lost or doubled, the stream position kept.

const root = mkdtempSync(path.join(tmpdir(), "tripwire-watch-app-"));
symlinkSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"));
copyFileSync(path.join(projectRoot, "package-lock.json"), path.join(root, "package-lock.json"));
writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "watch-app", private: true, type: "module" }));
writeFileSync(
  path.join(root, "cdk.json"),
  JSON.stringify({ app: `${process.execPath} --import tsx app.ts`, watch: { include: ["app.ts", "lambda/**"] } }),
);
writeFileSync(
  path.join(root, "app.ts"),
  `import * as path from "node:path";
import { App, CfnOutput, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as kinesis from "aws-cdk-lib/aws-kinesis";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { KinesisEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";

const app = new App();
const stack = new Stack(app, "Watched");
const stream = new kinesis.Stream(stack, "Events", { shardCount: 1 });
const table = new dynamodb.Table(stack, "Seen", {
  partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  removalPolicy: RemovalPolicy.DESTROY,
});
const fn = new NodejsFunction(stack, "Handle", {
  entry: path.join(import.meta.dirname, "lambda", "handler.ts"),
  runtime: lambda.Runtime.NODEJS_22_X,
  depsLockFilePath: path.join(import.meta.dirname, "package-lock.json"),
  environment: { TABLE_NAME: table.tableName },
});
table.grantReadWriteData(fn);
fn.addEventSource(new KinesisEventSource(stream, { startingPosition: lambda.StartingPosition.TRIM_HORIZON, batchSize: 5 }));
new CfnOutput(stack, "StreamName", { value: stream.streamName });
new CfnOutput(stack, "TableName", { value: table.tableName });
app.synth();
`,
);
const handler = (version: number) => `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const VERSION = ${version};

export const handler = async (event: { Records: { kinesis: { data: string } }[] }) => {
  for (const r of event.Records) {
    await db.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: { id: Buffer.from(r.kinesis.data, "base64").toString() },
      UpdateExpression: "SET handledBy = :v ADD deliveries :one",
      ExpressionAttributeValues: { ":v": VERSION, ":one": 1 },
    }));
  }
};
`;
mkdirSync(path.join(root, "lambda"));
writeFileSync(path.join(root, "lambda", "handler.ts"), handler(1));

let stack: LocalStack | undefined;
afterAll(async () => stack?.stop());

test("a handler changed on disk is swapped in between invocations: later records meet the new code, none lost or doubled", async () => {
  const reloads: string[] = [];
  stack = await startLocalStack({
    workDir: mkdtempSync(path.join(tmpdir(), "tripwire-watch-")),
    root,
    watch: { print: (line) => reloads.push(line) },
    runner: { pollIntervalMs: 50, retryDelayMs: 20, discoverIntervalMs: 250 },
  });
  const outputs = stack.outputs as Record<string, string>;
  const put = async (from: number) => {
    const records = Array.from({ length: 20 }, (_, i) => ({
      PartitionKey: `k${i % 4}`,
      Data: Buffer.from(`r${from + i}`),
    }));
    await stack?.clients.kinesis.send(new PutRecordsCommand({ StreamName: outputs.StreamName, Records: records }));
    await stack?.runner?.drained();
  };
  const items = async () =>
    ((await stack?.clients.documents.send(new ScanCommand({ TableName: outputs.TableName })))?.Items ?? []).sort(
      (a, b) => String(a.id).localeCompare(String(b.id), "en", { numeric: true }),
    );
  await put(0);
  expect((await items()).map((i) => i.handledBy)).toEqual(Array(20).fill(1));

  writeFileSync(path.join(root, "lambda", "handler.ts"), handler(2));
  for (let waited = 0; waited < 90_000 && reloads.length === 0; waited += 250)
    await new Promise((r) => setTimeout(r, 250));
  expect(reloads.join("\n")).toMatch(/^reload {3}\d\d:\d\d:\d\d in [\d.]+ s: swapped Handle\w* \(code\)$/m);

  await put(20);
  const all = await items();
  expect(all.map((i) => i.id)).toEqual(Array.from({ length: 40 }, (_, i) => `r${i}`));
  expect(all.map((i) => i.deliveries)).toEqual(Array(40).fill(1));
  expect(all.slice(0, 20).map((i) => i.handledBy)).toEqual(Array(20).fill(1));
  expect(all.slice(20).map((i) => i.handledBy)).toEqual(Array(20).fill(2));
});
