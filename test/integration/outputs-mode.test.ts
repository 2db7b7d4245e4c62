import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect, test } from "vitest";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import { findOutputs } from "../../cli/stack-target.js";
import { trustingHandler } from "../../local/gateway/tls.js";
import { ADMIN_CREDENTIALS } from "../../local/iam/credentials.js";
import { adminClients, projectRoot } from "../../local/stack.js";
import { type ConversionsExpected, dataJson } from "../helpers/data.js";
import { runNode } from "../helpers/processes.js";
import { assembly } from "../helpers/stack.js";

// The end-to-end tests in the mode that LocalStack or an AWS account uses: a stack deployed
// elsewhere, found through its outputs file, whose own functions consume the streams. Here that
// stack is `npm start -- --no-demo`; the tests run in a child process that knows only the
// outputs file and the endpoint environment, exactly as against LocalStack.

const run = runNode;

test("the campaign and readings tests pass against a stack found through its outputs file", async () => {
  const workDir = mkdtempSync(path.join(tmpdir(), "tripwire-deployed-"));
  const stack = spawn(
    process.execPath,
    ["--import", "tsx", "local/start.ts", "--no-demo", "--app", assembly(), "--work-dir", workDir],
    {
      cwd: projectRoot,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  stack.stdout.on("data", (c: Buffer) => {
    log += c.toString();
  });
  const exited = new Promise((resolve) => stack.once("exit", resolve));
  try {
    const deadline = Date.now() + 60_000;
    while (!log.includes("running;")) {
      if (Date.now() > deadline || stack.exitCode !== null) throw new Error(`npm start did not come up:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The environment a user gets by sourcing the env file, and nothing of this process's stack.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // Quiet for 8 s = done: under CI's load (this run beside the other test files on two cores) a
      // function environment's cold start has left 6 s between two batches of one put.
      TRIPWIRE_SETTLE_MS: "8000",
      NO_COLOR: "1",
    };
    for (const line of readFileSync(path.join(workDir, "local.env"), "utf8").split("\n")) {
      const match = /^export (\w+)=(.*)$/.exec(line);
      if (match?.[1]) env[match[1]] = match[2];
    }
    env.TRIPWIRE_OUTPUTS = path.join(workDir, "cdk-outputs.json");
    const vitest = path.join(projectRoot, "node_modules", "vitest", "vitest.mjs");
    const { code, output } = await run([vitest, "run", "test/integration/end-to-end.test.ts"], env);
    expect(output, output).toMatch(/Tests\s+\S*\s*5 passed/);
    expect(code).toBe(0);
    // They ran against that stack, not emulators of their own: its table holds their figures.
    expect(output).toContain(`end to end against the deployed stack of ${env.TRIPWIRE_OUTPUTS}`);
    // One endpoint for every service, as LocalStack's: the env file names nothing else.
    expect(Object.keys(env).filter((k) => k.startsWith("AWS_ENDPOINT_URL"))).toEqual(["AWS_ENDPOINT_URL"]);
    const outputs = findOutputs(env.TRIPWIRE_OUTPUTS);
    const figures = await new DynamoCampaignStore(
      adminClients(() => ({
        region: "us-east-1",
        endpoint: env.AWS_ENDPOINT_URL ?? "",
        credentials: ADMIN_CREDENTIALS,
        requestHandler: trustingHandler(readFileSync(env.NODE_EXTRA_CA_CERTS ?? "", "utf8")),
      })).documents,
      outputs.CampaignTableName,
    ).readFigures();
    const expected = dataJson<ConversionsExpected>("conversions.expected.json");
    expect(figures.get("MarsupialHoodie")).toEqual(expected.stats.MarsupialHoodie);
  } finally {
    stack.kill("SIGTERM");
    await exited;
  }
});
