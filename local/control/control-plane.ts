import type { StackDeployment } from "../cloudformation/assembly.js";
import type { ControlHandler } from "../gateway/wire.js";
import type { RoleIdentity } from "../iam/policy.js";
import type { AccountPolicies } from "../iam/resource-policies.js";
import type { LogEvents } from "../lambda/log-events.js";
import type { TemplateMapping } from "../lambda/mapping.js";
import type { RunningMapping } from "../stages/event-sources.js";
import { CloudFormationApi, type Deployer } from "./cloudformation.js";
import { serviceError } from "./errors.js";
import { answerIam } from "./iam-roles.js";
import { KmsApi } from "./kms-api.js";
import { LambdaApi } from "./lambda-api.js";
import { answerLogs } from "./logs-api.js";
import { answerSsm } from "./ssm.js";
import { answerSts } from "./sts.js";

// The control plane that tests and tools call besides the data plane — who am I, the stack's
// outputs and resources, the functions and their mappings, their logs, the keys, roles and
// parameters — answered from what is deployed and what runs, in each service's own shapes. Every
// call is decided by IAM first, as every call is (the gateway); an operation not answered here is
// said to be, by name. The README's control-plane table lists what is answered.

export interface ControlPlaneDeps {
  readonly region: string;
  readonly account: string;
  /** The stacks `npm start` deployed. */
  readonly stacks: readonly StackDeployment[];
  readonly mappings: readonly (TemplateMapping & { readonly stack: StackDeployment })[];
  /** Deploys a stack through CloudFormation's change sets (none: change sets are not answered). */
  readonly deployer?: Deployer;
  /** The functions' roles as the gateway decides their calls, by stack name, then function logical id. */
  readonly identities: ReadonlyMap<string, ReadonlyMap<string, RoleIdentity>>;
  /** The account's policies now (the keys' among them). */
  readonly policies: () => AccountPolicies;
  /** The mappings as they run, by UUID. */
  readonly running: () => ReadonlyMap<string, RunningMapping>;
  readonly logs: LogEvents;
  /** Makes an access key known to the gateway as a session of a role (STS AssumeRole). */
  readonly addSession: (accessKeyId: string, identity: RoleIdentity) => void;
  /** When the stacks were created. */
  readonly createdAt: Date;
}

export interface ControlPlane {
  readonly handler: ControlHandler;
  /** A stack deployed through CloudFormation: its functions' log groups, its mappings as they run. */
  addStack(
    stack: StackDeployment,
    mappings: readonly (TemplateMapping & { readonly stack: StackDeployment })[],
    running: ReadonlyMap<string, RunningMapping>,
  ): void;
}

export function controlPlane(deps: ControlPlaneDeps): ControlPlane {
  const cloudformation = new CloudFormationApi(deps, deps.stacks, deps.createdAt, deps.deployer);
  /** Every stack running now: `npm start`'s and those deployed since. */
  const stacks = () => cloudformation.stacks();
  const runningSince: ReadonlyMap<string, RunningMapping>[] = [];
  const lambda = new LambdaApi({
    ...deps,
    stacks,
    running: () => new Map([...deps.running(), ...runningSince.flatMap((m) => [...m])]),
  });
  const kms = new KmsApi(deps);
  /** A function's log group exists from its deployment, before it prints anything. */
  const logGroups = (stack: StackDeployment, at = Date.now()) => {
    for (const fn of stack.byType("AWS::Lambda::Function")) {
      const logging = fn.properties.LoggingConfig as { LogGroup?: string } | undefined;
      deps.logs.group(logging?.LogGroup ?? `/aws/lambda/${fn.name}`, at);
    }
  };
  for (const stack of deps.stacks) logGroups(stack, deps.createdAt.getTime());
  const role = (arn: string) => {
    for (const stack of stacks()) {
      const resource = stack.byType("AWS::IAM::Role").find((r) => r.arn === arn);
      const identity = [...(deps.identities.get(stack.stackName)?.values() ?? [])].find((i) => i.roleArn === arn);
      if (resource && !identity) {
        throw serviceError(
          "AccessDenied",
          `${arn}: the local stack assumes the roles its functions run as (it decides calls by their policies); this role runs no function`,
          403,
        );
      }
      if (resource && identity) return { identity, trust: resource.properties.AssumeRolePolicyDocument };
    }
    return undefined;
  };
  const handler: ControlHandler = async (call, caller) => {
    const now = { ...deps, stacks: stacks() };
    switch (call.service) {
      case "sts":
        return { output: answerSts(call, caller, { ...deps, role }) };
      case "cloudformation":
        return { output: await cloudformation.answer(call) };
      case "iam":
        return { output: answerIam(call, now) };
      case "lambda":
        return lambda.answer(call);
      case "logs":
        return { output: answerLogs(call, deps) };
      case "kms":
        return { output: kms.answer(call) };
      case "ssm":
        return { output: answerSsm(call, now) };
      default:
        throw serviceError("InternalFailure", `${call.service} is not a control-plane service`, 500);
    }
  };
  return {
    handler,
    addStack(stack, mappings, running) {
      logGroups(stack);
      lambda.addMappings(mappings);
      runningSince.push(running);
    },
  };
}
