#!/usr/bin/env node

import { execFile } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { CAMPAIGN_ENV } from "../apps/campaign/config.js";
import { APPS, STREAM_NAMES } from "../apps/index.js";
import { zoneStore, zoneToItem } from "../apps/zones/store.js";
import { WINDOW_SIZE } from "../apps/zones/zone.js";
import { synthesize } from "../local/cloudformation/synth.js";
import { nodeFor } from "../local/lambda/function-host.js";
import { projectRoot } from "../local/stack.js";
import { COMMON_ENV } from "../shared/config.js";
import { dynamoItemSize } from "../shared/item-size.js";
import { latencyTables } from "./latency.js";
import { type Mode, measure, type Run } from "./measure.js";
import { dollarsPerMillion, PRICES } from "./prices.js";
// `npm run bench`: what each function costs and how fast it goes, against the local emulators,
// side by side with the obvious alternative — the same logic one record at a time through
// Powertools' BatchProcessor (sequential), a read and a conditional write per record.
import { TARGETS } from "./targets.js";

const READINGS = Number(process.env.BENCH_READINGS ?? 6000);
const CONVERSIONS = Number(process.env.BENCH_CONVERSIONS ?? 3000);

process.stderr.write("synthesizing the app (cdk synth) …\n");
const assembly = synthesize(projectRoot, mkdtempSync(path.join(tmpdir(), "tripwire-bench-assembly-")));
const workload = { readings: READINGS, conversions: CONVERSIONS };

