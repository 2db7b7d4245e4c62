import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { StackOutputs } from "../../infra/outputs.js";
import type { StackDeployment } from "../cloudformation/assembly.js";
import { LOCAL_STACK_FILE, type LocalStackFile } from "../contract.js";
import { ADMIN_CREDENTIALS } from "../iam/credentials.js";

// Stage: the files users and commands read — the outputs file `cdk deploy --outputs-file` writes,
// the env file that points the SDK and the AWS CLI at the endpoint, and the file by which the
// commands find the running stack. Written last, once everything they name runs.

export interface StackFiles {
  /** The stacks' outputs, merged (our own stack's keys typed). */
  readonly outputs: StackOutputs;
  readonly outputsFile: string;
  readonly envFile: string;
}

export function writeStackFiles(
  workDir: string,
  stacks: readonly StackDeployment[],
  endpoint: { readonly url: string; readonly plainUrl: string; readonly caFile: string | undefined },
  region: string,
): StackFiles {
  const outputs = Object.assign({}, ...stacks.map((s) => s.outputs)) as StackOutputs;
  const outputsFile = path.join(workDir, "cdk-outputs.json");
  writeFileSync(
    outputsFile,
    `${JSON.stringify(Object.fromEntries(stacks.map((s) => [s.stackName, s.outputs])), null, 2)}\n`,
  );
  const envFile = path.join(workDir, "local.env");
  writeFileSync(
    envFile,
    [
      `export AWS_ENDPOINT_URL=${endpoint.url}`,
      // The endpoint's authority: Node (the SDK) and the AWS CLI trust it from these.
      ...(endpoint.caFile === undefined
        ? []
        : [`export NODE_EXTRA_CA_CERTS=${endpoint.caFile}`, `export AWS_CA_BUNDLE=${endpoint.caFile}`]),
      `export AWS_REGION=${region}`,
      `export AWS_DEFAULT_REGION=${region}`,
      `export AWS_ACCESS_KEY_ID=${ADMIN_CREDENTIALS.accessKeyId}`,
      `export AWS_SECRET_ACCESS_KEY=${ADMIN_CREDENTIALS.secretAccessKey}`,
      "",
    ].join("\n"),
  );
  const local: LocalStackFile = {
    endpoint: endpoint.url,
    pages: endpoint.plainUrl,
    ...(endpoint.caFile === undefined ? {} : { caFile: endpoint.caFile }),
    region,
    pid: process.pid,
    outputsFile,
    credentials: ADMIN_CREDENTIALS,
  };
  writeFileSync(path.join(workDir, LOCAL_STACK_FILE), `${JSON.stringify(local, null, 2)}\n`);
  return { outputs, outputsFile, envFile };
}
