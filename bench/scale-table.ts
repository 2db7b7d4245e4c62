#!/usr/bin/env node
// `npm run bench:scale`: the cost of a record from 1 to 256 shards and across 10 reshards
// (bench/scale.ts says how it is measured), with the targets of SPEC §10 each ✓ or ✗.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startSharedDynamoDbLocal } from "../local/emulators/dynamodb-local.js";
import { measureScale, type ScaleApp, type ScalePlan, type ScaleRow, scaleVerdicts } from "./scale.js";

const SHARDS = (process.env.SCALE_SHARDS ?? "1,2,4,16,64,256").split(",").map(Number);
const APPS: ScaleApp[] = ["readings", "conversions"];
const RESHARDS = 10;

const dynamo = await startSharedDynamoDbLocal(
  path.join(mkdtempSync(path.join(tmpdir(), "tripwire-scale-")), "dynamodb.log"),
);
const rows: ScaleRow[] = [];
try {
  const plans: ScalePlan[] = APPS.flatMap((app) => [
    ...SHARDS.map((shards) => ({ app, shards })),
    { app, shards: 2, history: RESHARDS },
    { app, shards: 2, history: RESHARDS, reshard: true },
    ...(app === "readings" ? [{ app, shards: 2, history: RESHARDS, reshard: true, lineage: false }] : []),
  ]);
  for (const plan of plans) {
    process.stderr.write(
      `measuring ${plan.app} at ${plan.shards} shards${plan.history ? `, ${plan.history} rounds before${plan.reshard ? ", each after a reshard" : ""}` : ""} …\n`,
    );
    rows.push(await measureScale(dynamo.endpoint, plan));
  }
} finally {
  await dynamo.stop();
}

console.log(
  "\nCost as the stream grows: the real adapters against DynamoDB Local, each shard one batch a second of the same load" +
    " (simulated shards: bench/scale.ts)\n",
);
console.log(
  "function     shards  history  reshards  records  WCU/rec  RCU/rec  DynamoDB $/M  largest item  hottest item WCU/s  writers/item",
);
const fmt = (n: number, digits = 3) => n.toFixed(digits);
for (const r of rows) {
  console.log(
    [
      r.app.padEnd(12),
      String(r.shards).padStart(6),
      String(r.history).padStart(8),
      `${r.reshards}${r.lineage ? "" : "*"}`.padStart(9),
      String(r.records).padStart(8),
      fmt(r.writeUnitsPerRecord).padStart(8),
      fmt(r.readUnitsPerRecord).padStart(8),
      `$${fmt(r.dynamoDollarsPerMillion)}`.padStart(13),
      `${r.largestItemBytes} B`.padStart(13),
      fmt(r.hottestItemWriteUnitsPerSecond, 1).padStart(19),
      String(r.maxWritersPerItem).padStart(13),
    ].join(" "),
  );
}
console.log("  * the core without the stream's lineage, as it was: every shard's watermark kept");

console.log("\nTargets");
const check = (ok: boolean, text: string) => console.log(`  ${ok ? "✓" : "✗"} ${text}`);
for (const line of scaleVerdicts(rows)) check(line.ok, line.text);
