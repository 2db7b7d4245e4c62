import { LOCAL_ACCOUNT } from "../cloudformation/assembly.js";
import { controlPlane } from "../control/control-plane.js";
import type { Gateway } from "../gateway/gateway.js";
import type { LogEvents } from "../lambda/log-events.js";
import type { CheckedAssembly } from "./assembly.js";
import type { RunningMapping } from "./event-sources.js";
import type { Parts } from "./stages.js";

// Stage: the control plane on the endpoint (local/control) — STS, CloudFormation, IAM, KMS, Logs,
// SSM and Lambda's API besides Invoke — answered from the checked assembly, the running mappings
// and what the functions printed.

export interface ControlDeps {
  readonly assembly: CheckedAssembly;
  readonly gateway: Gateway;
  readonly logs: LogEvents;
  readonly running: ReadonlyMap<string, RunningMapping> | undefined;
}

export function startControlPlane(parts: Parts, deps: ControlDeps): void {
  const { assembly, gateway } = deps;
  gateway.setControl(
    controlPlane({
      region: assembly.region,
      account: LOCAL_ACCOUNT,
      stacks: assembly.stacks,
      mappings: assembly.mappings,
      identities: assembly.identities,
      policies: () => gateway.policies,
      running: () => deps.running ?? new Map(),
      logs: deps.logs,
      addSession: (key, identity) => gateway.addIdentity(key, identity, { faults: false }),
      createdAt: new Date(),
    }),
  );
  parts.add(() =>
    gateway.setControl(async () => {
      throw Object.assign(new Error("the local stack is stopping"), { code: "ServiceUnavailable", status: 503 });
    }),
  );
}
