import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { StackDeployment } from "../cloudformation/assembly.js";
import { createResources, type Notes, secretValue } from "../cloudformation/deploy.js";
import { TtlSweeper } from "../emulators/ttl-sweep.js";
import type { Gateway } from "../gateway/gateway.js";
import type { LocalStackOptions } from "./options.js";
import type { Services } from "./services.js";
import type { Parts } from "./stages.js";

// Stage: the template's resources created in the emulators as CloudFormation creates them —
// streams, tables, queues, topics and subscriptions, buckets — and its secrets, answered by the
// gateway; then DynamoDB's time to live run over the tables (ttl-sweep.ts), stopped with the stage.

/** How often expired items are looked for (DynamoDB: within days; here within seconds). */
export const TTL_SWEEP_MS = 5_000;

export async function createStackResources(
  parts: Parts,
  options: LocalStackOptions,
  stacks: readonly StackDeployment[],
  services: Services,
  gateway: Gateway,
  notes: Notes,
): Promise<void> {
  for (const stack of stacks) {
    await createResources(stack, services.clients, notes);
    for (const secret of stack.byType("AWS::SecretsManager::Secret")) {
      gateway.addSecret({ arn: secret.arn, name: secret.name, value: secretValue(secret) });
    }
  }
  const { emulators, cloudwatch } = services;
  const tables = stacks.flatMap((s) =>
    s.resources.filter((r) => r.type === "AWS::DynamoDB::Table" || r.type === "AWS::DynamoDB::GlobalTable"),
  );
  if (tables.length === 0) return;
  const sweeper = new TtlSweeper({
    db: new DynamoDBClient({
      region: emulators.region,
      endpoint: emulators.endpoints.dynamodb,
      credentials: { accessKeyId: emulators.dynamodbAccessKey, secretAccessKey: "local" },
    }),
    tables: () => tables.map((t) => t.name),
    everyMs: options.ttlSweepMs ?? TTL_SWEEP_MS,
    onDeleted: (table, count) => cloudwatch.metrics.ttlDeleted(table, count),
  });
  sweeper.start();
  parts.add(() => sweeper.stop());
}
