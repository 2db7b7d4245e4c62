import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { StreamFunctionName } from "../infra/event-sources.js";
import { functionEnvironments } from "../infra/function-env.js";
import { STACK_NAME, type StackOutputs } from "../infra/outputs.js";
import { type StageConfig, stageConfig } from "../infra/stage.js";
import { type DirectClients, directClients } from "./clients.js";
import { type Emulators, startEmulators } from "./emulators.js";
import { type FaultPlan, type FaultProxy, startFaultProxy } from "./fault-proxy.js";
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
  /** Put fault proxies between the handlers and DynamoDB, SQS and SNS (reliability tests). */
  readonly faults?: FaultPlan;
}

export interface LocalStack {
  readonly emulators: Emulators;
  readonly outputs: StackOutputs;
  readonly outputsFile: string;
  readonly envFile: string;
  readonly runner: EventSourceRunner | undefined;
  readonly stage: StageConfig;
  /** Clients bound to the emulators directly (never through a fault proxy). */
  readonly clients: DirectClients;
  /** The fault proxies the handlers talk through, when faults were asked for. */
  readonly proxies: readonly FaultProxy[];
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
    const clients = directClients(emulators.endpoints, emulators.region);
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
    const proxies: FaultProxy[] = [];
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
      if (options.faults) {
        const { endpoints } = emulators;
        const [dynamodb, sqs, sns] = await Promise.all(
          [endpoints.dynamodb, endpoints.sqs, endpoints.sns].map((url) => startFaultProxy(url, options.faults)),
        );
        proxies.push(dynamodb as FaultProxy, sqs as FaultProxy, sns as FaultProxy);
        // The handlers' SDK clients read these when they are created, at import below.
        process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb?.url;
        process.env.AWS_ENDPOINT_URL_SQS = sqs?.url;
        process.env.AWS_ENDPOINT_URL_SNS = sns?.url;
      }
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
      clients,
      proxies,
      async stop() {
        await runner?.stop();
        await Promise.all(proxies.map((proxy) => proxy.stop()));
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
