import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { inject } from "vitest";
import { partitionKeyOf, type StreamName } from "#apps/index.js";
import type { FaultPlan } from "../../local/gateway/gateway.js";
import type { RunnerOptions } from "../../local/lambda/kinesis-poller.js";
import { ADMIN_CREDENTIALS, type LocalStack, type LocalStackOptions, startLocalStack } from "../../local/stack.js";
import { putRecords } from "../../shared/producer.js";
import { AwsCliSession } from "./aws-cli.js";
import { type EditableTemplate, editTemplate } from "./template-edit.js";

/** The synthesized cloud assembly of this test run (test/global-setup.ts). */
export const assembly = (): string => inject("assembly");

/** The whole local stack, deployed from this run's cloud assembly, for one test file. */
export function localStackForTests(
  runner: Partial<RunnerOptions> = {},
  faults?: FaultPlan,
  options: Partial<LocalStackOptions> = {},
): Promise<LocalStack> {
  return startLocalStack({
    workDir: mkdtempSync(path.join(tmpdir(), "tripwire-stack-")),
    app: assembly(),
    runner: { pollIntervalMs: 50, retryDelayMs: 20, discoverIntervalMs: 250, ...runner },
    ...(faults ? { faults } : {}),
    ...options,
  });
}

/** A copy of this run's cloud assembly with its template edited, as a changed app would synthesize. */
export const editedAssembly = (edit: (template: EditableTemplate) => void): string => editTemplate(assembly(), edit);

/** Puts lines to a stream as the producer command does, keyed from the record. */
export async function putLines(
  kinesis: KinesisClient,
  streamName: string,
  kind: StreamName,
  lines: readonly (string | Buffer)[],
): Promise<void> {
  await putRecords(
    kinesis,
    streamName,
    lines.map((line) => ({ data: Buffer.from(line), partitionKey: partitionKeyOf(kind, line.toString()) })),
  );
}

/** The resources of one type in a template, by logical id. */
export function resourcesOf(template: EditableTemplate, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** A loyalty member, then that member's click on the campaign's ad, each processed before the next. */
export async function memberClicks(stack: LocalStack): Promise<void> {
  const { kinesis } = stack.clients;
  await putLines(kinesis, stack.outputs.LoyaltyStreamName, "loyalty", ["kangak@fakeemail.com, kanga, kanga, F"]);
  await stack.runner?.drained();
  await putLines(kinesis, stack.outputs.ConversionsStreamName, "conversions", [
    "MarsupialHoodie, ClickConversion, kangak@fakeemail.com, Instagram",
  ]);
  await stack.runner?.drained();
}

/** What the AWS CLI reads as a user runs it against a local stack: its endpoint, the administrator's keys. */
function cliEnv(stack: LocalStack): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ENDPOINT_URL: stack.gateway.url,
    ...(stack.gateway.caFile === undefined ? {} : { AWS_CA_BUNDLE: stack.gateway.caFile }),
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: ADMIN_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ADMIN_CREDENTIALS.secretAccessKey,
  };
}

/** The AWS CLI as a user runs it against a local stack: its stdout. */
export async function awsCli(stack: LocalStack, args: readonly string[]): Promise<string> {
  const { stdout } = await promisify(execFile)("aws", [...args], { env: cliEnv(stack) });
  return stdout;
}

/** The AWS CLI against a local stack for many commands, in one process (aws-cli.ts). */
export const awsCliSession = (stack: LocalStack): AwsCliSession => new AwsCliSession(cliEnv(stack));
