import { mkdirSync } from "node:fs";
import type { StackOutputs } from "../infra/outputs.js";
import { ChaosCounts } from "./chaos.js";
import type { StackDeployment } from "./cloudformation/assembly.js";
import type { Notes } from "./cloudformation/deploy.js";
import type { LocalCloudWatch } from "./cloudwatch/cloudwatch.js";
import type { Emulators } from "./emulators/emulators.js";
import type { Gateway } from "./gateway/gateway.js";
import type { FunctionHost } from "./lambda/function-host.js";
import type { EventSourceRunner } from "./lambda/kinesis-poller.js";
import { LogEvents } from "./lambda/log-events.js";
import type { SnsInvocations } from "./lambda/sns-subscriptions.js";
import type { QueuePoller } from "./lambda/sqs-poller.js";
import { checkedAssembly } from "./stages/assembly.js";
import { startControlPlane } from "./stages/control.js";
import { startEventSources } from "./stages/event-sources.js";
import { writeStackFiles } from "./stages/files.js";
import { startFunctions } from "./stages/functions.js";
import { type LocalStackOptions, logDirOf } from "./stages/options.js";
import { createStackResources } from "./stages/resources.js";
import { type AdminClients, startEndpoint, startServices } from "./stages/services.js";
import { Stages } from "./stages/stages.js";
import { startWatching } from "./stages/watching.js";

export { ADMIN_CREDENTIALS } from "./iam/credentials.js";
export type { LocalStackOptions } from "./stages/options.js";
export { projectRoot } from "./stages/options.js";
export { type AdminClients, adminClients } from "./stages/services.js";

// The synthesized stack, run on this machine as `cdk deploy` would deploy it to an account: the
// cloud assembly's template(s) create the resources in the emulators; every function runs as its
// bundle in processes of its own, fed by the event-source runner with the template's mapping
// settings; every call goes through one gateway that enforces each function's IAM role.
//
// It starts in stages (local/stages/), each starting and stopping its own parts; a stage that fails
// to start stops the ones before it, and stopping goes back through them in reverse:
//   endpoint (the gateway, listening) → assembly (read once, checked) → services (emulators,
//   CloudWatch) → resources → functions → event sources → control plane (STS, CloudFormation, …)
//   → watching (alarms, dashboard, --watch) → files

export interface LocalStack {
  readonly emulators: Emulators;
  readonly gateway: Gateway;
  readonly stacks: readonly StackDeployment[];
  readonly outputs: StackOutputs;
  readonly outputsFile: string;
  readonly envFile: string;
  /** Where each function's and emulator's log file is. */
  readonly logDir: string;
  readonly runner: EventSourceRunner | undefined;
  /** The SQS queues' mappings, polled (none: undefined). */
  readonly queues: QueuePoller | undefined;
  /** The functions subscribed to SNS topics, invoked for each message (none: undefined). */
  readonly subscriptions: SnsInvocations | undefined;
  /** Function hosts by function logical id. */
  readonly hosts: ReadonlyMap<string, FunctionHost>;
  /** The account administrator's clients, through the gateway (never faulted, never refused). */
  readonly clients: AdminClients;
  /** What the deployment could not do exactly as an account would, said once. */
  readonly notes: Notes;
  /** With chaos: the faults injected so far, by kind (the gateway's call faults in `gateway.stats`). */
  readonly chaos: ChaosCounts | undefined;
  /** The metrics recorded, the alarms run over them, CloudWatch's API on the endpoint. */
  readonly cloudwatch: LocalCloudWatch;
  /** The template's dashboard as a web page, with the alarms and the functions. */
  readonly dashboardUrl: string;
  /** The cloud assembly deployed, and whether it was reused (its sources unchanged since it was synthesized). */
  readonly assembly: { readonly dir: string; readonly reused: boolean };
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  mkdirSync(logDirOf(options), { recursive: true });
  const stages = new Stages();
  const gateway = await stages.start("endpoint", (parts) => startEndpoint(parts, options));
  const assembly = await stages.start("assembly", () => checkedAssembly(options, gateway.url));
  gateway.setPolicies(assembly.policies);
  const { stacks } = assembly;
  const services = await stages.start("services", (parts) => startServices(parts, options, gateway));
  const notes: Notes = [];
  // What the functions print, as CloudWatch Logs holds it (the control plane's Logs API reads it).
  const logs = new LogEvents();
  await stages.start("resources", (parts) => createStackResources(parts, options, stacks, services, gateway, notes));
  const chaos = options.chaos ? { plan: options.chaos, counts: new ChaosCounts() } : undefined;
  const functions =
    options.runFunctions === false
      ? undefined
      : await stages.start("functions", (parts) =>
          startFunctions(parts, options, { assembly, gateway, services, notes, chaos, logs }),
        );
  const sources =
    functions === undefined || options.runMappings === false
      ? undefined
      : await stages.start("event sources", (parts) =>
          startEventSources(parts, options, { assembly, functions, gateway, services, chaos }),
        );
  await stages.start("control plane", (parts) =>
    startControlPlane(parts, options, {
      assembly,
      gateway,
      services,
      notes,
      logs,
      functions,
      running: sources?.running,
    }),
  );
  const { dashboardUrl } = await stages.start("watching", (parts) =>
    startWatching(parts, options, { stacks, services, gateway, functions, runner: sources?.runner, notes }),
  );
  for (const stack of stacks)
    for (const [type, why] of Object.entries(stack.notEmulated)) notes.push(`${type}: not emulated (${why})`);
  for (const warning of assembly.warnings) notes.push(`warning: ${warning}`);
  const files = await stages.start("files", () => writeStackFiles(options.workDir, stacks, gateway, services.region));
  return {
    ...services,
    gateway,
    stacks,
    ...files,
    logDir: logDirOf(options),
    runner: sources?.runner,
    queues: sources?.queues,
    subscriptions: functions?.snsInvocations,
    hosts: functions?.hosts ?? new Map(),
    notes,
    assembly: { dir: assembly.dir, reused: assembly.reused },
    chaos: chaos?.counts,
    dashboardUrl,
    stop: () => stages.stop(),
  };
}
