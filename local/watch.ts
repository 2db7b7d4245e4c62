import { type FSWatcher, statSync, watch } from "node:fs";
import * as path from "node:path";
import { readAssembly, type StackDeployment } from "./cloudformation/assembly.js";
import { appSources, sourcesFingerprint, synthesizeInBackground } from "./cloudformation/synth.js";
import type { Gateway } from "./gateway/gateway.js";
import { roleIdentities } from "./iam/policy.js";
import { accountPolicies, RESOURCE_POLICY_TYPES } from "./iam/resource-policies.js";
import type { FunctionHost } from "./lambda/function-host.js";

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

/** Properties that a function swap covers. */
const FUNCTION_SWAPS = ["Code", "Environment", "Handler", "Timeout", "MemorySize"];

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
      const ids = new Set([...old.resources, ...stack.resources].map((r) => r.logicalId));
      let policies = false;
      for (const id of ids) {
        const before = old.resources.find((r) => r.logicalId === id);
        const after = stack.resources.find((r) => r.logicalId === id);
        if (!before || !after) {
          cannot.push(`${id} (${before ? "removed" : "added"})`);
          continue;
        }
        const changed = Object.keys({ ...before.properties, ...after.properties }).filter(
          (k) => JSON.stringify(before.properties[k]) !== JSON.stringify(after.properties[k]),
        );
        const codeChanged = before.type === "AWS::Lambda::Function" && old.bundles[id] !== stack.bundles[id];
        if (changed.length === 0 && !codeChanged) continue;
        if (before.type === "AWS::Lambda::Function" && changed.every((k) => FUNCTION_SWAPS.includes(k))) {
          const p = after.properties;
          const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
          options.hosts.get(id)?.swap({
            bundleDir: stack.bundles[id] as string,
            handler: String(p.Handler),
            timeoutSeconds: Number(p.Timeout ?? 3),
            memoryMb: Number(p.MemorySize ?? 128),
            environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
          });
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
        for (const [fnId, identity] of roleIdentities(stack)) {
          for (const { key, faults } of options.accessKeys.get(fnId) ?? [])
            options.gateway.addIdentity(key, identity, { faults });
        }
      }
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
