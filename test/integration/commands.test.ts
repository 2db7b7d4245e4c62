import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, onTestFinished, test } from "vitest";
import { STREAM_NAMES } from "#apps/index.js";
import { findOutputs } from "../../cli/stack-target.js";
import { OUTPUT_KEYS } from "../../infra/outputs.js";
import { freePort } from "../../local/emulators/emulators.js";
import { trustingHandler } from "../../local/gateway/tls.js";
import { ADMIN_CREDENTIALS, projectRoot } from "../../local/stack.js";
import { runNode } from "../helpers/processes.js";
import { editedAssembly, resourcesOf } from "../helpers/stack.js";

// The commands as a newcomer runs them: each explains itself, finds the running local stack by
// itself (no `source`), says where it talks to, and says so when that stack is gone.

/** This machine's environment without any AWS setting: a fresh terminal. */
const freshEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_"))) as NodeJS.ProcessEnv;

const run = (script: string, args: string[], env = freshEnv()) => runNode(["--import", "tsx", script, ...args], env);

describe("every command explains itself", () => {
  test.each(["local/start.ts", "cli/put.ts", "cli/status.ts", "cli/replay.ts", "cli/access.ts"])(
    "%s --help exits 0 with its usage, options and examples",
    async (script) => {
      const { code, output } = await run(script, ["--help"]);
      expect(code).toBe(0);
      expect(output).toMatch(/^usage: npm (start|run \w+)/);
      expect(output).toContain("options:");
      expect(output).toContain("-h, --help");
    },
  );

  test("a typo in an option or a stream name is named, with the usage", async () => {
    const typo = await run("cli/put.ts", ["--stream", "reading"]);
    expect(typo.code).toBe(2);
    expect(typo.output).toContain(`unknown stream "reading": use ${STREAM_NAMES.join(", ")}`);
    const unknown = await run("cli/status.ts", ["campaign", "--jsn"]);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/Unknown option '--jsn'[\s\S]*usage: npm run status/);
    const app = await run("cli/status.ts", ["zone"]);
    expect(app.code).toBe(2);
    expect(app.output).toContain('no application "zone" with a status');
  });
});

test("a command given the outputs of a local stack that stopped says so, instead of reaching another endpoint", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tripwire-gone-"));
  const outputs = Object.fromEntries(OUTPUT_KEYS.map((k) => [k, "x"]));
  writeFileSync(path.join(dir, "cdk-outputs.json"), JSON.stringify({ Tripwire: outputs }));
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  writeFileSync(
    path.join(dir, "local.json"),
    JSON.stringify({
      endpoint,
      pages: endpoint,
      region: "us-east-1",
      pid: 1,
      outputsFile: "",
      credentials: ADMIN_CREDENTIALS,
    }),
  );
  const { code, output } = await run("cli/status.ts", ["campaign", "--outputs", path.join(dir, "cdk-outputs.json")]);
  expect(code).toBe(1);
  expect(output).toContain(`is the outputs of a local stack that is no longer running (it answered at ${endpoint})`);
});

/** Waits until a child's output has a line, or fails with what it said. */
async function waitFor(child: ChildProcess, log: () => string, text: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!log().includes(text)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${text}" in:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("npm start --app with a readings role that lost dynamodb:PutItem: readings fail as in an account, the refusal printed", async () => {
  const app = editedAssembly((template) => {
    for (const [id, policy] of resourcesOf(template, "AWS::IAM::Policy")) {
      if (!id.startsWith("ReadingsRole")) continue;
      const doc = policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
      for (const s of doc.Statement) s.Action = [s.Action].flat().filter((a) => a !== "dynamodb:PutItem");
    }
    for (const [id, m] of resourcesOf(template, "AWS::Lambda::EventSourceMapping")) {
      if (id.startsWith("ReadingsFunction")) m.Properties.MaximumRetryAttempts = 1;
    }
  });
  const workDir = mkdtempSync(path.join(tmpdir(), "tripwire-refused-"));
  const stack = spawn(
    process.execPath,
    ["--import", "tsx", "local/start.ts", "--app", app, "--no-demo", "--work-dir", workDir],
    { cwd: projectRoot, env: freshEnv(), stdio: ["ignore", "pipe", "pipe"] },
  );
  onTestFinished(() => {
    if (stack.exitCode === null) stack.kill("SIGKILL");
  });
  let log = "";
  stack.stdout?.on("data", (c: Buffer) => {
    log += c.toString();
  });
  stack.stderr?.on("data", (c: Buffer) => {
    log += c.toString();
  });
  await waitFor(stack, () => log, "running;");

  // A second terminal: no `source`, and credentials of some real account that must not be used.
  const terminal = { ...freshEnv(), AWS_ACCESS_KEY_ID: "AKIAREALACCOUNTKEY00", AWS_SECRET_ACCESS_KEY: "real" };
  const file = path.join(workDir, "readings.csv");
  writeFileSync(file, "d1, lobby, 95\nd2, lobby, 96\n");
  const put = await run(
    "cli/put.ts",
    ["--stream", "readings", "--outputs", path.join(workDir, "cdk-outputs.json"), file],
    terminal,
  );
  expect(put.output).toMatch(/→ https:\/\/127\.0\.0\.1:\d+ \(the local stack\)/);
  expect(put.output).toContain("put 2 records to Tripwire-ReadingsStream");
  expect(put.code).toBe(0);

  await waitFor(stack, () => log, "sent to the failure destination");
  expect(log).toMatch(
    /⛔ AccessDenied\s+Tripwire-ReadingsFunction\w+\s+dynamodb:PutItem\s+on arn:aws:dynamodb:us-east-1:000000000000:table\/Tripwire-ZoneTable\w+/,
  );
  const outputs = findOutputs(path.join(workDir, "cdk-outputs.json"));
  // An SDK client given the endpoint and its authority (the work directory's) reads the queue URLs the stack hands out.
  const sqs = new SQSClient({
    region: "us-east-1",
    endpoint: /→ (\S+)/.exec(put.output)?.[1],
    credentials: ADMIN_CREDENTIALS,
    requestHandler: trustingHandler(readFileSync(path.join(workDir, "tls", "ca.pem"), "utf8")),
  });
  const alerts = await sqs.send(new ReceiveMessageCommand({ QueueUrl: outputs.AlertQueueUrl, WaitTimeSeconds: 1 }));
  expect(alerts.Messages ?? []).toEqual([]);
  const failed = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: outputs.ReadingsFailureQueueUrl, WaitTimeSeconds: 1 }),
  );
  expect(failed.Messages?.length).toBeGreaterThan(0);

  // The refused PutItem wrote nothing: no zone has state.
  const zones = await run(
    "cli/status.ts",
    ["zones", "--outputs", path.join(workDir, "cdk-outputs.json"), "--json"],
    terminal,
  );
  expect(JSON.parse(zones.output)).toEqual([]);
  const access = await run("cli/access.ts", ["--outputs", path.join(workDir, "cdk-outputs.json")], terminal);
  expect(access.code).toBe(0);
  expect(access.output).toMatch(/REFUSED\s+dynamodb:PutItem/);
  stack.kill("SIGINT");
  await new Promise((resolve) => stack.once("exit", resolve));
  expect(log).toContain("access report");
});
