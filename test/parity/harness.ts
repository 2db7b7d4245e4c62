import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { LocalStack } from "../../local/stack.js";
import type { DeployedFixture, ParityContext } from "./scenario.js";
import { keepRawBodies } from "./scenarios/api.js";

// What a scenario reaches the local stack through: the administrator's clients, the parity app's
// fixtures (their stack outputs), and reads that wait for what AWS does in its own time — a
// function's log lines, a queue's messages, a bucket's object — as LocalStack's tests retry theirs.

const WAIT_MS = 60_000;

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A JSON line of a log, or nothing (the runtime's and the function's other lines). */
function jsonLine(line: string): unknown {
  if (!line.startsWith("{") && !line.startsWith("[")) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** An SQS body as LocalStack's snapshots keep it: JSON where it is JSON. */
function parsedBody(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

export function parityContext(stack: LocalStack): ParityContext {
  const common = () => stack.gateway.clientConfig();
  const outputs = stack.outputs as unknown as Record<string, string>;
  const logLines = async (functionName: string) => {
    const host = [...stack.hosts.values()].find((h) => h.spec.functionName === functionName);
    if (!host) throw new Error(`no function ${functionName} in the parity app`);
    await host.flushed();
    const file = path.join(stack.logDir, `${functionName}.log`);
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .map(jsonLine)
      .filter((v) => v !== undefined);
  };
  return {
    clients: {
      ...stack.clients,
      dynamodb: keepRawBodies(new DynamoDBClient(common())),
      cloudwatch: keepRawBodies(new CloudWatchClient(common())),
      lambda: keepRawBodies(new LambdaClient(common())),
    },
    fixture(id: string): DeployedFixture {
      const value = outputs[`Fixture${id}`];
      if (value === undefined) throw new Error(`no fixture ${id} in the parity app`);
      return JSON.parse(value) as DeployedFixture;
    },
    logEvents: (functionName, count, timeoutMs = WAIT_MS) =>
      until(
        `${count} log events of ${functionName}`,
        async () => {
          const lines = await logLines(functionName);
          return lines.length >= count ? lines : undefined;
        },
        timeoutMs,
      ),
    invocationEvents: (functionName, count, timeoutMs = WAIT_MS) =>
      until(
        `${count} invocations of ${functionName}`,
        async () => {
          const events = (await logLines(functionName)).filter(
            (e) => e !== null && typeof e === "object" && "Records" in e,
          );
          return events.length >= count ? events : undefined;
        },
        timeoutMs,
      ),
    receiveMessages: (queueUrl, timeoutMs = WAIT_MS) =>
      until(
        `a message in ${queueUrl}`,
        async () => {
          const out = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
          if (!out.Messages?.length) return undefined;
          const { $metadata: _, ...answer } = out;
          return { ...answer, Messages: out.Messages.map((m) => ({ ...m, Body: parsedBody(m.Body) })) };
        },
        timeoutMs,
      ),
    onlyObject: (bucket, timeoutMs = WAIT_MS) =>
      until(
        `an object in ${bucket}`,
        async () => {
          const listed = await stack.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
          const key = listed.Contents?.[0]?.Key;
          if (key === undefined) return undefined;
          const object = await stack.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return JSON.parse((await object.Body?.transformToString()) ?? "null") as unknown;
        },
        timeoutMs,
      ),
  };
}
