#!/usr/bin/env node
// Prints the conversion figures of every campaign:  npm run figures [-- --outputs file] [--json]
import { parseArgs } from "node:util";
import { dynamoDocumentClient } from "../shared/aws.js";
import { DynamoCampaignStore } from "../shared/campaign/store.js";
import { figuresTable } from "./figures-table.js";
import { findOutputs } from "./outputs-file.js";

const { values } = parseArgs({ options: { outputs: { type: "string" }, json: { type: "boolean" } } });
try {
  const outputs = findOutputs(values.outputs);
  const figures = await new DynamoCampaignStore(dynamoDocumentClient(), outputs.CampaignTableName).readFigures();
  console.log(values.json ? JSON.stringify(Object.fromEntries(figures), null, 2) : figuresTable(figures));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
