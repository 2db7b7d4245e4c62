import { spawn } from "node:child_process";
import { projectRoot } from "../../local/stack.js";

/** Runs this Node with arguments in the project, asynchronously (a test process may serve the
 * local stack the child talks to); resolves with its exit code and everything it printed. */
export function runNode(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return runProcess(process.execPath, args, env);
}

/** Runs a program, asynchronously, in `cwd` (the project by default); resolves with its exit code and everything it printed. */
export function runProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd = projectRoot,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (c: Buffer) => {
      output += c.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("close", (code) => resolve({ code, output }));
  });
}
