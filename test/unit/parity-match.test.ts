import { expect, test } from "vitest";
import { compare } from "../parity/match.js";

// The parity suite's comparison: placeholders, accounts and both-way field checks.

test("placeholders match any value; a numbered one stands for one value throughout", () => {
  const recorded = { a: "<uuid:1>", b: "arn:<partition>:sqs:<region>:111111111111:q-<uuid:1>", t: "<datetime>" };
  expect(compare(recorded, { a: "x1", b: "arn:aws:sqs:us-east-1:000000000000:q-x1", t: 1700000000 })).toEqual([]);
  expect(compare(recorded, { a: "x1", b: "arn:aws:sqs:us-east-1:000000000000:q-x2", t: "now" })).toHaveLength(1);
});

test("a field the recording leaves out must be left out, and one it has must be there", () => {
  expect(compare({ a: 1 }, { a: 1, Subject: null })).toEqual([
    { path: "$.Subject", expected: "(absent)", actual: null },
  ]);
  expect(compare({ a: 1, b: [] }, { a: 1 })).toEqual([{ path: "$.b", expected: [], actual: "(absent)" }]);
  expect(compare({ a: 1, ResponseMetadata: {} }, { a: 1, $metadata: {} })).toEqual([]);
});

test("literals are exact, arrays are compared in order and by length", () => {
  expect(compare(["shardId-000000000000"], ["shardId-000000000001"])).toHaveLength(1);
  expect(compare([1, 2], [1, 2, 3])).toHaveLength(1);
  expect(compare({ n: null }, { n: 0 })).toHaveLength(1);
});

test("JSON in a string is compared as the JSON it holds, as the recordings keep it", () => {
  expect(compare({ Message: { a: "<uuid:1>" } }, { Message: '{"a":"x"}' })).toEqual([]);
  expect(compare({ Message: { a: 1 } }, { Message: '{"a":2}' })).toHaveLength(1);
});

test("a key recorded as a placeholder stands for a key of the answer", () => {
  expect(compare({ Responses: { "<test-table>": [] } }, { Responses: { "table-1": [] } })).toEqual([]);
  expect(compare({ Responses: { "<test-table>": [] } }, { Responses: { "table-1": [1] } })).toHaveLength(1);
});
