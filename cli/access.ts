#!/usr/bin/env node
// The running local stack's access report: what each function called, what IAM refused, and what
// its role grants that it never used.
import { accessReportText, type FunctionAccess } from "../local/iam/report.js";
import { parseCommand } from "./args.js";
import { runMain } from "./run-main.js";
import { ACCESS_REPORT_PATH, connect } from "./stack-target.js";

const USAGE = `usage: npm run access -- [--outputs FILE] [--json]

For a running local stack (npm start), per function: the actions and resources it used, the calls
its IAM role refused, and what its role grants that it never used — least privilege, shown.

options:
  --outputs FILE  the local stack's outputs file (default .tripwire/cdk-outputs.json)
  --json          the report as JSON
  -h, --help      this help`;

async function main(): Promise<number> {
  const { values } = parseCommand(USAGE, { outputs: { type: "string" }, json: { type: "boolean" } });
  const target = await connect(values.outputs);
  if (!target.local) {
    console.error(`${target.outputsFile} is not a local stack's: the access report comes from npm start's gateway`);
    return 2;
  }
  const report = (await (await fetch(`${target.local.pages}${ACCESS_REPORT_PATH}`)).json()) as FunctionAccess[];
  console.log(values.json ? JSON.stringify(report, null, 2) : accessReportText(report));
  return 0;
}

runMain(main);
