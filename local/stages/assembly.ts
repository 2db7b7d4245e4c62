import * as path from "node:path";
import { LOCAL_ACCOUNT, readAssembly, type StackDeployment } from "../cloudformation/assembly.js";
import { assemblyFor } from "../cloudformation/synth.js";
import { LOCAL_REGION } from "../emulators/emulators.js";
import { keyWithoutLocalMeaning } from "../iam/context.js";
import { type RoleIdentity, roleIdentities } from "../iam/policy.js";
import { type AccountPolicies, accountPolicies, policyConditionKeys } from "../iam/resource-policies.js";
import {
  type FunctionSubscriptionOf,
  functionSubscriptionsOf,
  type TemplateMapping,
  templateMappings,
} from "../lambda/mapping.js";
import { appRoot, type LocalStackOptions } from "./options.js";

// Stage: the cloud assembly, synthesized (or reused, or given with --app) and read once, with the
// endpoint's address (queue URLs name it), and checked: what the local stack cannot honour — a
// property, a resource type, a managed policy it does not know — stops the start here, before any
// emulator or function starts.

export interface CheckedAssembly {
  readonly dir: string;
  /** Reused: its sources were unchanged since it was synthesized. */
  readonly reused: boolean;
  readonly region: string;
  readonly stacks: readonly StackDeployment[];
  /** Each function's role as the gateway decides its calls, by stack name, then function logical id. */
  readonly identities: ReadonlyMap<string, ReadonlyMap<string, RoleIdentity>>;
  /** The event-source mappings, read and checked, with their stacks. */
  readonly mappings: readonly (TemplateMapping & { readonly stack: StackDeployment })[];
  /** The functions' SNS subscriptions. */
  readonly subscriptions: readonly FunctionSubscriptionOf[];
  /** The account's resource and key policies, the keys encrypting each resource (the gateway decides with them). */
  readonly policies: AccountPolicies;
  /** What the start goes on despite (a managed policy left out with IAM off, a condition key with no local meaning). */
  readonly warnings: readonly string[];
}

/** Reads the assembly with the endpoint's address; IAM enforced, a managed policy not known stops the start. */
export function checkedAssembly(options: LocalStackOptions, endpoint: string): CheckedAssembly {
  if (options.noApp) return checkStacks([], options, { dir: "", reused: false });
  const { dir, reused } = options.app
    ? { dir: options.app, reused: false }
    : assemblyFor(appRoot(options), path.join(options.workDir, "cdk.out"), options.context);
  const stacks = readAssembly(dir, { region: LOCAL_REGION, endpoint });
  return checkStacks(stacks, options, { dir, reused });
}

/**
 * Stacks read from a template, checked as a start checks them (and, for a stack deployed beside
 * others, with the account's policies over all of them: `alongside`).
 */
export function checkStacks(
  stacks: readonly StackDeployment[],
  options: Pick<LocalStackOptions, "iam">,
  source: { readonly dir: string; readonly reused: boolean },
  alongside: readonly StackDeployment[] = [],
): CheckedAssembly {
  const { dir, reused } = source;
  const warnings: string[] = [];
  const identityOptions = {
    unknownManagedPolicy: options.iam === false ? ("warn" as const) : ("stop" as const),
    warn: (message: string) => warnings.push(message),
  };
  const identities = new Map(stacks.map((stack) => [stack.stackName, roleIdentities(stack, identityOptions)]));
  // The event sources are read now, so that a mapping or a subscription the local stack cannot run
  // stops the start before anything starts.
  const mappings = stacks.flatMap((stack) => templateMappings(stack).map((m) => ({ ...m, stack })));
  const subscriptions = functionSubscriptionsOf(stacks);
  const policies = accountPolicies([...alongside, ...stacks], LOCAL_REGION, LOCAL_ACCOUNT);
  warnings.push(...unmeantConditionKeys(policies, identities));
  return { dir, reused, region: LOCAL_REGION, stacks, identities, mappings, subscriptions, policies, warnings };
}

/**
 * The condition keys the template's policies read that have no meaning here (a VPC endpoint, MFA,
 * an organization): named once each, with why, since such a condition is never true locally.
 */
function unmeantConditionKeys(
  policies: AccountPolicies,
  identities: ReadonlyMap<string, ReadonlyMap<string, RoleIdentity>>,
): string[] {
  const statements = [
    ...policies.statements,
    ...[...identities.values()].flatMap((roles) =>
      [...roles.values()].flatMap((role) => role.statements.map((statement) => ({ where: role.roleName, statement }))),
    ),
  ];
  const named = new Map<string, { where: Set<string>; why: string }>();
  for (const { key, where } of policyConditionKeys(statements)) {
    const why = keyWithoutLocalMeaning(key);
    if (why === undefined) continue;
    const entry = named.get(key.toLowerCase()) ?? { where: new Set<string>(), why };
    entry.where.add(where);
    named.set(key.toLowerCase(), entry);
  }
  return [...named].map(
    ([key, { where, why }]) =>
      `the condition key ${key} (${[...where].join(", ")}) has no local meaning (${why}): no call here has it`,
  );
}
