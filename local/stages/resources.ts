import type { StackDeployment } from "../cloudformation/assembly.js";
import { createResources, type Notes, secretValue } from "../cloudformation/deploy.js";
import type { Gateway } from "../gateway/gateway.js";
import type { AdminClients } from "./services.js";

// Stage: the template's resources created in the emulators as CloudFormation creates them —
// streams, tables, queues, topics and subscriptions, buckets — and its secrets, answered by the
// gateway. They live as long as the emulators: nothing of their own to stop.

export async function createStackResources(
  stacks: readonly StackDeployment[],
  clients: AdminClients,
  gateway: Gateway,
  notes: Notes,
): Promise<void> {
  for (const stack of stacks) {
    await createResources(stack, clients, notes);
    for (const secret of stack.byType("AWS::SecretsManager::Secret")) {
      gateway.addSecret({ arn: secret.arn, name: secret.name, value: secretValue(secret) });
    }
  }
}
