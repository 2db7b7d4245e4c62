import { existsSync, readFileSync } from "node:fs";
import { OUTPUT_KEYS, type StackOutputs } from "../infra/outputs.js";

/** Where `npm start` writes its outputs; `cdk deploy --outputs-file cdk-outputs.json` writes the other. */
const LOCAL_OUTPUTS = ".tripwire/cdk-outputs.json";
const CANDIDATES = [process.env.TRIPWIRE_OUTPUTS, "cdk-outputs.json", LOCAL_OUTPUTS];

/**
 * Reads the stack outputs from a `cdk deploy --outputs-file` file (stack name → key → value):
 * the named file, else $TRIPWIRE_OUTPUTS, ./cdk-outputs.json or the local stack's.
 */
export function findOutputs(file?: string): StackOutputs {
  const path = file ?? CANDIDATES.find((candidate) => candidate !== undefined && existsSync(candidate));
  if (path === undefined) {
    throw new Error(
      "no outputs file: run `npm start`, or `cdk deploy --outputs-file cdk-outputs.json`, or pass --outputs",
    );
  }
  const stacks = JSON.parse(readFileSync(path, "utf8")) as Record<string, Record<string, string>>;
  const stack = Object.values(stacks).find((outputs) => OUTPUT_KEYS.every((key) => key in outputs));
  if (stack === undefined) throw new Error(`${path} holds no Tripwire stack outputs (${OUTPUT_KEYS.join(", ")})`);
  return stack as StackOutputs;
}
