import { LOCAL_ACCOUNT } from "../cloudformation/assembly.js";
import type { Notes } from "../cloudformation/deploy.js";
import { type ControlPlane, controlPlane } from "../control/control-plane.js";
import type { Gateway } from "../gateway/gateway.js";
import type { LogEvents } from "../lambda/log-events.js";
import type { CheckedAssembly } from "./assembly.js";
import { stackDeployer } from "./deployments.js";
import type { RunningMapping } from "./event-sources.js";
import type { Functions } from "./functions.js";
import type { LocalStackOptions } from "./options.js";
import type { Services } from "./services.js";
import type { Parts } from "./stages.js";

// Stage: the control plane on the endpoint (local/control) — STS, CloudFormation, IAM, KMS, Logs,
// SSM and Lambda's API besides Invoke — answered from the checked assembly, the running mappings
// and what the functions printed; and CloudFormation's change sets deploying more stacks into the
// running local stack (deployments.ts), as `cdk deploy` against the endpoint does.

export interface ControlDeps {
  readonly assembly: CheckedAssembly;
  readonly gateway: Gateway;
  readonly services: Services;
  readonly notes: Notes;
  readonly logs: LogEvents;
  readonly functions: Functions | undefined;
  readonly running: ReadonlyMap<string, RunningMapping> | undefined;
}

export function startControlPlane(parts: Parts, options: LocalStackOptions, deps: ControlDeps): void {
  const { assembly, gateway } = deps;
  let control: ControlPlane | undefined;
  const deployer = stackDeployer(parts, {
    ...deps,
    options,
    onDeployed: (stack, mappings, running) => control?.addStack(stack, mappings, running),
  });
  control = controlPlane({
    region: assembly.region,
    account: LOCAL_ACCOUNT,
    stacks: assembly.stacks,
    mappings: assembly.mappings,
    deployer,
    identities: assembly.identities,
    policies: () => gateway.policies,
    running: () => deps.running ?? new Map(),
    logs: deps.logs,
    addSession: (key, identity) => gateway.addIdentity(key, identity, { faults: false }),
    createdAt: new Date(),
  });
  gateway.setControl(control.handler);
  parts.add(() =>
    gateway.setControl(async () => {
      throw Object.assign(new Error("the local stack is stopping"), { code: "ServiceUnavailable", status: 503 });
    }),
  );
}
