import { expect, test } from "vitest";
import { measure, type RunPlan } from "../../bench/measure.js";
import { TARGETS } from "../../bench/targets.js";
import { assembly } from "../helpers/stack.js";

// How many DynamoDB calls and write units a batch costs is deterministic, unlike how long it
// takes: so the cost targets are held here, on the benchmark's own workloads and measurement,
// while `npm run bench` prints them with the baseline, the dollars and the timings.

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

for (const app of ["readings", "conversions"] as const) {
  const requests = TARGETS.requestsPerRecord[app];
  const writeUnits = TARGETS.writeUnitsPerRecord[app];
  test(`${app} at batch 100 cost at most ${requests} DynamoDB requests and ${writeUnits} write units each`, async () => {
    const cost = await costPerRecord(app, 3000);
    expect(cost.requests).toBeLessThanOrEqual(requests);
    expect(cost.writeUnits).toBeLessThanOrEqual(writeUnits);
  });
}
