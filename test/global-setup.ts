import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { synthesize } from "../local/cloudformation/synth.js";
import { projectRoot } from "../local/stack.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The cloud assembly `cdk synth` made for this run: what the end-to-end suites deploy locally. */
    assembly: string;
  }
}

/** Synthesizes the app once, as `cdk synth` does before `cdk deploy`, for every test file to deploy. */
export default function setup(project: TestProject): void {
  project.provide("assembly", synthesize(projectRoot, mkdtempSync(path.join(tmpdir(), "tripwire-assembly-"))));
}
