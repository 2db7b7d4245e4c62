import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { type CouponCoder, couponCoder, couponSecret } from "#apps/campaign/coupon.js";
import { dynamoDocumentClient, kinesisClient, snsClient, sqsClient } from "#shared/aws.js";
import { findOutputs } from "../../cli/stack-target.js";
import type { StackOutputs } from "../../infra/outputs.js";
import { type Ledger, Ledger as LedgerClass } from "../../local/accounting.js";
import type { FaultPlan } from "../../local/gateway/gateway.js";
import type { RunnerOptions } from "../../local/lambda/kinesis-poller.js";
import type { LocalStack } from "../../local/stack.js";
import type { DirectClients } from "./clients.js";
import { localStackForTests } from "./stack.js";

/**
 * What an end-to-end test runs against. By default the local stack (emulators and the local
 * event-source runner, started for the test file). With TRIPWIRE_OUTPUTS naming a
 * `cdk deploy --outputs-file` file, a stack deployed elsewhere — LocalStack (AWS_ENDPOINT_URL), a
 * real account, or `npm start -- --no-demo` — whose own functions consume the streams.
 */
export interface Target {
  readonly outputs: StackOutputs;
  readonly clients: Pick<DirectClients, "kinesis" | "documents" | "sqs" | "sns">;
  /** The local stack, when the test runs one (the runner's knobs and books need it). */
  readonly local: LocalStack | undefined;
  /** Resolves when what was put has been processed. */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const deployedOutputs = process.env.TRIPWIRE_OUTPUTS;

/** What a test asks of the delivery: knobs and faults exist only in the local stack. */
export interface Conditions {
  readonly delivery?: Pick<RunnerOptions, "deliverTwice" | "raceDuplicates">;
  readonly faults?: FaultPlan;
  /** A cloud assembly of its own (an edited copy of this run's), made when the target starts. */
  readonly app?: () => string;
}

export async function targetForTests(conditions: Conditions = {}, ledger?: Ledger): Promise<Target> {
  const { delivery = {}, faults, app } = conditions;
  const needsLocal = Object.keys(delivery).length > 0 || faults !== undefined || app !== undefined;
  if (deployedOutputs === undefined || needsLocal) {
    const observe = ledger ? { onInvoke: ledger.onInvoke, onFailureDestination: ledger.onFailureDestination } : {};
    const local = await localStackForTests({ ...delivery, ...observe }, faults, app ? { app: app() } : {});
    return {
      outputs: local.outputs,
      clients: local.clients,
      local,
      settled: async (timeoutMs = 300_000) => local.runner?.drained(timeoutMs),
      stop: () => local.stop(),
    };
  }
  const outputs = findOutputs(deployedOutputs);
  console.log(`end to end against the deployed stack of ${deployedOutputs}`);
  const clients = { kinesis: kinesisClient(), documents: dynamoDocumentClient(), sqs: sqsClient(), sns: snsClient() };
  return {
    outputs,
    clients,
    local: undefined,
    settled: (timeoutMs = 300_000) => quiet(outputs, clients, timeoutMs),
    stop: async () => undefined,
  };
}

/** A deployed stack's work is done when its tables and queues stop changing for a while. */
async function quiet(outputs: StackOutputs, clients: Target["clients"], timeoutMs: number): Promise<void> {
  const fingerprint = async () => {
    const parts: unknown[] = [];
    for (const table of [outputs.CampaignTableName, outputs.ZoneTableName]) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await clients.documents.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        parts.push(page.Items);
        start = page.LastEvaluatedKey;
      } while (start);
    }
    for (const queue of [outputs.PromoQueueUrl, outputs.AlertQueueUrl, outputs.RejectedQueueUrl]) {
      const out = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      parts.push(out.Attributes);
    }
    return JSON.stringify(parts, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v));
  };
  const deadline = Date.now() + timeoutMs;
  const quietFor = Number(process.env.TRIPWIRE_SETTLE_MS ?? 5000);
  let last = await fingerprint();
  let since = Date.now();
  while (Date.now() - since < quietFor) {
    if (Date.now() > deadline) throw new Error("the deployed stack did not settle in time");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await fingerprint();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

/** The deployment's coupon codes: its secret, read as the conversions function reads it. */
export async function deploymentCoder(target: Target): Promise<CouponCoder> {
  const client = target.local
    ? new SecretsManagerClient(target.local.gateway.clientConfig())
    : new SecretsManagerClient({});
  return couponCoder(await couponSecret(client, target.outputs.CouponSecretArn));
}

/** The target of one file's tests, and the books of its local runner. */
export interface TargetFile {
  readonly target: Target;
  readonly ledger: Ledger;
}

/**
 * A target for the tests of one file: started before them, stopped after them, with the books
 * the local runner keeps (when the target is local) and the fault counts printed at the end.
 */
export function targetForFile(conditions: Conditions = {}): TargetFile {
  let target: Target | undefined;
  const ledger = new LedgerClass();
  beforeAll(async () => {
    target = await targetForTests(conditions, ledger);
  });
  afterAll(async () => {
    const gateway = target?.local?.gateway;
    if (conditions.faults && gateway) console.log("faults injected at the gateway:", JSON.stringify(gateway.stats));
    await target?.stop();
  });
  return {
    get target(): Target {
      if (target === undefined) throw new Error("the target starts in beforeAll");
      return target;
    },
    ledger,
  };
}
