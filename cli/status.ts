#!/usr/bin/env node
// An application's state, read from its table (`npm run status -- NAME`; package.json has shortcuts
// for the seeds'). Each application's manifest says what its status is.
import { APPS } from "../apps/index.js";
import type { AppManifest } from "../apps/manifest.js";
import { dynamoDocumentClient } from "../shared/aws.js";
import { parseCommand } from "./args.js";
import { runMain } from "./run-main.js";
import { connect } from "./stack-target.js";

const WITH_STATUS = (APPS as readonly AppManifest[]).filter((app) => app.status !== undefined);

const [first, second = first] = WITH_STATUS.map((a) => a.name);

const USAGE = `usage: npm run status -- ${WITH_STATUS.map((a) => a.name).join("|")} [--outputs FILE] [--json]

An application's current state, read from its table:
${WITH_STATUS.map((a) => `  ${a.name.padEnd(10)} ${a.title}`).join("\n")}

options:
  --outputs FILE  a cdk deploy --outputs-file file (default: the local stack's, or ./cdk-outputs.json)
  --json          JSON instead of a table (pipe it into jq: npm run -s status -- ${first} --json | jq)
  -h, --help      this help

examples:
  npm run status -- ${first}
  npm run -s status -- ${second} --json | jq '.[0]'`;

async function main(): Promise<number> {
  const { values, positionals } = parseCommand(USAGE, { outputs: { type: "string" }, json: { type: "boolean" } });
  const app = WITH_STATUS.find((a) => a.name === positionals[0]);
  if (app?.status === undefined) {
    console.error(
      `${positionals[0] === undefined ? "which application?" : `no application "${positionals[0]}" with a status`}\n\n${USAGE}`,
    );
    return 2;
  }
  const target = await connect(values.outputs);
  if (!values.json) console.error(`→ ${target.endpoint}`);
  const status = await app.status({ documents: dynamoDocumentClient(), outputs: target.outputs });
  console.log(values.json ? JSON.stringify(status.json, null, 2) : status.text);
  return 0;
}

runMain(main);
