import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect, test } from "vitest";
import { FunctionHost } from "../../local/lambda/function-host.js";

// Lambda's timeout is the invocation's: a cold environment's init phase (loading the code, its
// top-level work) is not counted against it. A function whose module takes longer to load than
// its whole timeout still answers its first invocation; one whose handler overruns still times out.

function host(code: string, timeoutSeconds: number): FunctionHost {
  const dir = mkdtempSync(path.join(tmpdir(), "tripwire-cold-"));
  writeFileSync(path.join(dir, "index.mjs"), code);
  return new FunctionHost(
    {
      logicalId: "Cold",
      functionName: "cold",
      functionArn: "arn:aws:lambda:us-east-1:000000000000:function:cold",
      bundleDir: dir,
      handler: "index.handler",
      runtime: "nodejs22.x",
      timeoutSeconds,
      memoryMb: 128,
      environment: {},
      platform: {},
    },
    path.join(dir, "logs"),
  );
}

test("a slow init does not time out the first invocation; a slow handler does", async () => {
  const slowInit = host(
    `await new Promise((r) => setTimeout(r, 1500));
     export const handler = async () => "ready";`,
    1,
  );
  const slowHandler = host(`export const handler = () => new Promise((r) => setTimeout(() => r("late"), 1500));`, 1);
  try {
    expect(await slowInit.invoke({})).toEqual({ kind: "result", payload: "ready" });
    expect(await slowHandler.invoke({})).toMatchObject({ kind: "error", errorType: "Sandbox.Timedout" });
  } finally {
    await Promise.all([slowInit.stop(), slowHandler.stop()]);
  }
}, 30_000);
