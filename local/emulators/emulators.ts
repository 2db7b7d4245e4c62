import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { KinesisClient, ListStreamsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { QueueContents } from "../cloudwatch/queue-age.js";
import { dynamoDbLocalCommand } from "./dynamodb-local.js";
import { freePort } from "./free-port.js";
import { sqsQueueContents } from "./sqs-contents.js";

// The local stand-ins for AWS: kinesis-mock (the Kinesis engine LocalStack itself runs), AWS's own
// DynamoDB Local (dynamodb-local.ts), fauxqs for SQS, SNS and S3. Each is a child process on a free
// loopback port, speaking the real wire protocol, so the AWS SDK talks to them exactly as it talks
// to AWS. A DynamoDB Local already running (the test suite's, shared by its stacks) may be given.

export { freePort } from "./free-port.js";

export type EmulatorName = "kinesis" | "dynamodb" | "sqs-sns";

export interface Endpoints {
  readonly kinesis: string;
  readonly dynamodb: string;
  readonly sqs: string;
  readonly sns: string;
  /** fauxqs answers S3 beside SQS and SNS. */
  readonly s3: string;
}

export interface Emulators {
  readonly endpoints: Endpoints;
  readonly region: string;
  /**
   * The access key this set's calls to DynamoDB carry: DynamoDB Local keeps a database per access
   * key, so a shared one gives each set its own (the gateway signs every call with it).
   */
  readonly dynamodbAccessKey: string;
  /** The environment that points the AWS SDK and CLI at the emulators. */
  readonly env: Record<string, string>;
  readonly pids: readonly number[];
  /** How the SQS emulator's own queue URLs begin (the gateway rewrites them to its own). */
  readonly sqsUrlPrefix: string;
  /** What a queue holds, read without receiving (undefined: no such queue). */
  queueContents(queueName: string): Promise<QueueContents | undefined>;
  stop(): Promise<void>;
}

export class EmulatorStartError extends Error {
  override readonly name = "EmulatorStartError";
  /** Its log says its address was in use. */
  addressInUse = false;
  /** Its port was chosen here, not given. */
  portChosenFree = false;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const childGuard = path.join(here, "child-guard.mjs");
/** The region the emulators and the local stack answer as. */
export const LOCAL_REGION = "us-east-1";
const REGION = LOCAL_REGION;
const START_TIMEOUT_MS = 60_000;

function packageFile(specifier: string): string {
  return fileURLToPath(import.meta.resolve(specifier));
}

interface Child {
  readonly name: EmulatorName;
  readonly process: ChildProcess;
  exited: Promise<number | null>;
  tail: string;
}

export interface EmulatorOptions {
  readonly logDir: string;
  /** A DynamoDB Local already running (its endpoint), used instead of starting one. */
  readonly dynamodb?: string;
  /** Fixed ports; the others are chosen free. */
  readonly ports?: Partial<Record<EmulatorName, number>>;
  /** How a free port is chosen (tests race it). */
  readonly pickPort?: () => Promise<number>;
}

/** Starts of a set of emulators that lost a freely chosen port to another process, before giving up. */
const PORT_RACE_ATTEMPTS = 4;

/**
 * Starts the three emulators on free loopback ports and waits until each answers a real API call.
 * If one fails to start, the others are stopped and an {@link EmulatorStartError} names it. A port
 * is chosen free by binding it and letting it go, so another process may take it before the
 * emulator binds it: an emulator that fails for its address being in use on a port chosen here is
 * started again, all three on new ports.
 */
export async function startEmulators(options: EmulatorOptions): Promise<Emulators> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      const raced = err instanceof EmulatorStartError && err.addressInUse && err.portChosenFree;
      if (!raced || attempt >= PORT_RACE_ATTEMPTS) throw err;
    }
  }
}

/** Where a DynamoDB Local shared by several stacks answers, when one is (the test suite sets it). */
export const SHARED_DYNAMODB_ENV = "TRIPWIRE_DYNAMODB_ENDPOINT";

