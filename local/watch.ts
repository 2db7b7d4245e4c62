import { type FSWatcher, statSync, watch } from "node:fs";
import * as path from "node:path";
import { readAssembly, type StackDeployment } from "./cloudformation/assembly.js";
import { appSources, sourcesFingerprint, synthesizeInBackground } from "./cloudformation/synth.js";
import type { Gateway } from "./gateway/gateway.js";
import { roleIdentities } from "./iam/policy.js";
import { accountPolicies } from "./iam/resource-policies.js";
import type { FunctionHost } from "./lambda/function-host.js";
import { swapInPlace } from "./stages/swap.js";

// `npm start -- --watch`: a change under the app's sources synthesizes it again in the background
// (the stack keeps running), and what changed is deployed in place where Lambda would too without
// a new stack: a function's code, environment, handler, timeout or memory (its environments are
// recycled between invocations; stream positions, tables and queues stay), its role's policies, and
// the resources' policies (queue, topic, bucket, key policies, Lambda permissions).
// Any other change is named, with what to do: restart to deploy it.

export interface WatchOptions {
  readonly root: string;
  readonly workDir: string;
  readonly context: Readonly<Record<string, string>>;
  readonly region: string;
  readonly account: string;
  readonly gateway: Gateway;
  /** The running deployment: its stacks and its function hosts by logical id. */
  readonly stacks: readonly StackDeployment[];
  readonly hosts: ReadonlyMap<string, FunctionHost>;
  /** Each function's access key (its role's credentials at the gateway), by logical id. */
  readonly accessKeys: ReadonlyMap<string, readonly { readonly key: string; readonly faults: boolean }[]>;
  readonly print: (line: string) => void;
}

export function watchApp(options: WatchOptions): { stop(): void } {
  let running = [...options.stacks];
  let fingerprint = sourcesFingerprint(options.root, options.context);
  let busy: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let reloads = 0;

  const reload = async () => {
    const next = sourcesFingerprint(options.root, options.context);
    if (next === fingerprint) return;
    const started = Date.now();
    const dir = path.join(options.workDir, `cdk.out.watch-${++reloads}`);
    let stacks: StackDeployment[];
    try {
      await synthesizeInBackground(options.root, dir, options.context);
      stacks = readAssembly(dir, { region: options.region, endpoint: options.gateway.url });
    } catch (err) {
      options.print(`reload   failed, the stack runs on unchanged: ${err instanceof Error ? err.message : err}`);
      fingerprint = next;
      return;
    }
    fingerprint = next;
    const swapped: string[] = [];
    const cannot: string[] = [];
    let resourcePolicies = false;
    for (const stack of stacks) {
      const old = running.find((s) => s.stackName === stack.stackName);
      if (!old) {
        cannot.push(`${stack.stackName} (a new stack)`);
        continue;
      }
      const swap = swapInPlace(old, stack, { ...options, identities: () => roleIdentities(stack) });
      swap.apply();
      swapped.push(...swap.swapped);
      cannot.push(...swap.cannot);
      resourcePolicies ||= swap.resourcePolicies;
    }
    running = running.map((s) => stacks.find((n) => n.stackName === s.stackName) ?? s);
    // The resources' and keys' new policies decide the next calls (a new policy can fail to read: the old ones stay).
    if (resourcePolicies) {
      try {
        options.gateway.setPolicies(accountPolicies(running, options.region, options.account));
      } catch (err) {
        cannot.push(`the resource policies (${err instanceof Error ? err.message : err})`);
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const time = new Date().toISOString().slice(11, 19);
    options.print(
      `reload   ${time} in ${seconds} s: ${swapped.length > 0 ? `swapped ${swapped.join(", ")}` : "nothing to swap"}` +
        (cannot.length > 0 ? ` · cannot swap ${cannot.join(", ")}: restart npm start to deploy them` : ""),
    );
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (busy) {
        again = true;
        return;
      }
      busy = reload().finally(() => {
        busy = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
    }, 300);
  };

  const watchers: FSWatcher[] = [];
  const dirs = new Set(appSources(options.root).map((f) => f.split("/")[0] as string));
  for (const entry of dirs) {
    const full = path.join(options.root, entry);
    watchers.push(watch(full, { recursive: statSync(full).isDirectory() }, schedule));
  }
  return {
    stop: () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
