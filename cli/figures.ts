#!/usr/bin/env node
import { DynamoCampaignStore } from "../apps/campaign/store.js";
// Prints the conversion figures of every campaign.
import { dynamoDocumentClient } from "../shared/aws.js";
import { parseCommand } from "./args.js";
import { figuresTable } from "./figures-table.js";
import { runMain } from "./run-main.js";
import { connect } from "./stack-target.js";

const USAGE = `usage: npm run figures -- [--outputs FILE] [--json]

Prints each campaign's conversion figures: clicks (per channel, by members), basket adds, purchases,
revenue, coupons issued and members enrolled.

options:
  --outputs FILE  a cdk deploy --outputs-file file (default: the local stack's, or ./cdk-outputs.json)
  --json          JSON instead of a table (pipe it into jq: npm run -s figures -- --json | jq)
  -h, --help      this help`;

async function main(): Promise<number> {
  const { values } = parseCommand(USAGE, { outputs: { type: "string" }, json: { type: "boolean" } });
  const target = await connect(values.outputs);
  if (!values.json) console.error(`→ ${target.endpoint}`);
  const figures = await new DynamoCampaignStore(dynamoDocumentClient(), target.outputs.CampaignTableName).readFigures();
  console.log(values.json ? JSON.stringify(Object.fromEntries(figures), null, 2) : figuresTable(figures));
  return 0;
}

runMain(main);
