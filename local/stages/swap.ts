import type { StackDeployment } from "../cloudformation/assembly.js";
import type { Gateway } from "../gateway/gateway.js";
import type { RoleIdentity } from "../iam/policy.js";
import { RESOURCE_POLICY_TYPES } from "../iam/resource-policies.js";
import type { FunctionHost } from "../lambda/function-host.js";

// A stack's new version swapped into the running one where Lambda would change it in place, without
// a new resource: a function's code, environment, handler, timeout or memory (its environments are
// recycled between invocations; stream positions, tables and queues stay), its role's policies, and
// the resources' policies (queue, topic, bucket, key policies, Lambda permissions). Anything else is
// named as what cannot be swapped. Used by `npm start --watch` and by an update through CloudFormation.

/** Properties that a function swap covers. */
const FUNCTION_SWAPS = ["Code", "Environment", "Handler", "Timeout", "MemorySize"];

export interface SwapTargets {
  /** The running stack's function hosts, by logical id. */
  readonly hosts: ReadonlyMap<string, FunctionHost>;
  /** Each function's access keys at the gateway, by logical id. */
  readonly accessKeys: ReadonlyMap<string, readonly { readonly key: string; readonly faults: boolean }[]>;
  readonly gateway: Gateway;
  /** The new version's function roles (their policies decide the functions' next calls), read when a policy changed. */
  readonly identities: () => ReadonlyMap<string, RoleIdentity>;
}

/** What a new version changes, worked out before anything is swapped: `apply` swaps it in. */
export interface Swap {
  /** What was swapped in: `LogicalId (code, environment)`, `LogicalId (policy)`. */
  readonly swapped: string[];
  /** What cannot be: `LogicalId (added)`, `LogicalId (AWS::DynamoDB::Table: KeySchema)`. */
  readonly cannot: string[];
  /** A resource or key policy changed: the account's policies are to be read again. */
  readonly resourcePolicies: boolean;
  /** Swaps in what can be (the functions, the roles' policies). */
  apply(): void;
}

export function swapInPlace(old: StackDeployment, next: StackDeployment, targets: SwapTargets): Swap {
  const swapped: string[] = [];
  const cannot: string[] = [];
  const steps: (() => void)[] = [];
  let resourcePolicies = false;
  let policies = false;
  const ids = new Set([...old.resources, ...next.resources].map((r) => r.logicalId));
  for (const id of ids) {
    const before = old.resources.find((r) => r.logicalId === id);
    const after = next.resources.find((r) => r.logicalId === id);
    if (!before || !after) {
      cannot.push(`${id} (${before ? "removed" : "added"})`);
      continue;
    }
    const changed = Object.keys({ ...before.properties, ...after.properties }).filter(
      (k) => JSON.stringify(before.properties[k]) !== JSON.stringify(after.properties[k]),
    );
    const codeChanged = before.type === "AWS::Lambda::Function" && old.bundles[id] !== next.bundles[id];
    if (changed.length === 0 && !codeChanged) continue;
    if (before.type === "AWS::Lambda::Function" && changed.every((k) => FUNCTION_SWAPS.includes(k))) {
      const p = after.properties;
      const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      steps.push(() =>
        targets.hosts.get(id)?.swap({
          bundleDir: next.bundles[id] as string,
          handler: String(p.Handler),
          timeoutSeconds: Number(p.Timeout ?? 3),
          memoryMb: Number(p.MemorySize ?? 128),
          environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
        }),
      );
      swapped.push(
        `${id} (${[...new Set([...(codeChanged ? ["code"] : []), ...changed.filter((k) => k !== "Code")])].join(", ").toLowerCase()})`,
      );
    } else if (before.type === "AWS::IAM::Policy" || before.type === "AWS::IAM::Role") {
      policies = true;
      swapped.push(`${id} (policy)`);
    } else if (
      RESOURCE_POLICY_TYPES.includes(before.type) ||
      (before.type === "AWS::KMS::Key" && changed.every((k) => k === "KeyPolicy"))
    ) {
      resourcePolicies = true;
      swapped.push(`${id} (policy)`);
    } else {
      cannot.push(`${id} (${before.type}: ${changed.join(", ")})`);
    }
  }
  if (policies) {
    // The roles' new policies decide the functions' next calls.
    steps.push(() => {
      for (const [fnId, identity] of targets.identities()) {
        for (const { key, faults } of targets.accessKeys.get(fnId) ?? [])
          targets.gateway.addIdentity(key, identity, { faults });
      }
    });
  }
  return {
    swapped,
    cannot,
    resourcePolicies,
    apply: () => {
      for (const step of steps) step();
    },
  };
}
