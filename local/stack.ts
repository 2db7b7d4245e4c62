import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { StreamFunctionName } from "../infra/event-sources.js";
import { functionEnvironments } from "../infra/function-env.js";
import { STACK_NAME, type StackOutputs } from "../infra/outputs.js";
import { type StageConfig, stageConfig } from "../infra/stage.js";
import { kinesisClient, snsClient, sqsClient } from "../shared/aws.js";
import { type Emulators, startEmulators } from "./emulators.js";
import { createResources } from "./resources.js";
import { EventSourceRunner, type Mapping, type RunnerOptions, type StreamHandler } from "./runner.js";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface LocalStackOptions {
  /** Where logs, the outputs file and the env file go. */
  readonly workDir: string;
  readonly stage?: StageConfig;
  /** Run the functions (the event-source runner); off leaves the streams to other consumers. */
  readonly runFunctions?: boolean;
  readonly runner?: Partial<Omit<RunnerOptions, "kinesis" | "sqs">>;
}

export interface LocalStack {
  readonly emulators: Emulators;
  readonly outputs: StackOutputs;
  readonly outputsFile: string;
  readonly envFile: string;
  readonly runner: EventSourceRunner | undefined;
  readonly stage: StageConfig;
  stop(): Promise<void>;
}

const FUNCTIONS: readonly StreamFunctionName[] = ["loyalty", "conversions", "readings"];

/**
 * The whole stack on this machine: emulators on loopback, the stack's resources in them, and the
 * deployed handlers fed by the event-source runner with the stack's own event-source settings.
 * Points this process's AWS SDK at the emulators (the handlers run in it).
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stage = options.stage ?? stageConfig("dev");
  const emulators = await startEmulators({ logDir: path.join(options.workDir, "logs") });
  try {
    Object.assign(process.env, emulators.env);
    const clients = {
      kinesis: kinesisClient(),
      dynamodb: new DynamoDBClient({}),
      sqs: sqsClient(),
      sns: snsClient(),
    };
    const outputs = await createResources(clients, "tripwire", stage.shardCount ?? 2);
    const outputsFile = path.join(options.workDir, "cdk-outputs.json");
    writeFileSync(outputsFile, `${JSON.stringify({ [STACK_NAME]: outputs }, null, 2)}\n`);
    const envFile = path.join(options.workDir, "local.env");
    writeFileSync(
      envFile,
      `${Object.entries(emulators.env)
        .map(([k, v]) => `export ${k}=${v}`)
        .join("\n")}\n`,
    );

    let runner: EventSourceRunner | undefined;
    if (options.runFunctions !== false) {
      const environments = functionEnvironments(
        {
          campaignTable: outputs.CampaignTableName,
          zoneTable: outputs.ZoneTableName,
          promoQueueUrl: outputs.PromoQueueUrl,
          rejectedQueueUrl: outputs.RejectedQueueUrl,
          alertTopicArn: outputs.AlertTopicArn,
        },
        stage.rules,
      );
      for (const env of Object.values(environments)) Object.assign(process.env, env);
      process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
      process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
      const streams: Record<StreamFunctionName, string> = {
        loyalty: outputs.LoyaltyStreamName,
        conversions: outputs.ConversionsStreamName,
        readings: outputs.ReadingsStreamName,
      };
      const failureQueues: Record<StreamFunctionName, string> = {
        loyalty: outputs.LoyaltyFailureQueueUrl,
        conversions: outputs.ConversionsFailureQueueUrl,
        readings: outputs.ReadingsFailureQueueUrl,
      };
      const mappings: Mapping[] = [];
      for (const name of FUNCTIONS) {
        mappings.push({
          functionName: `tripwire-${name}`,
          streamName: streams[name],
          handler: await loadHandler(name),
          settings: stage.eventSources[name],
          failureQueueUrl: failureQueues[name],
        });
      }
      runner = new EventSourceRunner(mappings, { ...options.runner, kinesis: clients.kinesis, sqs: clients.sqs });
      await runner.start();
    }
    return {
      emulators,
      outputs,
      outputsFile,
      envFile,
      runner,
      stage,
      async stop() {
        await runner?.stop();
        await emulators.stop();
      },
    };
  } catch (err) {
    await emulators.stop();
    throw err;
  }
}

/** Imports a deployed handler module from functions/: the very code the stack bundles. */
export async function loadHandler(name: StreamFunctionName): Promise<StreamHandler> {
  const module = (await import(pathToFileURL(path.join(projectRoot, "functions", `${name}.ts`)).href)) as {
    handler: StreamHandler;
  };
  return module.handler;
}
