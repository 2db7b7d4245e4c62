import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { KinesisStreamEvent } from "aws-lambda";
import { afterAll, expect, test } from "vitest";
import type { LocalStack } from "../../local/stack.js";
import { dataLines } from "../helpers/data.js";
import { runNode } from "../helpers/processes.js";
import { assembly, editedAssembly, localStackForTests, resourcesOf } from "../helpers/stack.js";

// The developer's loop: `npm run event` writes the Kinesis event Lambda would send for your own
// records, `npm run invoke` runs one function once on it — deployed bundle, template environment,
// role and timeout — in the running local stack or in one started for it.

const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
const run = (script: string, args: string[]) => runNode(["--import", "tsx", script, ...args], env);
const dir = mkdtempSync(path.join(tmpdir(), "tripwire-invoke-test-"));
let running: LocalStack | undefined;
afterAll(async () => running?.stop());

async function eventFile(): Promise<string> {
  const made = await run("cli/event.ts", ["--stream", "cpu", "data/cpu.csv", "--limit", "5"]);
  expect(made.code).toBe(0);
  const file = path.join(dir, "event.json");
  writeFileSync(file, made.output);
  return file;
}

test("an event file made from demo records, invoked in a stack started for it: the batch response and the log lines", async () => {
  const file = await eventFile();
  const event = JSON.parse(readFileSync(file, "utf8")) as KinesisStreamEvent;
  const lines = dataLines("cpu.csv").slice(0, 5);
  expect(event.Records.map((r) => Buffer.from(r.kinesis.data, "base64").toString())).toEqual(lines);
  expect(event.Records.map((r) => r.kinesis.partitionKey)).toEqual(lines.map((l) => l.split(",")[0]?.trim()));
  expect(event.Records.every((r) => r.kinesis.sequenceNumber.length >= 56)).toBe(true);

  const invoked = await run("cli/invoke.ts", [
    "--function",
    "cpu",
    "--event",
    file,
    "--app",
    assembly(),
    "--outputs",
    path.join(dir, "none.json"),
  ]);
  // An outputs file that is not there: no running stack to use, and it says so.
  expect(invoked.code).toBe(1);
  expect(invoked.output).toContain("no running local stack");
  const fresh = await runNode(
    ["--import", "tsx", "cli/invoke.ts", "--function", "cpu", "--event", file, "--app", assembly()],
    {
      ...env,
      // No local stack's outputs anywhere it looks.
      TRIPWIRE_OUTPUTS: "",
    },
  );
  expect(fresh.output).toContain("a local stack started for this invocation");
  expect(fresh.output).toMatch(/"batchItemFailures": \[\]/);
  expect(fresh.output).toMatch(/log {2}.*"message":"batch done".*"received":5/);
  expect(fresh.code).toBe(0);
});

test("in the running local stack; a function error exits 1; a bad event file gets a clear error", async () => {
  const file = await eventFile();
  const broken = editedAssembly((template) => {
    for (const [id, fn] of resourcesOf(template, "AWS::Lambda::Function")) {
      if (id.startsWith("Cpu")) fn.Properties.Handler = "index.nothing";
    }
  });
  running = await localStackForTests({}, undefined, { app: broken, runMappings: false });
  const outputs = running.outputsFile;
  const good = await run("cli/invoke.ts", ["--function", "readings", "--event", file, "--outputs", outputs]);
  expect(good.output).toContain("(the local stack)");
  expect(good.code).toBe(0);
  const failed = await run("cli/invoke.ts", ["--function", "cpu", "--event", file, "--outputs", outputs]);
  expect(failed.code).toBe(1);
  expect(failed.output).toMatch(/failed: .*Runtime\.(HandlerNotFound|ExitError)/);

  const bad = path.join(dir, "bad.json");
  writeFileSync(
    bad,
    JSON.stringify({ Records: [{ kinesis: { data: "%%%", sequenceNumber: "1", partitionKey: "k" } }] }),
  );
  const refused = await run("cli/invoke.ts", ["--function", "cpu", "--event", bad, "--outputs", outputs]);
  expect(refused.code).toBe(2);
  expect(refused.output).toContain("is not a Kinesis event Lambda would send: Records[0].kinesis.data is not base64");
  writeFileSync(bad, "{ not json");
  expect((await run("cli/invoke.ts", ["--function", "cpu", "--event", bad])).output).toContain("is not JSON");
  const unknown = await run("cli/invoke.ts", ["--function", "nosuch", "--event", file, "--outputs", outputs]);
  expect(unknown.code).toBe(1);
  expect(unknown.output).toContain('no function "nosuch"');
});
