import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { batchGet, conditionalWrite } from "../shared/dynamo.js";
import { isConditionalCheckFailed } from "../shared/errors.js";
import type { KeyedStore, Stored } from "./keyed.js";

/** How an application's state is written into its item's attributes, and read back. */
export interface StateCodec<S> {
  encode(state: S): Record<string, unknown>;
  decode(item: Record<string, unknown>): S;
  initial(): S;
}

/** A key's item as the DynamoDB adapter writes it (the benchmark sizes it). */
export function keyedItem<S, O>(
  keyAttribute: string,
  codec: StateCodec<S>,
  key: string,
  version: number,
  next: Omit<Stored<S, O>, "key" | "version">,
): Record<string, unknown> {
  return {
    ...codec.encode(next.state),
    [keyAttribute]: key,
    v: version,
    applied: next.watermarks,
    ...(next.pending.length > 0 ? { pending: packPending(next.pending) } : {}),
  };
}

// The outbox is compressed: outputs repeat their field names and much of their values, and an item
// of at most 1 KB costs one write unit where one just over costs two (a zone's four alerts: 1,134
// bytes of JSON, 284 compressed, in 0.1 ms).
function packPending(pending: readonly unknown[]): Uint8Array {
  const json = Buffer.from(JSON.stringify(pending));
  return brotliCompressSync(json, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: json.length },
  });
}

function unpackPending<O>(value: unknown): O[] {
  if (value instanceof Uint8Array) return JSON.parse(brotliDecompressSync(value).toString()) as O[];
  // Items written before the outbox was compressed hold its JSON.
  return typeof value === "string" ? (JSON.parse(value) as O[]) : [];
}

/**
 * The DynamoDB adapter: one item per key — the application's attributes beside `v` (the version),
 * `applied` (the per-shard watermarks) and `pending` (the outbox, compressed JSON) — read in one BatchGetItem
 * per batch (strongly consistent), written with one conditional PutItem on the version read.
 */
export class DynamoKeyedStore<S, O> implements KeyedStore<S, O> {
  /** The calls this adapter makes: its function's role must grant them on the table. */
  static readonly actions = ["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"] as const;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly keyAttribute: string,
    private readonly codec: StateCodec<S>,
  ) {}

  async load(keys: readonly string[]): Promise<Map<string, Stored<S, O>>> {
    const items = await batchGet(
      this.db,
      this.table,
      keys.map((key) => ({ [this.keyAttribute]: key })),
    );
    const found = new Map<string, Stored<S, O>>();
    for (const item of items) {
      const key = String(item[this.keyAttribute]);
      found.set(key, {
        key,
        state: this.codec.decode(item),
        version: typeof item.v === "number" ? item.v : 0,
        watermarks: (item.applied ?? {}) as Record<string, string>,
        pending: unpackPending<O>(item.pending),
      });
    }
    for (const key of keys) {
      if (!found.has(key))
        found.set(key, { key, state: this.codec.initial(), version: 0, watermarks: {}, pending: [] });
    }
    return found;
  }

  async save(expected: Stored<S, O>, next: Omit<Stored<S, O>, "key" | "version">): Promise<boolean> {
    const first = expected.version === 0;
    return conditionalWrite(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: keyedItem(this.keyAttribute, this.codec, expected.key, expected.version + 1, next),
          ConditionExpression: first ? "attribute_not_exists(#k)" : "#v = :v",
          ExpressionAttributeNames: first ? { "#k": this.keyAttribute } : { "#v": "v" },
          ExpressionAttributeValues: first ? undefined : { ":v": expected.version },
        }),
      ),
    );
  }

  async clearPending(key: string, version: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [this.keyAttribute]: key },
          UpdateExpression: "REMOVE pending",
          ConditionExpression: "v = :v",
          ExpressionAttributeValues: { ":v": version },
        }),
      );
    } catch (err) {
      // Another writer moved the item on: it read our outbox and sends it (deduplicated) itself.
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}

/** The in-memory adapter, with the same conditional semantics: for tests of an application's exactly-once. */
export class MemoryKeyedStore<S, O> implements KeyedStore<S, O> {
  readonly items = new Map<string, Stored<S, O>>();

  constructor(private readonly initial: () => S) {}

  async load(keys: readonly string[]): Promise<Map<string, Stored<S, O>>> {
    return new Map(
      keys.map((key) => [
        key,
        structuredClone(this.items.get(key)) ?? { key, state: this.initial(), version: 0, watermarks: {}, pending: [] },
      ]),
    );
  }

  async save(expected: Stored<S, O>, next: Omit<Stored<S, O>, "key" | "version">): Promise<boolean> {
    if ((this.items.get(expected.key)?.version ?? 0) !== expected.version) return false;
    this.items.set(expected.key, structuredClone({ ...next, key: expected.key, version: expected.version + 1 }));
    return true;
  }

  async clearPending(key: string, version: number): Promise<void> {
    const item = this.items.get(key);
    if (item?.version === version) this.items.set(key, { ...item, pending: [] });
  }
}