async function bundles(): Promise<{ name: string; bytes: number; importMs: number; fatImportMs: number }[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "tripwire-bundles-"));
  // The conversions function reads its coupon secret at import: a loopback stand-in answers it.
  const secrets = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ SecretString: "a-benchmark-secret-not-a-real-one" }));
  });
  await new Promise<void>((resolve) => secrets.listen(0, "127.0.0.1", resolve));
  const env = {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    [CAMPAIGN_ENV.couponSecretArn]: "arn:aws:secretsmanager:us-east-1:000000000000:secret:coupons-AbCdEf",
    ...process.env,
    // Every application's table, from its manifest: a new application's function imports too.
    ...Object.fromEntries(APPS.map((app) => [app.table.env, "t"])),
    [CAMPAIGN_ENV.promoQueueUrl]: "u",
    [COMMON_ENV.rejectedQueueUrl]: "u",
    [COMMON_ENV.alertTopicArn]: "a",
    POWERTOOLS_METRICS_DISABLED: "true",
    // The runtime deployed is Node 22; this box's Node 20 would make the SDK say so on every import.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  // Asynchronously, so that this process's stand-in can answer the import's secret read.
  const importMs = async (file: string) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const t=performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now()-t)`,
        ],
        { env: { ...process.env, ...env }, encoding: "utf8" },
      );
      times.push(Number(stdout));
    }
    return times.sort((a, b) => a - b)[2] as number;
  };
  const result = [];
  for (const name of STREAM_NAMES) {
    const entry = path.join(projectRoot, "functions", `${name}.ts`);
    const options = {
      bundle: true,
      minify: true,
      format: "esm" as const,
      platform: "node" as const,
      target: "node22",
      mainFields: ["module", "main"],
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      logLevel: "silent" as const,
    };
    // As deployed: the runtime provides the AWS SDK, so it is left out of the bundle.
    const deployed = path.join(dir, `${name}.mjs`);
    await build({ ...options, entryPoints: [entry], outfile: deployed, external: ["@aws-sdk/*"] });
    // For import time, everything in: the lean handler, and the same handler importing every client.
    const lean = path.join(dir, `${name}.full.mjs`);
    await build({ ...options, entryPoints: [entry], outfile: lean });
    const fatEntry = path.join(dir, `${name}.fat.ts`);
    writeFileSync(
      fatEntry,
      [
        `export { handler } from ${JSON.stringify(entry)};`,
        'import * as a from "@aws-sdk/client-dynamodb"; import * as b from "@aws-sdk/client-kinesis";',
        'import * as c from "@aws-sdk/client-sqs"; import * as d from "@aws-sdk/client-sns"; import * as e from "@aws-sdk/lib-dynamodb";',
        "(globalThis as Record<string, unknown>).everyClient = [a, b, c, d, e];",
      ].join("\n"),
    );
    const fat = path.join(dir, `${name}.fat.mjs`);
    await build({
      ...options,
      entryPoints: [fatEntry],
      outfile: fat,
      nodePaths: [path.join(projectRoot, "node_modules")],
    });
    result.push({
      name,
      bytes: statSync(deployed).size,
      importMs: await importMs(lean),
      fatImportMs: await importMs(fat),
    });
  }
  secrets.close();
  return result;
}

/** Decode + decide measured on bench/decode-rate.ts bundled as CDK bundles the functions, run on the runtime's Node. */
async function bundledCpuRate(app: Run["app"], executable: string): Promise<number> {
  const out = path.join(mkdtempSync(path.join(tmpdir(), "tripwire-cpu-")), "cpu-rate.mjs");
  await build({
    entryPoints: [path.join(projectRoot, "bench", "decode-rate.ts")],
    outfile: out,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node22",
    mainFields: ["module", "main"],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: "silent",
  });
  const { stdout } = await promisify(execFile)(executable, [out, app], { encoding: "utf8" });
  return (JSON.parse(stdout) as { rate: number }).rate;
}

/** The size of a zone item after the readings run, as DynamoDB counts it; a full window answers the target. */
async function zoneItem(run: Run): Promise<number | undefined> {
  const store = zoneStore(run.stack.clients.documents, run.table);
  const zone = (await store.load(["zone-0"])).get("zone-0");
  if (!zone) return undefined;
  const item = zoneToItem("zone-0", zone.state, zone.version, zone.watermarks);
  console.log(
    `\nA zone item (${zone.state.at.length} readings): ${dynamoItemSize(item)} bytes as DynamoDB sizes items (window ${item.w.length} bytes)`,
  );
  // Only a full window answers the target; a small BENCH_READINGS leaves it part-filled.
  return zone.state.at.length === WINDOW_SIZE ? dynamoItemSize(item) : undefined;
}

let zoneItemBytes: number | undefined;
{
  const results: Run[] = [];
  const apps = (process.env.BENCH_ONLY?.split(",") ?? ["readings", "conversions"]) as Run["app"][];
  for (const app of apps) {
    for (const batchSize of [100, 1000]) {
      for (const mode of ["batched", "baseline"] as const) {
        process.stderr.write(`measuring ${app}, batch ${batchSize}, ${mode} …\n`);
        const run = await measure(assembly, { app, batchSize, mode, workload });
        results.push(run);
        if (app === "readings" && mode === "batched" && batchSize === 100) zoneItemBytes = await zoneItem(run);
        await run.stack.stop();
      }
    }
  }
  const fmt = (n: number, digits = 2) => n.toFixed(digits);
  console.log(
    "\nEnd to end, the deployed stack run locally (2 shards; batched = the function bundle; a per-record baseline for each row)\n",
  );
  console.log("function     batch  mode      records  rec/s    ×base  DDB req/rec  ×fewer  WCU/rec  msgs  msg req/msg");
  for (const r of results) {
    const base = results.find((b) => b.app === r.app && b.batchSize === r.batchSize && b.mode === "baseline") as Run;
    const rate = r.records / r.seconds;
    const perRecord = r.dynamoRequests / r.records;
    console.log(
      [
        r.app.padEnd(12),
        String(r.batchSize).padStart(5),
        r.mode.padEnd(9),
        String(r.records).padStart(7),
        fmt(rate, 0).padStart(6),
        `${fmt(rate / (base.records / base.seconds), 1)}×`.padStart(7),
        fmt(perRecord, 3).padStart(11),
        `${fmt(base.dynamoRequests / base.records / perRecord, 1)}×`.padStart(7),
        fmt(r.writeUnits / r.records, 2).padStart(8),
        String(r.messages).padStart(5),
        fmt(r.messages > 0 ? r.messageRequests / r.messages : 0, 2).padStart(12),
      ].join("  "),
    );
  }
  console.log("\nDynamoDB requests per record, by operation");
  for (const r of results) {
    const ops = Object.entries(r.operations)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, calls]) => `${name} ${fmt(calls / r.records, 3)}`)
      .join(", ");
    console.log(`  ${r.app.padEnd(12)} ${String(r.batchSize).padStart(5)}  ${r.mode.padEnd(9)} ${ops}`);
  }
  const node = nodeFor("nodejs22.x");
  const load = loadavg()[0] ?? 0;
  console.log(
    `\nDecode + decide, no I/O, one core (median of five rounds): the bundled code on Node ${node.version}, as Lambda runs it` +
      ` (load average ${load.toFixed(2)} on ${availableParallelism()} cores when it started)`,
  );
  const cpu = new Map<Run["app"], number>();
  for (const app of apps) cpu.set(app, await bundledCpuRate(app, node.executable));
  for (const [app, rate] of cpu) console.log(`  ${app.padEnd(12)} ${fmt(rate, 0)} records/s`);

  // The targets, each with the figure that meets or misses it.
  console.log(
    `\nDollars per million records, on-demand list prices (${PRICES.region}, ${PRICES.date}; bench/prices.ts)`,
  );
  console.log("function     batch  mode      DynamoDB  Kinesis   Lambda      SQS      SNS     total  ×base");
  const money = (n: number) => `$${n.toFixed(3)}`.padStart(8);
  for (const r of results) {
    const cost = dollarsPerMillion(r.usage);
    const base = results.find((b) => b.app === r.app && b.batchSize === r.batchSize && b.mode === "baseline") as Run;
    const baseTotal = dollarsPerMillion(base.usage).total;
    console.log(
      [
        r.app.padEnd(12),
        String(r.batchSize).padStart(5),
        r.mode.padEnd(9),
        money(cost.dynamodb),
        money(cost.kinesis),
        money(cost.lambda),
        money(cost.sqs),
        money(cost.sns),
        money(cost.total),
        `${fmt(cost.total / baseTotal, 2)}`.padStart(6),
      ].join(" "),
    );
  }

  const latencies = await latencyTables(assembly, apps);

  console.log("\nTargets");
  const check = (ok: boolean, text: string) => console.log(`  ${ok ? "✓" : "✗"} ${text}`);
  const row = (app: Run["app"], batchSize: number, mode: Mode) =>
    results.find((r) => r.app === app && r.batchSize === batchSize && r.mode === mode);
  const perRecord = (r: Run) => r.dynamoRequests / r.records;
  for (const app of apps) {
    const batched = row(app, 100, "batched");
    const base = row(app, 100, "baseline");
    if (!batched || !base) continue;
    const ratio = perRecord(base) / perRecord(batched);
    const limit = TARGETS.requestsPerRecord[app];
    const fewer = TARGETS.fewerThanBaseline[app];
    check(
      perRecord(batched) <= limit && ratio >= fewer,
      `${app} at batch 100: ${fmt(perRecord(batched), 3)} DynamoDB requests/record (≤ ${limit}), ${fmt(ratio, 1)}× fewer than the baseline (≥ ${fewer}×)`,
    );
    const wcu = batched.writeUnits / batched.records;
    const wcuLimit = TARGETS.writeUnitsPerRecord[app];
    check(wcu <= wcuLimit, `${app} at batch 100: ${fmt(wcu, 3)} write units/record (≤ ${wcuLimit})`);
    if (app === "conversions") {
      const dollars = dollarsPerMillion(batched.usage);
      const limitDollars = TARGETS.dollarsPerMillion.conversions;
      check(
        dollars.total <= limitDollars,
        `${app} at batch 100: $${fmt(dollars.total, 3)} per million (≤ $${limitDollars}; DynamoDB $${fmt(dollars.dynamodb, 3)}: ` +
          `${fmt(batched.usage.readUnits / batched.records, 2)} read and ${fmt(wcu, 3)} write units a record)`,
      );
    }
  }
  for (const l of latencies)
    check(
      l.p99 <= TARGETS.latencyP99Ms && l.missing === 0,
      `${l.app} put to effect at ${l.rate} records/s: p99 ${l.p99.toFixed(0)} ms (≤ ${TARGETS.latencyP99Ms}), ${l.missing} missing`,
    );
  if (zoneItemBytes !== undefined)
    check(
      zoneItemBytes <= TARGETS.zoneItemBytes,
      `a full 500-reading zone item: ${zoneItemBytes} bytes (≤ ${TARGETS.zoneItemBytes}: one write unit)`,
    );
  for (const [app, rate] of cpu)
    check(
      rate >= TARGETS.decidePerSecond[app],
      `${app} decode + decide: ${fmt(rate, 0)} records/s on one core (≥ ${fmt(TARGETS.decidePerSecond[app], 0)})`,
    );
  for (const app of apps) {
    const batched = row(app, 1000, "batched");
    const base = row(app, 1000, "baseline");
    if (!batched || !base) continue;
    const speedup = batched.records / batched.seconds / (base.records / base.seconds);
    check(
      speedup >= TARGETS.speedupAtBatch1000,
      `${app} end to end at batch 1,000: ${fmt(speedup, 1)}× the baseline's records/s (≥ ${TARGETS.speedupAtBatch1000}×)`,
    );
  }

  console.log("\nBundles (minified ESM, AWS SDK from the runtime) and cold import time (SDK bundled in)");
  for (const b of await bundles()) {
    console.log(
      `  ${b.name.padEnd(12)} ${fmt(b.bytes / 1024, 1).padStart(7)} KiB   import ${fmt(b.importMs, 1)} ms   (importing every client: ${fmt(b.fatImportMs, 1)} ms)`,
    );
  }
}
