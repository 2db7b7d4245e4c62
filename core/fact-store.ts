import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { batchGet, batchPut, conditionalWrite } from "../shared/dynamo.js";
import type { AggregatePart, Fact, FactStore, FactsWritten, PartKey } from "./facts.js";

// The facts mode's DynamoDB adapter: one table, one string partition key; a fact is an item of its
// own (how it is laid out is the application's codec), an aggregate's part an item of counters and
// its shard's watermark. One strongly consistent BatchGetItem reads a batch's facts and parts;
// facts are put with BatchWriteItem (25 to a call); a part is one UpdateItem that ADDs.

/** How an application's facts are stored: the item a fact is, and the facts an item holds. */
export interface FactCodec<V> {
  /** The item for a fact made by the record `by` (its key attribute included). */
  item(key: string, value: V, by: string): Record<string, unknown>;
  /** The facts an item holds, by key: usually one; an item of an older layout may hold another key's. */
  facts(item: Record<string, unknown>): [key: string, fact: Fact<V>][];
}

export interface AggregateLayout {
  /** The item key of an aggregate's part written by `shard` (e.g. `FIGURES-PART#<shard>#<campaign>`). */
  partKey(key: string, shard: string): string;
  /** The item key of an aggregate written whole by an earlier version (e.g. `FIGURES#<campaign>`): read, never written. */
  wholeKey(key: string): string;
  /** The attribute that names the aggregate in its items (e.g. "campaign"). */
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

  async load(factKeys: readonly string[], parts: readonly PartKey[]) {
    const partKey = (p: PartKey) => this.aggregates.partKey(p.aggregate, p.shard);
    const byItemKey = await this.read([...factKeys, ...parts.map(partKey)]);
    const facts = new Map<string, Fact<V>>();
    for (const key of factKeys) {
      const item = byItemKey.get(key);
      if (item) for (const [factKey, fact] of this.codec.facts(item)) facts.set(factKey, fact);
    }
    // A part without an item yet counts from where an earlier version's whole aggregate got to, if
    // there is one: read only then, once per part's life.
    const unborn = parts.filter((p) => !byItemKey.has(partKey(p)));
    const wholes = await this.read([...new Set(unborn.map((p) => this.aggregates.wholeKey(p.aggregate)))]);
    const aggregates = new Map<string, Map<string, AggregatePart>>();
    for (const p of parts) {
      const item = byItemKey.get(partKey(p));
      const from = item ?? wholes.get(this.aggregates.wholeKey(p.aggregate));
      const watermark = from?.[`${WATERMARK_PREFIX}${p.shard}`];
      const byShard = aggregates.get(p.aggregate) ?? new Map<string, AggregatePart>();
      byShard.set(p.shard, {
        exists: item !== undefined,
        ...(watermark === undefined ? {} : { watermark: String(watermark) }),
      });
      aggregates.set(p.aggregate, byShard);
    }
    return { facts, aggregates };
  }

  private async read(keys: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    // Each key once: BatchGetItem refuses a request naming one twice.
    const items = await batchGet(
      this.db,
      this.table,
      [...new Set(keys)].map((key) => ({ [this.keyAttribute]: key })),
    );
    return new Map(items.map((item) => [String(item[this.keyAttribute]), item]));
  }

  write(facts: readonly { key: string; value: V; by: string }[]): Promise<FactsWritten> {
    return batchPut(
      this.db,
      this.table,
      facts.map((f) => this.codec.item(f.key, f.value, f.by)),
    );
  }

  /**
   * ADDs the increments and moves the part's watermark under a condition on it as read (absent for
   * a part not yet written), so that two invocations of one batch do not both count.
   */
  add(
    part: PartKey,
    expected: AggregatePart,
    watermark: string,
    increments: Readonly<Record<string, number>>,
  ): Promise<boolean> {
    const names: Record<string, string> = {
      "#name": this.aggregates.nameAttribute,
      "#wm": `${WATERMARK_PREFIX}${part.shard}`,
    };
    const values: Record<string, unknown> = { ":name": part.aggregate, ":to": watermark };
    const adds: string[] = [];
    for (const [counter, amount] of Object.entries(increments)) {
      if (amount === 0) continue;
      const n = adds.length;
      names[`#c${n}`] = counter;
      values[`:c${n}`] = amount;
      adds.push(`#c${n} :c${n}`);
    }
    if (expected.exists) values[":from"] = expected.watermark;
    return conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [this.keyAttribute]: this.aggregates.partKey(part.aggregate, part.shard) },
          UpdateExpression: `SET #name = :name, #wm = :to${adds.length > 0 ? ` ADD ${adds.join(", ")}` : ""}`,
          ConditionExpression: expected.exists ? "#wm = :from" : "attribute_not_exists(#wm)",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}

/** The counters of an aggregate's item, whole or part: its numeric attributes other than those named. */
export function countersOf(item: Record<string, unknown>, names: readonly string[]): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const [attribute, value] of Object.entries(item)) {
    if (names.includes(attribute) || attribute.startsWith(WATERMARK_PREFIX)) continue;
    if (typeof value === "number") counters[attribute] = value;
  }
  return counters;
}
