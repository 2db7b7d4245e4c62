import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type Emulators, startEmulators } from "../../local/emulators.js";

/** Starts the emulators for a test file and points this process's AWS SDK at them. */
export async function emulatorsForTests(): Promise<Emulators> {
  const emulators = await startEmulators({ logDir: path.join(mkdtempSync(path.join(tmpdir(), "tripwire-")), "logs") });
  Object.assign(process.env, emulators.env);
  return emulators;
}

/** Receives (and deletes) every message a queue holds now, waiting until it stays empty. */
export async function drainQueue(sqs: SQSClient, queueUrl: string, quietMs = 1500): Promise<Message[]> {
  const all: Message[] = [];
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    quietSince = Date.now();
    all.push(...messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
  return all;
}
