import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { batchGet, batchPut, conditionalWrite } from "../shared/dynamo.js";
import type { Aggregate, Fact, FactStore, FactsWritten } from "./facts.js";

// The facts mode's DynamoDB adapter: one table, one string partition key; a fact is an item of its
// own (how it is laid out is the application's codec), an aggregate an item of counters and
// per-shard watermarks. One strongly consistent BatchGetItem reads a batch's facts and aggregates;
// facts are put with BatchWriteItem (25 to a call); an aggregate is one UpdateItem that ADDs.

/** How an application's facts are stored: the item a fact is, and the facts an item holds. */
export interface FactCodec<V> {
  /** The item for a fact made by the record `by` (its key attribute included). */
  item(key: string, value: V, by: string): Record<string, unknown>;
  /** The facts an item holds, by key: usually one; an item of an older layout may hold another key's. */
  facts(item: Record<string, unknown>): [key: string, fact: Fact<V>][];
}

export interface AggregateLayout {
  /** The item key of an aggregate (e.g. `FIGURES#<campaign>`). */
  itemKey(key: string): string;
  /** The attribute that names the aggregate in its item (e.g. "campaign"). */
  readonly nameAttribute: string;
}

const WATERMARK_PREFIX = "wm:";

export class DynamoFactStore<V> implements FactStore<V> {
  /** The calls this adapter makes: its function's role must grant them on the table. */
  static readonly actions = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"] as const;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly keyAttribute: string,
    private readonly codec: FactCodec<V>,
    private readonly aggregates: AggregateLayout,
  ) {}

  async load(factKeys: readonly string[], aggregateKeys: readonly string[]) {
    const keys = new Set([...factKeys, ...aggregateKeys.map((k) => this.aggregates.itemKey(k))]);
    const items = await batchGet(
      this.db,
      this.table,
      [...keys].map((key) => ({ [this.keyAttribute]: key })),
    );
    const byItemKey = new Map(items.map((item) => [String(item[this.keyAttribute]), item]));
    const facts = new Map<string, Fact<V>>();
    for (const key of factKeys) {
      const item = byItemKey.get(key);
      if (item) for (const [factKey, fact] of this.codec.facts(item)) facts.set(factKey, fact);
    }
    const aggregates = new Map<string, Aggregate>();
    for (const key of aggregateKeys) {
      const item = byItemKey.get(this.aggregates.itemKey(key));
      aggregates.set(key, item ? aggregateOf(item, [this.keyAttribute, this.aggregates.nameAttribute]) : EMPTY);
    }
    return { facts, aggregates };
  }

  write(facts: readonly { key: string; value: V; by: string }[]): Promise<FactsWritten> {
    return batchPut(
      this.db,
      this.table,
      facts.map((f) => this.codec.item(f.key, f.value, f.by)),
    );
  }

  /**
   * ADDs the increments under a condition on the watermarks of the shards it moves only, so that
   * writers from different shards commute (a version would make every shard's batch conflict with
   * every other's) and two invocations of one batch do not both count.
   */
  add(
    key: string,
    expected: Aggregate,
    watermarks: Readonly<Record<string, string>>,
    increments: Readonly<Record<string, number>>,
  ): Promise<boolean> {
    const names: Record<string, string> = { "#name": this.aggregates.nameAttribute };
    const values: Record<string, unknown> = { ":name": key };
    const sets = ["#name = :name"];
    const adds: string[] = [];
    const conditions: string[] = [];
    let n = 0;
    const placeholder = (attribute: string) => {
      n += 1;
      names[`#a${n}`] = attribute;
      return `#a${n}`;
    };
    for (const [shardId, mark] of Object.entries(watermarks)) {
      const from = expected.watermarks[shardId];
      if (from === mark) continue;
      const attribute = placeholder(`${WATERMARK_PREFIX}${shardId}`);
      values[`:to${n}`] = mark;
      sets.push(`${attribute} = :to${n}`);
      if (from === undefined) conditions.push(`attribute_not_exists(${attribute})`);
      else {
        values[`:from${n}`] = from;
        conditions.push(`${attribute} = :from${n}`);
      }
    }
    for (const [counter, amount] of Object.entries(increments)) {
      if (amount === 0) continue;
      const attribute = placeholder(counter);
      values[`:n${n}`] = amount;
      adds.push(`${attribute} :n${n}`);
    }
    return conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [this.keyAttribute]: this.aggregates.itemKey(key) },
          UpdateExpression: `SET ${sets.join(", ")}${adds.length > 0 ? ` ADD ${adds.join(", ")}` : ""}`,
          ConditionExpression: conditions.length > 0 ? conditions.join(" AND ") : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}

const EMPTY: Aggregate = { counters: {}, watermarks: {} };

/** An aggregate's item read back: its numeric attributes are its counters, `wm:<shard>` its watermarks. */
export function aggregateOf(item: Record<string, unknown>, names: readonly string[]): Aggregate {
  const counters: Record<string, number> = {};
  const watermarks: Record<string, string> = {};
  for (const [attribute, value] of Object.entries(item)) {
    if (names.includes(attribute)) continue;
    if (attribute.startsWith(WATERMARK_PREFIX)) watermarks[attribute.slice(WATERMARK_PREFIX.length)] = String(value);
    else if (typeof value === "number") counters[attribute] = value;
  }
  return { counters, watermarks };
}
