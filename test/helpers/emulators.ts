import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { KinesisStreamEvent } from "aws-lambda";
import { afterAll, beforeAll } from "vitest";
import type { EventSourceSettings } from "../../infra/event-sources.js";
import { type Emulators, startEmulators } from "../../local/emulators/emulators.js";
import { inProcess, type Mapping } from "../../local/lambda/kinesis-poller.js";
import { type DirectClients, directClients } from "./clients.js";

/** Starts the emulators for a test file and points this process's AWS SDK at them. */
export async function emulatorsForTests(): Promise<Emulators> {
  const emulators = await startEmulators({ logDir: path.join(mkdtempSync(path.join(tmpdir(), "tripwire-")), "logs") });
  Object.assign(process.env, emulators.env);
  return emulators;
}

/** The emulators for this test file, started before its tests and stopped after, with direct clients. */
export function emulatorsForFile(): { readonly clients: DirectClients } {
  let emulators: Emulators | undefined;
  let clients: DirectClients | undefined;
  beforeAll(async () => {
    emulators = await emulatorsForTests();
    clients = directClients(emulators);
  });
  afterAll(async () => {
    // Open keep-alive connections would make the emulators wait for them when told to stop.
    for (const client of Object.values(clients ?? {})) (client as { destroy(): void }).destroy();
    await emulators?.stop();
  });
  return {
    get clients(): DirectClients {
      if (clients === undefined) throw new Error("the emulators start in beforeAll");
      return clients;
    },
  };
}

/** A mapping for the runner's own tests: an in-process handler on a stream of the emulators. */
export function testMapping(
  clients: Pick<DirectClients, "kinesis" | "sqs">,
  m: {
    functionName: string;
    streamName: string;
    handler: (e: KinesisStreamEvent) => Promise<unknown>;
    settings: EventSourceSettings;
    failureQueueUrl: string;
  },
): Mapping {
  return {
    functionName: m.functionName,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${m.functionName}`,
    streamName: m.streamName,
    streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${m.streamName}`,
    invoke: inProcess(m.handler),
    settings: m.settings,
    destination: sqsDestination(clients.sqs, m.failureQueueUrl),
    kinesis: clients.kinesis,
    roleArn: `arn:aws:iam::000000000000:role/${m.functionName}-role`,
  };
}

import { sqsDestination } from "../../local/lambda/destinations.js";

export { createStream } from "../../local/cloudformation/deploy.js";
export { drainQueue } from "./queues.js";
