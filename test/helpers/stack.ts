import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { partitionKeyOf, type RecordKind } from "#shared/partition-key.js";
import { putRecords } from "../../cli/producer.js";
import type { FaultPlan } from "../../local/fault-proxy.js";
import type { RunnerOptions } from "../../local/runner.js";
import { type LocalStack, startLocalStack } from "../../local/stack.js";

/** The whole local stack for one test file (handlers are loaded once per process). */
export function localStackForTests(
  runner: Partial<Omit<RunnerOptions, "kinesis" | "sqs">> = {},
  faults?: FaultPlan,
): Promise<LocalStack> {
  return startLocalStack({
    workDir: mkdtempSync(path.join(tmpdir(), "tripwire-stack-")),
    runner: { pollIntervalMs: 50, retryDelayMs: 20, ...runner },
    ...(faults ? { faults } : {}),
  });
}

/** Puts lines to a stream as the producer command does, keyed from the record. */
export async function putLines(
  kinesis: KinesisClient,
  streamName: string,
  kind: RecordKind,
  lines: readonly (string | Buffer)[],
): Promise<void> {
  await putRecords(
    kinesis,
    streamName,
    lines.map((line) => ({ data: Buffer.from(line), partitionKey: partitionKeyOf(kind, line.toString()) })),
  );
}
