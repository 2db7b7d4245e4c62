import { setTimeout as sleep } from "node:timers/promises";
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "./errors.js";

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const MAX_ATTEMPTS = 9;

/**
 * BatchGetItem over any number of keys, following UnprocessedKeys until every key is answered.
 * Strongly consistent: what a batch decides must see everything the batch before it wrote.
 */
export async function batchGet(
  db: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_LIMIT);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await backOff(attempt, `BatchGetItem on ${table} left ${pending.length} keys unprocessed`);
      const out = await db.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(out.Responses?.[table] ?? []));
      pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return items;
}

/** How far a bulk write got: items from the first on known written, and why it stopped short. */
export interface BulkWritten {
  readonly written: number;
  readonly error?: unknown;
}

/**
 * Puts items with BatchWriteItem, 25 to a call, the calls side by side, each following its
 * UnprocessedItems. All items are written, or those before the first chunk that failed.
 */
export async function batchPut(
  db: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
): Promise<BulkWritten> {
  const starts: number[] = [];
  for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) starts.push(start);
  const results = await Promise.allSettled(
    starts.map(async (start) => {
      let pending = items.slice(start, start + BATCH_WRITE_LIMIT).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await backOff(attempt, `BatchWriteItem on ${table} left ${pending.length} items unprocessed`);
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []).flatMap((request) =>
          request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
        );
      }
    }),
  );
  const failed = results.findIndex((r) => r.status === "rejected");
  if (failed < 0) return { written: items.length };
  return { written: starts[failed] as number, error: (results[failed] as PromiseRejectedResult).reason };
}

/** Waits before retrying what DynamoDB left unprocessed (it was throttled); gives up in the end. */
async function backOff(attempt: number, giveUp: string): Promise<void> {
  if (attempt >= MAX_ATTEMPTS) throw new Error(giveUp);
  await sleep(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2));
}

/** Runs a conditional write: false when its condition failed (another writer moved the item on). */
export async function conditionalWrite(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
}

/** Every item of a table, page by page (a status command's whole-table read; never a function's). */
export async function scanAll(db: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
