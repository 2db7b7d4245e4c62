import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { synthesize } from "../local/cloudformation/synth.js";
import { startSharedDynamoDbLocal } from "../local/emulators/dynamodb-local.js";
import { SHARED_DYNAMODB_ENV } from "../local/emulators/emulators.js";
import { projectRoot } from "../local/stack.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The cloud assembly `cdk synth` made for this run: what the end-to-end suites deploy locally. */
    assembly: string;
  }
}

/**
 * Synthesizes the app once, as `cdk synth` does before `cdk deploy`, for every test file to deploy;
 * and starts one DynamoDB Local for every stack of the run (each keeps its tables under an access
 * key of its own), so that no test pays for a JVM's start. Worker processes, and the `npm start`s
 * they spawn, find it through the environment.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Against a deployed stack (TRIPWIRE_OUTPUTS: an account's, LocalStack's, a running local stack's)
  // the tests deploy nothing: no assembly, no DynamoDB Local.
  if (process.env.TRIPWIRE_OUTPUTS !== undefined) {
    project.provide("assembly", "");
    return async () => undefined;
  }
  const work = mkdtempSync(path.join(tmpdir(), "tripwire-run-"));
  const dynamodb = await startSharedDynamoDbLocal(path.join(work, "dynamodb.log"));
  process.env[SHARED_DYNAMODB_ENV] = dynamodb.endpoint;
  project.provide("assembly", synthesize(projectRoot, mkdtempSync(path.join(tmpdir(), "tripwire-assembly-"))));
  return () => dynamodb.stop();
}
