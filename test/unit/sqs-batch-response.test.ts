import { expect, test } from "vitest";
import { failedMessages } from "../../local/lambda/sqs-poller.js";

// An SQS mapping's partial batch response, read as Lambda reads it: the messages it names are kept
// to come back; a response Lambda cannot read fails the whole batch; none (or an empty list) is success.

const ids = ["m1", "m2", "m3"];

test("the messages named come back; no response, null or an empty list is a batch done", () => {
  expect([...failedMessages({ batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m3" }] }, ids)]).toEqual(
    ["m2", "m3"],
  );
  for (const done of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }, "ok"]) {
    expect(failedMessages(done, ids).size).toBe(0);
  }
});

test("a response Lambda cannot read fails the whole batch", () => {
  for (const malformed of [
    { batchItemFailures: "m1" },
    { batchItemFailures: [{ itemIdentifier: "" }] },
    { batchItemFailures: [{ itemIdentifier: "not-in-batch" }] },
    { batchItemFailures: [{ itemIdentifier: null }] },
    { batchItemFailures: [{}] },
  ]) {
    expect([...failedMessages(malformed, ids)].sort()).toEqual(ids);
  }
});
