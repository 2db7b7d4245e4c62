import { expect, test } from "vitest";
import { measure, type RunPlan } from "../../bench/measure.js";
import { assembly } from "../helpers/stack.js";

// How many DynamoDB calls a batch makes is deterministic, unlike how long it takes: so the
// performance issue's request targets are held here, on the benchmark's own workloads and
// measurement, while `npm run bench` prints them with the baseline and the timings.

async function requestsPerRecord(app: RunPlan["app"], records: number): Promise<number> {
  const run = await measure(assembly(), {
    app,
    batchSize: 100,
    mode: "batched",
    workload: { readings: records, conversions: records },
  });
  await run.stack.stop();
  expect(run.records).toBe(records);
  const perRecord = run.dynamoRequests / run.records;
  const ops = Object.entries(run.operations).map(([name, calls]) => `${name} ${calls}`);
  console.log(`${app} at batch 100: ${perRecord.toFixed(3)} DynamoDB requests/record (${ops.join(", ")})`);
  return perRecord;
}

test("readings at batch 100 over ten zones cost at most 0.12 DynamoDB requests each", async () => {
  expect(await requestsPerRecord("readings", 3000)).toBeLessThanOrEqual(0.12);
});

test("conversions at batch 100 cost at most 0.3 DynamoDB requests each", async () => {
  expect(await requestsPerRecord("conversions", 3000)).toBeLessThanOrEqual(0.3);
});
