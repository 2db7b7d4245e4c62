import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { OUTPUT_KEYS, STACK_NAME } from "../../infra/outputs.js";
import { assemblyFor } from "../../local/cloudformation/synth.js";
import { freePort, SHARED_DYNAMODB_ENV, startEmulators } from "../../local/emulators/emulators.js";
import { projectRoot } from "../../local/stack.js";
import { assembly, editedAssembly } from "../helpers/stack.js";

/** The emulator processes a process started (tsx may have a helper of its own beside them). */
function emulatorsOf(pid: number): number[] {
  let children: number[];
  try {
    children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return children.filter((child) => {
    const cmdline = readFileSync(`/proc/${child}/cmdline`, "utf8");
    return /kinesis-local|DynamoDBLocal|fauxqs/.test(cmdline);
  });
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The environment without the test run's shared DynamoDB Local: a stack started with it starts its own. */
function ownDynamoDb(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[SHARED_DYNAMODB_ENV];
  return env;
}

test.each([
  ["SIGINT", "its own DynamoDB Local", 3],
  ["SIGTERM", "the test run's DynamoDB Local", 2],
] as const)(
  "`npm start -- --no-demo` comes up, writes the outputs and env files, and stops cleanly on %s (with %s)",
  async (signal, _dynamodb, emulatorCount) => {
    const workDir = mkdtempSync(path.join(tmpdir(), "tripwire-start-"));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "local/start.ts", "--no-demo", "--app", assembly(), "--work-dir", workDir],
      { cwd: projectRoot, env: emulatorCount === 3 ? ownDynamoDb() : process.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // However the test ends, the stack it started does not outlive it.
    onTestFinished(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const deadline = Date.now() + 60_000;
    while (!output.includes("running;")) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const outputsFile = path.join(workDir, "cdk-outputs.json");
    expect(output).toContain(outputsFile);
    expect(output).toContain(path.join(workDir, "local.env"));
    const outputs = JSON.parse(readFileSync(outputsFile, "utf8")) as Record<string, Record<string, string>>;
    expect(Object.keys(outputs[STACK_NAME] ?? {}).sort()).toEqual([...OUTPUT_KEYS].sort());
    const env = readFileSync(path.join(workDir, "local.env"), "utf8");
    for (const name of ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      expect(env).toMatch(new RegExp(`^export ${name}=\\S+`, "m"));
    }
    expect(env).not.toMatch(/AWS_ENDPOINT_URL_/);
    const emulators = emulatorsOf(child.pid as number);
    expect(emulators).toHaveLength(emulatorCount);

    child.kill(signal);
    expect(await exited).toBe(0);
    expect(output).toContain("no process left running");
    expect(emulators.filter(alive)).toEqual([]);
    expect(existsSync(outputsFile)).toBe(true);
  },
);

test("the emulators do not outlive a process that started them and was killed outright", async () => {
  const script = [
    'import { startEmulators } from "./local/emulators/emulators.ts";',
    "const e = await startEmulators({ logDir: process.argv[1] });",
    'console.log(e.pids.join(" "));',
    'process.kill(process.pid, "SIGKILL");',
  ].join("\n");
  const logDir = mkdtempSync(path.join(tmpdir(), "tripwire-orphan-"));
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, logDir], {
    cwd: projectRoot,
    env: ownDynamoDb(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  await new Promise((resolve) => child.once("exit", resolve));
  const pids = out.trim().split(/\s+/).map(Number);
  expect(pids).toHaveLength(3);
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(pids.filter(alive)).toEqual([]);
});

test("Ctrl-C sent to the process group of `npm start`, as a terminal sends it, stops it cleanly three times in a row", async () => {
  // The last run is a user's app in kind: no rejected-records queue among its outputs (reading one
  // named by nothing once crashed the stopping stack with "Invalid URL").
  const userApp = editedAssembly((template) => {
    delete (template as unknown as { Outputs: Record<string, unknown> }).Outputs.RejectedQueueUrl;
  });
  for (let run = 1; run <= 3; run++) {
    const app = run === 3 ? userApp : assembly();
    const workDir = mkdtempSync(path.join(tmpdir(), "tripwire-ctrlc-"));
    // A process group of its own, as a terminal's foreground job: npm → tsx → node → emulators, functions.
    const npm = spawn("npm", ["start", "--", "--no-demo", "--app", app, "--work-dir", workDir], {
      cwd: projectRoot,
      env: process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const group = npm.pid as number;
    onTestFinished(() => {
      if (inGroup(group).length > 0) process.kill(-group, "SIGKILL");
    });
    let output = "";
    npm.stdout?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    npm.stderr?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    // "close": every process that holds the output pipes (npm's children too) is done writing.
    const closed = new Promise((resolve) => npm.once("close", resolve));
    const deadline = Date.now() + 60_000;
    while (!output.includes("running;")) {
      if (Date.now() > deadline || npm.exitCode !== null)
        throw new Error(`run ${run}: npm start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // npm and node at least in the group; the emulators in groups of their own, so that the
    // terminal's SIGINT reaches the stack, which reads its accounting from them before stopping them
    // (Kinesis and SQS/SNS: DynamoDB Local is the test run's).
    const started = descendants(group);
    expect(started.length - inGroup(group).length).toBeGreaterThanOrEqual(2);
    process.kill(-group, "SIGINT");
    await closed;
    const groupDeadline = Date.now() + 5000;
    const alive = () => started.filter((pid) => descendants(group, [pid]).length > 0);
    while (alive().length > 0 && Date.now() < groupDeadline) await new Promise((r) => setTimeout(r, 100));
    expect(output, `run ${run}:\n${output}`).toContain("stopped; no process left running");
    expect(output, `run ${run}`).not.toContain("again: exiting now");
    expect(output, `run ${run}: the accounting read the emulators`).not.toContain("ECONNREFUSED");
    expect(output, `run ${run}`).not.toMatch(/Invalid URL|accounting:/);
    expect(alive(), `run ${run}: processes left`).toEqual([]);
  }
});

/**
 * The processes still running that descend from `root` (itself included), or, given `only`, which of
 * those pids are still running (whatever their parent now).
 */
function descendants(root: number, only?: readonly number[]): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,stat="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((r) => r.length === 3 && !r[2]?.startsWith("Z"))
    .map(([pid, ppid]) => [Number(pid), Number(ppid)] as const);
  if (only) return only.filter((pid) => rows.some(([p]) => p === pid));
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found].filter((pid) => rows.some(([p]) => p === pid));
}

/** The processes still in a process group. */
function inGroup(group: number): number[] {
  try {
    return execFileSync("pgrep", ["-g", String(group)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

test("emulators that lose a freely chosen port to another process start again on new ports", async () => {
  // Another process holds the first port chosen, as a parallel test file did on a loaded machine.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const taken = (holder.address() as AddressInfo).port;
  let picks = 0;
  const emulators = await startEmulators({
    logDir: mkdtempSync(path.join(tmpdir(), "tripwire-race-")),
    pickPort: async () => (picks++ === 0 ? taken : freePort()),
  });
  try {
    expect(picks).toBeGreaterThan(4); // a second round of ports after the first failed
    expect(emulators.endpoints.kinesis).not.toContain(`:${taken}`);
  } finally {
    await emulators.stop();
    holder.close();
  }
});

// (What the fingerprint covers — sources, lock file, context — is test/unit/synth.test.ts's, without a synthesis each.)
test("a second start reuses the assembly while the app's sources are unchanged", async () => {
  const outdir = mkdtempSync(path.join(tmpdir(), "tripwire-reuse-"));
  const first = assemblyFor(projectRoot, outdir);
  expect(first.reused).toBe(false);
  const started = Date.now();
  const second = assemblyFor(projectRoot, outdir);
  expect(second).toEqual({ dir: outdir, reused: true });
  expect(Date.now() - started).toBeLessThan(2000);
});
