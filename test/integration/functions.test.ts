import { readFileSync } from "node:fs";
import { afterEach, expect, test } from "vitest";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import type { FailureRecord } from "../../local/lambda/kinesis-poller.js";
import type { LocalStack } from "../../local/stack.js";
import { type ConversionsExpected, dataJson, dataLines } from "../helpers/data.js";
import { drainQueue } from "../helpers/emulators.js";
import { editedAssembly, localStackForTests, putLines, resourcesOf } from "../helpers/stack.js";

// Functions run as Lambda runs them: the deployed bundle in execution environments of their own,
// with exactly the template's environment, its Timeout and its MemorySize.

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const hostOf = (s: LocalStack, prefix: string) => {
  const host = [...s.hosts.values()].find((h) => h.spec.logicalId.startsWith(prefix));
  if (!host) throw new Error(`no ${prefix} function`);
  return host;
};

/** A running process's environment, as the kernel holds it. */
const environOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );

test("each function process has its template environment and Lambda's, and nothing of another function's", async () => {
  stack = await localStackForTests();
  await putLines(
    stack.clients.kinesis,
    stack.outputs.LoyaltyStreamName,
    "loyalty",
    dataLines("loyalty.txt").slice(0, 3),
  );
  await putLines(
    stack.clients.kinesis,
    stack.outputs.ReadingsStreamName,
    "readings",
    dataLines("readings.csv").slice(0, 3),
  );
  await stack.runner?.drained();
  const [deployment] = stack.stacks;
  for (const prefix of ["Loyalty", "Readings"]) {
    const host = hostOf(stack, prefix);
    const [pid] = host.pids();
    if (pid === undefined) throw new Error(`${prefix} never ran`);
    const env = environOf(pid);
    const fn = deployment?.byLogicalId(host.spec.logicalId);
    const template =
      (fn?.properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};
    for (const [k, v] of Object.entries(template)) expect(env[k], `${prefix} ${k}`).toBe(v);
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: host.spec.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn?.properties.MemorySize),
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
      AWS_ENDPOINT_URL: stack.gateway.url,
      // The endpoint's authority, as a function in an account trusts Amazon's (Lambda's own CA bundle).
      NODE_EXTRA_CA_CERTS: stack.gateway.caFile,
    });
    // Nothing else: no variable of this test process, and none of the other function's resources.
    // (NODE_CHANNEL_*: Node's channel to the local runtime, removed from process.env at start;
    // Lambda's counterpart is AWS_LAMBDA_RUNTIME_API.)
    const others = Object.keys(env).filter(
      (k) =>
        !(k in template) && !/^(AWS_|LAMBDA_|NODE_CHANNEL_|NODE_EXTRA_CA_CERTS$|_HANDLER$|PATH$|LANG$|TZ$)/.test(k),
    );
    expect(others, prefix).toEqual([]);
    expect(env).not.toHaveProperty(prefix === "Loyalty" ? "ZONE_TABLE" : "CAMPAIGN_TABLE");
  }
});

test("a handler running past the template's Timeout is a function error: retried, bisected, then the failure destination", async () => {
  const app = editedAssembly((template) => {
    for (const [id, fn] of resourcesOf(template, "AWS::Lambda::Function")) {
      if (id.startsWith("Readings")) fn.Properties.Timeout = 1;
    }
    for (const [id, m] of resourcesOf(template, "AWS::Lambda::EventSourceMapping")) {
      if (id.startsWith("ReadingsFunction")) m.Properties.MaximumRetryAttempts = 1;
    }
  });
  const errors: string[] = [];
  // Every zone write hangs, as a call lost in the network would: the handler cannot finish in time.
  stack = await localStackForTests(
    { onInvoke: (i) => i.error && errors.push(i.error) },
    { rate: 1, faults: ["hang"], operations: ["PutItem"] },
    { app },
  );
  await putLines(stack.clients.kinesis, stack.outputs.ReadingsStreamName, "readings", [
    "d1, lobby, 70",
    "d2, lobby, 71",
  ]);
  await stack.runner?.drained(120_000);
  expect(errors.length).toBeGreaterThanOrEqual(5); // the pair once, then each record twice
  // Lambda's words, with each invocation's request id.
  expect(new Set(errors.map((e) => e.replace(/RequestId: \S+ /, "RequestId: … ")))).toEqual(
    new Set(["Sandbox.Timedout: RequestId: … Error: Task timed out after 1.00 seconds"]),
  );
  const failures = (await drainQueue(stack.clients.sqs, stack.outputs.ReadingsFailureQueueUrl, 500)).map(
    (m) => JSON.parse(m.Body ?? "") as FailureRecord,
  );
  expect(failures.map((f) => f.KinesisBatchInfo.batchSize)).toEqual([1, 1]);
  for (const f of failures) {
    expect(f.requestContext).toMatchObject({ condition: "RetryAttemptsExhausted", approximateInvokeCount: 2 });
    expect(f.responseContext).toEqual({ statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" });
  }
});

test("function processes killed (SIGKILL) in the middle of batches lose nothing and double nothing", async () => {
  stack = await localStackForTests({ retryDelayMs: 50 });
  const { kinesis, sqs } = stack.clients;
  await putLines(kinesis, stack.outputs.LoyaltyStreamName, "loyalty", dataLines("loyalty.txt"));
  await stack.runner?.drained();
  const host = hostOf(stack, "Conversions");
  let kills = 0;
  const killer = setInterval(() => {
    const [pid] = host.pids();
    if (pid === undefined || kills >= 6) return;
    process.kill(pid, "SIGKILL");
    kills++;
  }, 40);
  try {
    await putLines(kinesis, stack.outputs.ConversionsStreamName, "conversions", dataLines("conversions.txt"));
    await stack.runner?.drained(120_000);
  } finally {
    clearInterval(killer);
  }
  expect(kills).toBeGreaterThan(0);
  const expected = dataJson<ConversionsExpected>("conversions.expected.json");
  const coupons = (await drainQueue(sqs, stack.outputs.PromoQueueUrl)).map(
    (m) => JSON.parse(m.Body ?? "") as Record<string, string>,
  );
  expect(coupons.map((c) => [c.campaign, c.email]).sort()).toEqual([...expected.promos].sort());
  const figures = await new DynamoCampaignStore(stack.clients.documents, stack.outputs.CampaignTableName).readFigures();
  expect(Object.fromEntries(figures)).toEqual(expected.stats);
  expect(await drainQueue(sqs, stack.outputs.ConversionsFailureQueueUrl, 200)).toEqual([]);
});