async function startOnce(given: EmulatorOptions): Promise<Emulators> {
  const shared = given.dynamodb ?? process.env[SHARED_DYNAMODB_ENV];
  const options = { ...given, ...(shared ? { dynamodb: shared } : {}) };
  mkdirSync(options.logDir, { recursive: true });
  const pick = options.pickPort ?? freePort;
  const ports = {
    kinesis: options.ports?.kinesis ?? (await pick()),
    kinesisTls: await pick(),
    dynamodb: options.dynamodb === undefined ? (options.ports?.dynamodb ?? (await pick())) : undefined,
    sqsSns: options.ports?.["sqs-sns"] ?? (await pick()),
  };
  const fixed = (name: EmulatorName) => options.ports?.[name] !== undefined;
  const children: Child[] = [];
  const launch = (
    name: EmulatorName,
    args: string[],
    env: Record<string, string>,
    cwd?: string,
    command = process.execPath,
  ): Child => {
    const log = createWriteStream(path.join(options.logDir, `${name}.log`));
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      // A process group of its own: a terminal's Ctrl-C (SIGINT to the foreground group) reaches the
      // local stack, which stops the emulators last, after reading what it reports from them.
      detached: true,
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const entry: Child = { name, process: child, exited: Promise.resolve(null), tail: "" };
    // The last of what it said, for why it exited ("close": its output is all read by then).
    const keep = (chunk: Buffer) => {
      entry.tail = (entry.tail + chunk.toString()).slice(-4096);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    entry.exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    children.push(entry);
    return entry;
  };

  const kinesisMain = packageFile("kinesis-local");
  launch(
    "kinesis",
    ["--import", childGuard, kinesisMain],
    {
      KINESIS_MOCK_PLAIN_PORT: String(ports.kinesis),
      KINESIS_MOCK_TLS_PORT: String(ports.kinesisTls),
      AWS_REGION: REGION,
      LOG_LEVEL: "WARN",
      CREATE_STREAM_DURATION: "100ms",
    },
    path.dirname(kinesisMain),
  );
  if (ports.dynamodb !== undefined) {
    const java = dynamoDbLocalCommand(ports.dynamodb);
    launch("dynamodb", java.args, {}, java.cwd, java.command);
  }
  launch("sqs-sns", ["--import", childGuard, path.join(path.dirname(packageFile("fauxqs")), "cli.js")], {
    FAUXQS_PORT: String(ports.sqsSns),
    FAUXQS_LOGGER: "false",
    FAUXQS_DEFAULT_REGION: REGION,
  });

  const stop = async () => {
    await Promise.all(
      children.map(async ({ process: child, exited }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // SIGINT: kinesis-mock lingers for seconds on SIGTERM, and every emulator ends at once on SIGINT.
        child.kill("SIGINT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };

  const endpoints: Endpoints = {
    kinesis: `http://127.0.0.1:${ports.kinesis}`,
    dynamodb: options.dynamodb ?? `http://127.0.0.1:${ports.dynamodb}`,
    sqs: `http://127.0.0.1:${ports.sqsSns}`,
    sns: `http://127.0.0.1:${ports.sqsSns}`,
    s3: `http://127.0.0.1:${ports.sqsSns}`,
  };
  // Letters and digits only: DynamoDB Local refuses other access keys.
  const dynamodbAccessKey = `LOCAL${randomBytes(8).toString("hex").toUpperCase()}`;
  const credentials = { accessKeyId: dynamodbAccessKey, secretAccessKey: "test" };
  // Each probe's client is destroyed after its call: an open keep-alive connection makes an emulator
  // wait for it when it is told to stop.
  const probes: Record<EmulatorName, () => Promise<unknown>> = {
    kinesis: async () => {
      const client = new KinesisClient({
        region: REGION,
        endpoint: endpoints.kinesis,
        credentials,
        maxAttempts: 1,
        requestHandler: new NodeHttpHandler({
          connectionTimeout: 1000,
          requestTimeout: 2000,
          throwOnRequestTimeout: true,
        }),
      });
      try {
        return await client.send(new ListStreamsCommand({}));
      } finally {
        client.destroy();
      }
    },
    dynamodb: async () => {
      const client = new DynamoDBClient({ region: REGION, endpoint: endpoints.dynamodb, credentials, maxAttempts: 1 });
      try {
        return await client.send(new ListTablesCommand({}));
      } finally {
        client.destroy();
      }
    },
    "sqs-sns": async () => {
      const res = await fetch(`${endpoints.sqs}/health`);
      if (!res.ok) throw new Error(`health answered ${res.status}`);
    },
  };
  try {
    await Promise.all([
      ...children.map((child) => waitReady(child, probes[child.name], options.logDir, !fixed(child.name))),
      // A DynamoDB Local given is already up: one call says it answers.
      ...(options.dynamodb === undefined ? [] : [probes.dynamodb()]),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    endpoints,
    region: REGION,
    dynamodbAccessKey,
    env: {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_SNS: endpoints.sns,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
    },
    sqsUrlPrefix: `http://sqs.${REGION}.localhost:${ports.sqsSns}`,
    queueContents: (queueName) => sqsQueueContents(endpoints.sqs, queueName),
    pids: children.flatMap(({ process: child }) => (child.pid === undefined ? [] : [child.pid])),
    stop,
  };
}

async function waitReady(
  child: Child,
  probe: () => Promise<unknown>,
  logDir: string,
  portChosenFree: boolean,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void child.exited.then((code) => {
    exitCode = code;
  });
  let lastError = "";
  while (Date.now() < deadline) {
    // Exited, or still running but unable to listen (kinesis-mock may linger after EADDRINUSE).
    const addressInUse = /EADDRINUSE|Address already in use/.test(child.tail);
    if (exitCode !== undefined || addressInUse) {
      const logFile = path.join(logDir, `${child.name}.log`);
      const error = new EmulatorStartError(
        addressInUse
          ? `the ${child.name} emulator could not listen: its port is in use; see ${logFile}`
          : `the ${child.name} emulator exited (code ${exitCode}) while starting; see ${logFile}`,
      );
      error.addressInUse = addressInUse;
      error.portChosenFree = portChosenFree;
      throw error;
    }
    try {
      await probe();
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(200);
  }
  throw new EmulatorStartError(
    `the ${child.name} emulator did not answer within ${START_TIMEOUT_MS / 1000}s (${lastError}); see ${path.join(logDir, `${child.name}.log`)}`,
  );
}
