import { LOCAL_ACCOUNT, type StackDeployment } from "../cloudformation/assembly.js";
import type { Notes } from "../cloudformation/deploy.js";
import { unreachableAlarms } from "../cloudwatch/reachability.js";
import { DASHBOARD_PATH } from "../contract.js";
import { functionPanels } from "../dashboard/dashboard.js";
import { dashboardPage } from "../dashboard/page.js";
import type { Gateway } from "../gateway/gateway.js";
import type { EventSourceRunner } from "../lambda/kinesis-poller.js";
import { watchApp } from "../watch.js";
import type { Functions } from "./functions.js";
import { appRoot, type LocalStackOptions } from "./options.js";
import type { Services } from "./services.js";
import type { Parts } from "./stages.js";

// Stage: what watches the running stack — the template's alarms run over the recorded metrics (an
// alarm that could never fire named), the queues sampled for their metrics, the dashboard page, and
// with --watch the app's sources, synthesized again and swapped in on a change.

/** What is watched. */
export interface WatchingDeps {
  readonly stacks: readonly StackDeployment[];
  readonly services: Services;
  readonly gateway: Gateway;
  readonly functions: Functions | undefined;
  readonly runner: EventSourceRunner | undefined;
  readonly notes: Notes;
}

/** Starts the stage; returns the dashboard's address. */
export function startWatching(parts: Parts, options: LocalStackOptions, deps: WatchingDeps): { dashboardUrl: string } {
  const { stacks, gateway, notes } = deps;
  const { cloudwatch, emulators, clients, region } = deps.services;
  notes.push(...cloudwatch.startAlarms(stacks, clients.sns));
  for (const stack of stacks) {
    for (const { alarm, why } of unreachableAlarms(stack)) notes.push(`alarm ${alarm} can never fire: ${why}`);
  }
  const queues = stacks.flatMap((st) => st.byType("AWS::SQS::Queue"));
  const deadLetterTargets = new Set(
    queues.map(
      (q) => (q.properties.RedrivePolicy as { deadLetterTargetArn?: string } | undefined)?.deadLetterTargetArn,
    ),
  );
  cloudwatch.sampleQueues(
    (name) => emulators.queueContents(name),
    queues.map((q) => ({ name: q.name, deadLetterTarget: deadLetterTargets.has(q.arn) })),
  );
  const hosts = deps.functions?.hosts ?? new Map();
  gateway.addPage(
    DASHBOARD_PATH,
    dashboardPage(stacks, {
      store: cloudwatch.store,
      alarms: cloudwatch.alarms,
      functions: () => functionPanels(cloudwatch.store, hosts.values(), deps.runner?.shardsByFunction() ?? new Map()),
      startedAt: Date.now(),
    }),
  );
  // Watch mode synthesizes the app again: not when it was given synthesized (--app).
  if (options.watch && !options.app && deps.functions) {
    const watcher = watchApp({
      root: appRoot(options),
      workDir: options.workDir,
      context: options.context ?? {},
      region,
      account: LOCAL_ACCOUNT,
      print: options.watch.print,
      gateway,
      stacks,
      hosts: deps.functions.hosts,
      accessKeys: deps.functions.accessKeys,
    });
    parts.add(() => watcher.stop());
  }
  // A page for a browser, which does not trust the endpoint's authority: the plain HTTP side.
  return { dashboardUrl: `${gateway.plainUrl}${DASHBOARD_PATH}` };
}
