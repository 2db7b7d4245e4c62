import { readFileSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { FunctionHost, Invocation } from "./function-host.js";

// One invocation of a function as deployed (`npm run invoke`): its outcome and the log lines it
// wrote meanwhile.

/** A function by its physical name, or by the start of its logical id, any case ("readings" → ReadingsFunction…). */
export function findHost(hosts: Iterable<FunctionHost>, name: string): FunctionHost {
  const all = [...hosts];
  const exact = all.find((h) => h.spec.functionName === name || h.spec.logicalId === name);
  if (exact) return exact;
  const matching = all.filter((h) => h.spec.logicalId.toLowerCase().startsWith(name.toLowerCase()));
  if (matching.length === 1 && matching[0]) return matching[0];
  const names = all.map((h) => h.spec.logicalId).join(", ");
  throw new Error(
    matching.length === 0
      ? `no function "${name}" (the stack has ${names})`
      : `"${name}" names several functions: ${matching.map((h) => h.spec.logicalId).join(", ")}`,
  );
}

export interface InvokeResult {
  readonly function: string;
  readonly invocation: Invocation;
  /** What the function logged during the invocation. */
  readonly logs: string[];
}

export async function invokeWithLogs(host: FunctionHost, event: unknown, qualifier?: string): Promise<InvokeResult> {
  const size = () => {
    try {
      return statSync(host.logFile).size;
    } catch {
      return 0;
    }
  };
  await host.flushed();
  const from = size();
  const invocation = await host.invoke(event, qualifier);
  // The environment's output reaches the log through a pipe: give it a moment to arrive.
  await sleep(100);
  await host.flushed();
  const logs = readFileSync(host.logFile).subarray(from).toString("utf8").split("\n").filter(Boolean);
  return { function: host.spec.functionName, invocation, logs };
}
