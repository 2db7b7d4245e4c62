import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, expect, test } from "vitest";
import { batchGet, batchPut } from "#shared/dynamo.js";

// DynamoDB answers a throttled batch call in part, handing back what it left undone; the emulators
// never do, so that half of the batch helpers is shown here against a scripted client.
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const mock = mockClient(db);
beforeEach(() => mock.reset());

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: `K${i}` }));
type Put = { PutRequest: { Item: { pk: string } } };
const putKeys = (call: number) =>
  ((mock.commandCalls(BatchWriteCommand)[call]?.args[0].input.RequestItems?.t ?? []) as Put[]).map(
    (r) => r.PutRequest.Item.pk,
  );

test("batchPut writes 25 items to a call and sends back what DynamoDB left unprocessed", async () => {
  mock
    .on(BatchWriteCommand)
    .resolvesOnce({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: "K3" } } }] } })
    .resolves({});
  const { written, error } = await batchPut(db, "t", items(30));
  expect(written).toBe(30);
  expect(error).toBeUndefined();
  const calls = mock.commandCalls(BatchWriteCommand).map((_, i) => putKeys(i));
  expect(calls.map((keys) => keys.length).sort((a, b) => a - b)).toEqual([1, 5, 25]);
  expect(calls).toContainEqual(["K3"]);
});

test("batchPut reports the items before the first chunk that could not be written", async () => {
  mock.on(BatchWriteCommand).callsFake(async (input: { RequestItems: Record<string, Put[]> }) => {
    const first = input.RequestItems.t?.[0]?.PutRequest.Item.pk;
    if (first === "K25") throw new Error("table gone");
    return {};
  });
  const { written, error } = await batchPut(db, "t", items(60));
  expect(written).toBe(25);
  expect(String(error)).toContain("table gone");
});

test("batchPut gives up on items DynamoDB keeps leaving unprocessed", async () => {
  mock.on(BatchWriteCommand).callsFake(async (input: { RequestItems: Record<string, Put[]> }) => ({
    UnprocessedItems: input.RequestItems,
  }));
  const { written, error } = await batchPut(db, "t", items(3));
  expect(written).toBe(0);
  expect(String(error)).toContain("3 items unprocessed");
}, 20_000);

test("batchGet reads strongly consistently, 100 keys to a call, and asks again for unprocessed keys", async () => {
  mock.on(BatchGetCommand).callsFake(async (input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => {
    const keys = input.RequestItems.t?.Keys ?? [];
    // The first call of 100 keys answers all but the last one.
    if (keys.length === 100)
      return { Responses: { t: keys.slice(0, 99) }, UnprocessedKeys: { t: { Keys: keys.slice(99) } } };
    return { Responses: { t: keys } };
  });
  const got = await batchGet(db, "t", items(150));
  expect(got.map((i) => i.pk).sort()).toEqual(
    items(150)
      .map((i) => i.pk)
      .sort(),
  );
  const calls = mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.t);
  expect(calls.map((c) => c?.Keys?.length)).toEqual([100, 1, 50]);
  expect(calls.every((c) => c?.ConsistentRead === true)).toBe(true);
});
