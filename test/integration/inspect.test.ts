import { afterAll, expect, test } from "vitest";
import { freePort } from "../../local/emulators/emulators.js";
import type { LocalStack } from "../../local/stack.js";
import { kinesisEvent } from "../helpers/events.js";
import { editedAssembly, localStackForTests, resourcesOf } from "../helpers/stack.js";

// `npm start -- --inspect FUNCTION`: that function's environment under the Node inspector, one
// environment only, its timeout waiting while a debugger is attached — tested without a person by
// attaching over the inspector's WebSocket and pausing the function past its timeout.

let stack: LocalStack | undefined;
afterAll(async () => stack?.stop());

test("the inspector answers on the port; a paused invocation outlives its 1 s timeout while attached, then completes", async () => {
  const port = await freePort();
  const app = editedAssembly((template) => {
    for (const [id, fn] of resourcesOf(template, "AWS::Lambda::Function"))
      if (id.startsWith("Cpu")) fn.Properties.Timeout = 1;
  });
  stack = await localStackForTests({}, undefined, { app, runMappings: false, inspect: { function: "cpu", port } });
  const host = [...stack.hosts.values()].find((h) => h.spec.logicalId.startsWith("Cpu"));
  if (!host) throw new Error("no CPU function");

  let targets: { webSocketDebuggerUrl: string }[] = [];
  for (let i = 0; i < 50 && targets.length === 0; i++) {
    try {
      targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as typeof targets;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  expect(targets[0]?.webSocketDebuggerUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${port}/`));

  // Node 22's WebSocket (npm test runs on the runtime's Node) as a debugger client.
  const ws = new WebSocket(targets[0]?.webSocketDebuggerUrl ?? "");
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const send = (method: string) => ws.send(JSON.stringify({ id: ++id, method }));
  send("Debugger.enable");
  send("Debugger.pause");
  for (let i = 0; i < 50 && !host.debugging; i++) await new Promise((r) => setTimeout(r, 100));
  expect(host.debugging).toBe(true);

  let settled = false;
  const invocation = host.invoke(kinesisEvent(["web-1, 50"])).finally(() => {
    settled = true;
  });
  await new Promise((r) => setTimeout(r, 2500));
  expect(settled).toBe(false); // paused at the debugger, 2.5 s into a 1 s timeout, and not timed out
  send("Debugger.resume");
  const outcome = await invocation;
  expect(outcome).toMatchObject({ kind: "result", payload: { batchItemFailures: [] } });
  ws.close();
});
