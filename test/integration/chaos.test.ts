import { afterAll, expect, test } from "vitest";
import { outputsOf, STREAMS, type StreamName } from "#apps/index.js";
import { Ledger, streamBooks } from "../../local/accounting.js";
import { ChaosCounts, chaosPlan, FAULT_KINDS } from "../../local/chaos.js";
import { startDemo } from "../../local/demo.js";
import type { LocalStack } from "../../local/stack.js";
import { localStackForTests } from "../helpers/stack.js";

// The soak: every application's demo data through the local stack with every fault at once (the
// `npm start -- --chaos=high` switch), its outcome compared exactly with the independently computed
// expected files — coupons and figures, zone and CPU transitions, fraud messages — and every record
// accounted for. The seed is printed: a failing run replays with --chaos=high --chaos-seed N.

const SEED = Number(process.env.TRIPWIRE_CHAOS_SEED ?? 20261203);
let stack: LocalStack | undefined;
afterAll(async () => stack?.stop());

test("the demo under chaos gives exactly the expected outcomes, every record accounted for, every kind of fault injected", async () => {
  console.log(`chaos soak: seed ${SEED} (npm start -- --chaos=high --chaos-seed ${SEED} --exit-after-demo replays it)`);
  const ledger = new Ledger();
  stack = await localStackForTests(
    { onInvoke: ledger.onInvoke, onFailureDestination: ledger.onFailureDestination },
    undefined,
    // The high level, with invocations killed and timed out more often: a demo makes about a hundred
    // invocations, and each kind of fault must be seen.
    { chaos: { ...chaosPlan("high", SEED), crashRate: 0.08, timeoutRate: 0.08 } },
  );
  let stopped = false;
  const demo = startDemo(
    stack,
    () => stopped,
    () => undefined,
  );
  const result = await demo.finished;
  stopped = true;
  await Promise.all(demo.consumers);
  expect(result.problems).toEqual([]);

  const outputs = stack.outputs as Record<string, string>;
  const streams = STREAMS.map((s) => ({
    name: s.name,
    physical: outputs[outputsOf(s.name as StreamName).stream] ?? "",
  }));
  const books = await streamBooks(stack.clients.sqs, outputs.RejectedQueueUrl ?? "", streams, ledger, result.put);
  for (const b of books) {
    expect(b.processed + b.rejected + b.failureDestination, b.stream).toBe(b.put);
    expect(b.failureDestination, b.stream).toBe(0);
  }
  const faults = stack.chaos?.withGateway(stack.gateway.stats.injected);
  console.log(`chaos soak: ${ChaosCounts.line(faults ?? ({} as never))}`);
  for (const kind of FAULT_KINDS) expect(faults?.[kind], kind).toBeGreaterThan(0);
}, 600_000);
