import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PutRecordCommand } from "@aws-sdk/client-kinesis";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { LocalStack } from "../../local/stack.js";
import { runNode } from "../helpers/processes.js";
import { localStackForTests } from "../helpers/stack.js";
import { parityContext } from "./harness.js";
import { KNOWN_DIFFERENCES } from "./known.js";
import { compare, type Mismatch } from "./match.js";
import type { Scenario } from "./scenario.js";
import { SCENARIOS } from "./scenarios/index.js";

// The parity suite: scenarios ported from LocalStack's AWS-validated tests, each run on the local
// stack and compared field by field with what AWS answered (the tests' recorded snapshots). It
// prints `parity P/N` and fails below 95 %, or when a scenario fails that is not a known
// difference (known.ts, with why each stays; docs/local-stack.md's parity table lists them).

const THRESHOLD = 0.95;
/**
 * Scenarios run at once. All at once, a 2-core machine starts some forty function environments
 * together, and a cold start can outlast a test's four-second visibility timeout (AWS starts them in
 * a fraction of that); a few at a time keeps the suite to about a minute.
 */
const SCENARIOS_AT_ONCE = 12;
let stack: LocalStack;

beforeAll(async () => {
  // Synthesized as users synthesize: cdk.out inside the parity app's own (CommonJS) project.
  const assembly = path.join("test", "parity", "app", "cdk.out");
  const cdk = path.join("node_modules", "aws-cdk", "bin", "cdk");
  const app = `${process.execPath} --import tsx test/parity/app/app.ts`;
  const synth = await runNode([cdk, "synth", "--no-notices", "-q", "--app", app, "-o", assembly], {
    ...process.env,
    CDK_DISABLE_CLI_TELEMETRY: "true",
  });
  if (synth.code !== 0) throw new Error(`cdk synth of the parity app failed:\n${synth.output}`);
  stack = await localStackForTests({}, undefined, {
    app: assembly,
    workDir: mkdtempSync(path.join(tmpdir(), "tripwire-parity-")),
  });
}, 180_000);
afterAll(async () => stack?.stop());

/** Runs `work` over `items`, at most `limit` at once, the results in the items' order. */
async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface Result {
  readonly scenario: Scenario;
  readonly mismatches: readonly Mismatch[];
  readonly error?: string;
}

async function runScenario(scenario: Scenario): Promise<Result> {
  try {
    const answer = await scenario.run(parityContext(stack));
    const mismatches = compare(scenario.recorded, answer).filter(
      (m) => !timed(scenario, m) && !droppedNull(scenario, m),
    );
    return { scenario, mismatches };
  } catch (err) {
    return { scenario, mismatches: [], error: err instanceof Error ? err.message : String(err) };
  }
}

/** A null the recording left out, where the scenario says its recording drops nulls. */
function droppedNull(scenario: Scenario, m: Mismatch): boolean {
  return scenario.nullsDropped?.[m.path] !== undefined && m.expected === "(absent)" && m.actual === null;
}

/** A mismatch at a path the scenario says depends on timing, where a value is present. */
function timed(scenario: Scenario, m: Mismatch): boolean {
  return scenario.timing?.[m.path] !== undefined && m.actual !== "(absent)" && m.actual !== undefined;
}

test("the local stack answers as AWS answered: parity with LocalStack's AWS-validated snapshots", async () => {
  const results = await pooled(SCENARIOS, SCENARIOS_AT_ONCE, runScenario);
  const failed = results.filter((r) => r.error !== undefined || r.mismatches.length > 0);
  const passed = results.length - failed.length;
  const families = [...new Set(results.map((r) => r.scenario.family))];
  const lines = families.map((family) => {
    const mine = results.filter((r) => r.scenario.family === family);
    const ok = mine.filter((r) => !failed.includes(r)).length;
    return `  ${family.padEnd(16)} ${ok}/${mine.length}`;
  });
  const details = failed.map(
    (r) =>
      `✗ ${r.scenario.family}: ${r.scenario.name} (${r.scenario.source.test})\n` +
      (r.error
        ? `    error: ${r.error}`
        : r.mismatches
            .slice(0, 5)
            .map((m) => `    ${m.path}: AWS ${JSON.stringify(m.expected)}, here ${JSON.stringify(m.actual)}`)
            .join("\n")),
  );
  console.log([`parity ${passed}/${results.length}`, ...lines, ...details].join("\n"));
  expect(passed / results.length, details.join("\n")).toBeGreaterThanOrEqual(THRESHOLD);
  // Above the threshold too, a difference is either known (with why) or a regression.
  const unknown = failed.filter((r) => KNOWN_DIFFERENCES[r.scenario.source.test] === undefined);
  expect(
    unknown.map((r) => r.scenario.source.test),
    details.join("\n"),
  ).toEqual([]);
}, 300_000);

test("one function fed by seventeen streams, one of them failing forever: every other mapping still invokes it on its own", async () => {
  // Finding 2 of the parity issue: in an account each mapping's shards are polled and invoked
  // independently; a mapping whose batches keep failing holds back only its own shard.
  const ctx = parityContext(stack);
  const fixture = ctx.fixture("FanIn");
  const [failing, ...healthy] = fixture.streams ?? [];
  const put = (StreamName: string | undefined, data: string) =>
    ctx.clients.kinesis.send(new PutRecordCommand({ StreamName, Data: Buffer.from(data), PartitionKey: "p" }));
  await put(failing, JSON.stringify({ raise_error: 1 }));
  await Promise.all(healthy.map((name, i) => put(name, JSON.stringify({ stream: i }))));
  const invoked = new Set<number>();
  const deadline = Date.now() + 60_000;
  while (invoked.size < healthy.length && Date.now() < deadline) {
    for (const e of (await ctx.logEvents(fixture.functions[0] ?? "", 0)) as { stream?: number }[]) {
      if (typeof e.stream === "number") invoked.add(e.stream);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect([...invoked].sort((a, b) => a - b)).toEqual(healthy.map((_, i) => i));
}, 120_000);
