import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";

// The AWS CLI, run many times in one process: its own entry point (`awscli.clidriver`, what the
// `aws` script calls) with each command's arguments, stdout and stderr captured per command. A
// command costs what the CLI's work costs, not a Python start (~0.7 s each on CI's two cores), so a
// test can drive dozens of commands. Where the `aws` on PATH is not the Python CLI (v2's binary),
// each command runs `aws` itself.

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const DRIVER = `
import contextlib, io, json, os, sys
import awscli.clidriver
for line in sys.stdin:
    args = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = awscli.clidriver.create_clidriver().main(args)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    sys.__stdout__.write(json.dumps({"code": code or 0, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\\n")
    sys.__stdout__.flush()
`;

/** The Python the `aws` script runs on (its shebang), when it is the Python CLI. */
function cliPython(): string | undefined {
  try {
    const script = execFileSync("sh", ["-c", "command -v aws && (pyenv which aws 2>/dev/null || true)"], {
      encoding: "utf8",
    })
      .trim()
      .split("\n")
      .at(-1);
    if (!script) return undefined;
    const shebang = /^#!(\S*python\S*)/.exec(execFileSync("head", ["-1", script], { encoding: "utf8" }))?.[1];
    return shebang;
  } catch {
    return undefined;
  }
}

export class AwsCliSession {
  private readonly child: ChildProcessWithoutNullStreams | undefined;
  private readonly waiting: ((result: CliResult) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly env: NodeJS.ProcessEnv) {
    const python = cliPython();
    if (python === undefined) return;
    this.child = spawn(python, ["-c", DRIVER], { env });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.waiting.shift()?.(JSON.parse(line) as CliResult);
    });
  }

  /** One command, after the ones before it; its exit code, stdout and stderr. */
  run(args: readonly string[]): Promise<CliResult> {
    const turn = this.queue.then(() => this.runNow(args));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private runNow(args: readonly string[]): Promise<CliResult> {
    const child = this.child;
    if (child === undefined) {
      return new Promise((resolve) => {
        const aws = spawn("aws", [...args], { env: this.env });
        let stdout = "";
        let stderr = "";
        aws.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
        });
        aws.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
        });
        aws.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      child.stdin.write(`${JSON.stringify(args)}\n`);
    });
  }

  stop(): void {
    this.child?.stdin.end();
    this.child?.kill();
  }
}
