import * as path from "node:path";
import { readAssembly, type StackDeployment } from "../cloudformation/assembly.js";
import { assemblyFor } from "../cloudformation/synth.js";
import { LOCAL_REGION } from "../emulators/emulators.js";
import { type RoleIdentity, roleIdentities } from "../iam/policy.js";
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
  /** What the start goes on despite (a managed policy left out with IAM off). */
  readonly warnings: readonly string[];
}

/** Reads the assembly with the endpoint's address; IAM enforced, a managed policy not known stops the start. */
export function checkedAssembly(options: LocalStackOptions, endpoint: string): CheckedAssembly {
  const { dir, reused } = options.app
    ? { dir: options.app, reused: false }
    : assemblyFor(appRoot(options), path.join(options.workDir, "cdk.out"), options.context);
  const stacks = readAssembly(dir, { region: LOCAL_REGION, endpoint });
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
  return { dir, reused, region: LOCAL_REGION, stacks, identities, mappings, subscriptions, warnings };
}
