import { expect, test } from "vitest";
import { measure, type RunPlan } from "../../bench/measure.js";
import { assembly } from "../helpers/stack.js";

// How many DynamoDB calls and write units a batch costs is deterministic, unlike how long it
// takes: so the cost issue's targets are held here, on the benchmark's own workloads and
// measurement, while `npm run bench` prints them with the baseline, the dollars and the timings.

async function costPerRecord(app: RunPlan["app"], records: number) {
  const run = await measure(assembly(), {
    app,
    batchSize: 100,
    mode: "batched",
    workload: { readings: records, conversions: records },
  });
  await run.stack.stop();
  expect(run.records).toBe(records);
  const requests = run.dynamoRequests / run.records;
  const writeUnits = run.writeUnits / run.records;
  const ops = Object.entries(run.operations).map(([name, calls]) => `${name} ${calls}`);
  console.log(
    `${app} at batch 100: ${requests.toFixed(3)} DynamoDB requests/record, ${writeUnits.toFixed(3)} write units/record (${ops.join(", ")})`,
  );
  return { requests, writeUnits };
}

test("readings at batch 100 over ten zones cost at most 0.12 DynamoDB requests and 0.06 write units each", async () => {
  const cost = await costPerRecord("readings", 3000);
  expect(cost.requests).toBeLessThanOrEqual(0.12);
  expect(cost.writeUnits).toBeLessThanOrEqual(0.06);
});

// What conversions cost in write units when each enrolment was a conditional UpdateItem (989cb8f,
// this workload): putting enrolments in bulk must not cost more.
const CONVERSIONS_WRITE_UNITS_BEFORE = 0.294;

test("conversions at batch 100 cost at most 0.08 DynamoDB requests each, and no more write units than before", async () => {
  const cost = await costPerRecord("conversions", 3000);
  expect(cost.requests).toBeLessThanOrEqual(0.08);
  expect(cost.writeUnits).toBeLessThanOrEqual(CONVERSIONS_WRITE_UNITS_BEFORE);
});
