import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { OUTPUT_KEYS, type StackOutputs } from "../infra/outputs.js";
import { ACCESS_REPORT_PATH, LOCAL_STACK_FILE, type LocalStackFile } from "../local/contract.js";

export { ACCESS_REPORT_PATH } from "../local/contract.js";

// Which stack a command talks to: the outputs file names it (`cdk deploy --outputs-file`, or the one
// `npm start` writes). Beside a local stack's outputs lies local.json, which says where its endpoint
// is: a command then talks to it without `source .tripwire/local.env`, and never to a real account.

const LOCAL_OUTPUTS = ".tripwire/cdk-outputs.json";

export interface StackTarget {
  readonly outputs: StackOutputs;
  readonly outputsFile: string;
  /** The running local stack, when the outputs are a local stack's. */
  readonly local: LocalStackFile | undefined;
  /** Where the commands' AWS calls go, in words. */
  readonly endpoint: string;
}

/** The outputs file: the named one, else $TRIPWIRE_OUTPUTS, ./cdk-outputs.json or the local stack's. */
export function outputsFileOf(file?: string): string {
  const found = [file, process.env.TRIPWIRE_OUTPUTS, "cdk-outputs.json", LOCAL_OUTPUTS].find(
    (candidate) => candidate !== undefined && existsSync(candidate),
  );
  if (found === undefined) {
    throw new Error(
      file !== undefined
        ? `no such outputs file: ${file}`
        : "no outputs file: run `npm start`, or `cdk deploy --outputs-file cdk-outputs.json`, or pass --outputs",
    );
  }
  return found;
}

/** Reads the stack outputs of a `cdk deploy --outputs-file` file (stack name → key → value). */
export function findOutputs(file?: string): StackOutputs {
  const found = outputsFileOf(file);
  const stacks = JSON.parse(readFileSync(found, "utf8")) as Record<string, Record<string, string>>;
  const stack = Object.values(stacks).find((outputs) => OUTPUT_KEYS.every((key) => key in outputs));
  if (stack === undefined) throw new Error(`${found} holds no Tripwire stack outputs (${OUTPUT_KEYS.join(", ")})`);
  return stack as StackOutputs;
}

/**
 * The stack a command talks to. For a local stack's outputs, points this process's AWS SDK at its
 * endpoint with its credentials (whatever the environment said), after checking it still runs.
 */
export async function connect(file?: string): Promise<StackTarget> {
  const outputsFile = outputsFileOf(file);
  const outputs = findOutputs(outputsFile);
  const localFile = path.join(path.dirname(outputsFile), LOCAL_STACK_FILE);
  if (!existsSync(localFile)) {
    const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "the default region";
    return { outputs, outputsFile, local: undefined, endpoint: process.env.AWS_ENDPOINT_URL ?? `AWS, ${region}` };
  }
  const local = JSON.parse(readFileSync(localFile, "utf8")) as LocalStackFile;
  try {
    const res = await fetch(`${local.pages}${ACCESS_REPORT_PATH}`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`answered ${res.status}`);
  } catch {
    throw new Error(
      `${outputsFile} is the outputs of a local stack that is no longer running (it answered at ${local.endpoint}); ` +
        "start it with `npm start`, or pass --outputs for another stack",
    );
  }
  if (local.caFile !== undefined && process.env.NODE_EXTRA_CA_CERTS !== local.caFile) {
    // The endpoint is HTTPS under the stack's own authority, and Node reads the authorities it adds
    // only as it starts: the command runs again, trusting it (once; the child finds it set).
    const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: "inherit",
      env: { ...process.env, NODE_EXTRA_CA_CERTS: local.caFile },
    });
    process.exit(again.status ?? 1);
  }
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: local.endpoint,
    AWS_REGION: local.region,
    AWS_ACCESS_KEY_ID: local.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
  });
  for (const name of ["AWS_SESSION_TOKEN", "AWS_PROFILE"]) delete process.env[name];
  return { outputs, outputsFile, local, endpoint: `${local.endpoint} (the local stack)` };
}
