import type { KinesisStreamRecord } from "aws-lambda";
import { describe, expect, test } from "vitest";
import { failedFrom, withinPayloadLimit } from "../../local/lambda/kinesis-poller.js";

const seqs = ["100", "200", "300"];

describe("a function's partial batch response, read as Lambda reads it", () => {
  test.each([
    ["no response", undefined],
    ["null", null],
    ["an empty object", {}],
    ["a null list", { batchItemFailures: null }],
    ["an empty list", { batchItemFailures: [] }],
  ])("%s is a complete success", (_, payload) => {
    expect(failedFrom(payload, seqs)).toBeUndefined();
  });

  test("the lowest failed record is where processing resumes", () => {
    expect(failedFrom({ batchItemFailures: [{ itemIdentifier: "300" }, { itemIdentifier: "200" }] }, seqs)).toBe(1);
  });

  test.each([
    ["a non-array list", { batchItemFailures: "200" }],
    ["a null entry", { batchItemFailures: [null] }],
    ["an empty identifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a null identifier", { batchItemFailures: [{ itemIdentifier: null }] }],
    ["a misspelt key", { batchItemFailures: [{ itemIdentifer: "200" }] }],
    ["an identifier not in the batch", { batchItemFailures: [{ itemIdentifier: "999" }] }],
  ])("%s is a complete failure of the batch", (_, payload) => {
    expect(failedFrom(payload, seqs)).toBe(-1);
  });
});

test("a batch whose invocation payload would pass 6 MB is cut into invocations that do not", () => {
  const record = (i: number): KinesisStreamRecord =>
    ({ kinesis: { sequenceNumber: String(i), data: "x".repeat(1_000_000) } }) as unknown as KinesisStreamRecord;
  const batches = withinPayloadLimit(Array.from({ length: 14 }, (_, i) => record(i)));
  expect(batches.map((b) => b.length)).toEqual([6, 6, 2]);
  for (const batch of batches)
    expect(Buffer.byteLength(JSON.stringify({ Records: batch }))).toBeLessThanOrEqual(6 * 1024 * 1024);
  expect(batches.flat().map((r) => r.kinesis.sequenceNumber)).toEqual(Array.from({ length: 14 }, (_, i) => String(i)));
});
