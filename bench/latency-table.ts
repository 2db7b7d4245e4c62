#!/usr/bin/env node
// `npm run bench:latency`: put-to-effect latency of readings and conversions on the local stack, and
// where the time goes, stage by stage (bench/latency.ts), without the rest of the benchmark.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { synthesize } from "../local/cloudformation/synth.js";
import { projectRoot } from "../local/stack.js";
import { latencyTables } from "./latency.js";

process.stderr.write("synthesizing the app (cdk synth) …\n");
const assembly = synthesize(projectRoot, mkdtempSync(path.join(tmpdir(), "tripwire-bench-assembly-")));
const apps = (process.env.BENCH_ONLY?.split(",") ?? ["readings", "conversions"]) as ("readings" | "conversions")[];
await latencyTables(assembly, apps);
