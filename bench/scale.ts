// What a record costs as the stream grows (SPEC §10), measured on the real adapters: the readings'
// keyed core (DynamoKeyedStore) and the conversions' facts mode (DynamoFactStore), driven against
// DynamoDB Local with the batches a stream of N shards makes — each shard one batch a second, each
// shard carrying the same keys and load, its keys chosen as Kinesis routes them (MD5 of the
// partition key over equal hash ranges). No Lambda and no Kinesis: the local stack cannot hold 256
// shards on two cores, and what is measured here is DynamoDB's side, which is what grows.
// Resharding is Kinesis's UNIFORM_SCALING: every shard split in two, or adjacent pairs merged, each
// child with a new id and its parents in the lineage the core reads.
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { decodeConversion, decodeLoyalty } from "../apps/campaign/decode.js";
import { processConversions, processLoyalty } from "../apps/campaign/service.js";
import { DynamoCampaignStore } from "../apps/campaign/store.js";
import { APPS, partitionKeyOf } from "../apps/index.js";
import { zoneApp } from "../apps/zones/app.js";
import { decodeReading } from "../apps/zones/reading.js";
import { DEFAULT_RULES } from "../apps/zones/rules.js";
import { zoneStore } from "../apps/zones/store.js";
import { processKeyed } from "../core/keyed.js";
import type { ShardLineage } from "../core/lineage.js";
import type { Decoded } from "../core/stream-batch.js";
import { createTable } from "../local/cloudformation/deploy.js";
import { mapLimit } from "../shared/concurrency.js";
import { dynamoItemSize } from "../shared/item-size.js";
import { seededRandom } from "../shared/random.js";
import { PRICES } from "./prices.js";
import { TARGETS } from "./targets.js";

export type ScaleApp = "readings" | "conversions";

/** One measured scenario: the rounds after its warm-up (and after its reshards, if any). */
export interface ScaleRow {
  readonly app: ScaleApp;
  /** Open shards while measured. */
  readonly shards: number;
  /** Rounds between the warm-up and the measured rounds. */
  readonly history: number;
  /** Reshards in that history (one before each of its rounds, or none). */
  readonly reshards: number;
  /** Whether the core read the lineage (false: as it was, every watermark kept). */
  readonly lineage: boolean;
  readonly records: number;
  readonly writeUnitsPerRecord: number;
  readonly readUnitsPerRecord: number;
  /** DynamoDB's part of a million records' cost, on-demand list prices. */
  readonly dynamoDollarsPerMillion: number;
  /** The largest item of the table at the end, as DynamoDB sizes items, and its key. */
  readonly largestItemBytes: number;
  readonly largestItem: string;
  /** The write units the most written item took in one round (one second of the stream). */
  readonly hottestItemWriteUnitsPerSecond: number;
  /** The most shards that wrote one item. */
  readonly maxWritersPerItem: number;
}

export interface ScalePlan {
  readonly app: ScaleApp;
  readonly shards: number;
  /** Rounds between the warm-up and the measured rounds (default 0). */
  readonly history?: number;
  /** A reshard before each of those rounds: every shard split, then pairs merged, alternately. */
  readonly reshard?: boolean;
  readonly lineage?: boolean;
  /** Measured rounds (default 3). */
  readonly rounds?: number;
}

const ZONES_PER_SHARD = 4;
const READINGS_PER_ZONE_PER_ROUND = 10;
/** A full window before measuring, so every zone item is as large as it gets. */
const WARM_READINGS_PER_ZONE = 500;
const CUSTOMERS_PER_SHARD = 100;
const CONVERSIONS_PER_SHARD_PER_ROUND = 100;
const HASH_SPACE = 1n << 128n;

interface Shard {
  readonly id: string;
  readonly from: bigint;
  readonly to: bigint;
}

/** A stream's shards over time: the open ones, and the lineage of all. */
class ShardMap {
  private next = 0;
  open: Shard[] = [];
  readonly lineage = new Map<string, string[]>();

  constructor(count: number) {
    const width = HASH_SPACE / BigInt(count);
    for (let i = 0; i < count; i++)
      this.open.push(this.add(BigInt(i) * width, i === count - 1 ? HASH_SPACE : BigInt(i + 1) * width, []));
  }

  private add(from: bigint, to: bigint, parents: string[]): Shard {
    const id = `shardId-${String(this.next++).padStart(12, "0")}`;
    this.lineage.set(id, parents);
    return { id, from, to };
  }

  split(): void {
    this.open = this.open.flatMap((s) => {
      const middle = (s.from + s.to) / 2n;
      return [this.add(s.from, middle, [s.id]), this.add(middle, s.to, [s.id])];
    });
  }

  merge(): void {
    const merged: Shard[] = [];
    for (let i = 0; i < this.open.length; i += 2) {
      const [a, b] = [this.open[i] as Shard, this.open[i + 1] as Shard];
      merged.push(this.add(a.from, b.to, [a.id, b.id]));
    }
    this.open = merged;
  }

  shardOf(partitionKey: string): string {
    const hash = BigInt(`0x${createHash("md5").update(partitionKey).digest("hex")}`);
    const shard = this.open.find((s) => hash >= s.from && hash < s.to);
    if (!shard) throw new Error(`no open shard holds ${partitionKey}`);
    return shard.id;
  }
}

/** Keys from `make(i)` until every shard of the map holds `perShard` of them, by Kinesis's routing. */
/** Keys from `make(i)` until every shard of the map holds `perShard` of them, by Kinesis's routing: per shard, in order. */
function keysPerShard(map: ShardMap, perShard: number, make: (i: number) => string): string[][] {
  const byShard = new Map(map.open.map((s) => [s.id, [] as string[]]));
  let full = 0;
  for (let i = 0; full < map.open.length; i++) {
    const key = make(i);
    const list = byShard.get(map.shardOf(key)) as string[];
    if (list.length >= perShard) continue;
    list.push(key);
    if (list.length === perShard) full++;
  }
  return [...byShard.values()];
}

/** What the adapters' calls cost, per item and in all: DynamoDB's own consumed capacity. */
class Meter {
  writeUnits = 0;
  readUnits = 0;
  readonly itemUnitsThisRound = new Map<string, number>();
  hottest = 0;
  readonly writers = new Map<string, Set<string>>();
  readonly shardOfCall = new AsyncLocalStorage<string>();

  attach(client: DynamoDBClient, keyAttribute: string): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as Record<string, unknown>;
        input.ReturnConsumedCapacity = "TOTAL";
        const result = await next(args);
        const consumed = [(result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity ?? []].flat() as {
          CapacityUnits?: number;
        }[];
        const units = consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
        const written = writtenKeys(input, keyAttribute);
        if (written === undefined) this.readUnits += units;
        else {
          this.writeUnits += units;
          const shard = this.shardOfCall.getStore() ?? "";
          for (const key of written) {
            const share = units / written.length;
            this.itemUnitsThisRound.set(key, (this.itemUnitsThisRound.get(key) ?? 0) + share);
            this.writers.set(key, (this.writers.get(key) ?? new Set()).add(shard));
          }
        }
        return result;
      },
      { step: "initialize", name: "scaleMeter", priority: "low" },
    );
  }

  endRound(): void {
    for (const units of this.itemUnitsThisRound.values()) this.hottest = Math.max(this.hottest, units);
    this.itemUnitsThisRound.clear();
  }

  reset(): void {
    this.writeUnits = 0;
    this.readUnits = 0;
    this.hottest = 0;
    this.itemUnitsThisRound.clear();
    this.writers.clear();
  }
}

/** The item keys a write call writes (undefined for a read). Inputs may be marshalled or not. */
function writtenKeys(input: Record<string, unknown>, keyAttribute: string): string[] | undefined {
  const text = (v: unknown) => String((v as { S?: string })?.S ?? v);
  if (input.Item) return [text((input.Item as Record<string, unknown>)[keyAttribute])];
  if (input.UpdateExpression !== undefined || input.ConditionExpression !== undefined) {
    if (input.Key) return [text((input.Key as Record<string, unknown>)[keyAttribute])];
  }
  if (input.RequestItems && !Object.values(input.RequestItems as object).some((r) => "Keys" in (r as object))) {
    return Object.values(input.RequestItems as Record<string, { PutRequest?: { Item: Record<string, unknown> } }[]>)
      .flat()
      .map((r) => text(r.PutRequest?.Item[keyAttribute]));
  }
  return undefined;
}

let tableSerial = 0;

/** Runs one scenario against the DynamoDB Local at `endpoint`, on tables of its own. */
export async function measureScale(endpoint: string, plan: ScalePlan): Promise<ScaleRow> {
  const db = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "scale", secretAccessKey: "scale" },
  });
  const manifest = APPS.find((a) => a.streams.some((s) => s.name === plan.app));
  if (!manifest) throw new Error(`no application reads ${plan.app}`);
  const keyAttribute = manifest.table.key;
  const table = `scale-${plan.app}-${process.pid}-${tableSerial++}`;
  await createTable(db, table, {
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: keyAttribute, AttributeType: "S" }],
    KeySchema: [{ AttributeName: keyAttribute, KeyType: "HASH" }],
  });
  const meter = new Meter();
  meter.attach(db, keyAttribute);
  const documents = DynamoDBDocumentClient.from(db, { marshallOptions: { removeUndefinedValues: true } });
  const map = new ShardMap(plan.shards);
  const lineage = plan.lineage ?? true;
  let sequence = 10n ** 20n;
  const ref = (shardId: string, partitionKey: string, arrivalMs: number) => ({
    streamName: plan.app,
    shardId,
    sequenceNumber: String(++sequence),
    partitionKey,
    arrivalMs,
  });
  let clock = Date.UTC(2026, 11, 1);

  // A round: every open shard's batch of the lines given, at once (16 at a time), each its own invocation.
  let processBatch: (batch: Decoded<never>[]) => Promise<{ failed: ReadonlySet<string> }>;
  let linesOfRound: (perKey: number) => string[];
  const stream = plan.app;
  if (plan.app === "readings") {
    const zones = keysPerShard(map, ZONES_PER_SHARD, (i) => `zone-${i}`).flat();
    const store = zoneStore(documents, table);
    const source = { of: async () => map.lineage as ShardLineage };
    const deps = {
      app: zoneApp(DEFAULT_RULES),
      store,
      sink: { send: async () => {} },
      ...(lineage ? { lineage: source } : {}),
    };
    let tick = 0;
    linesOfRound = (perZone) =>
      Array.from({ length: perZone }, () => {
        tick += 1;
        return zones.map((zone, z) => {
          const temperature = (68 + (z % 7) + Math.sin(tick / 9) * 3).toFixed(1);
          return `${zone}-dev${1 + (tick % 2)}, ${zone}, ${temperature}, ${new Date(clock + tick * 5000).toISOString()}`;
        });
      }).flat();
    processBatch = (batch) => processKeyed(batch as Decoded<ReturnType<typeof decodeReading>>[], deps);
  } else {
    const byShard = keysPerShard(map, CUSTOMERS_PER_SHARD, (i) => `customer${i}@example.com`);
    const store = new DynamoCampaignStore(documents, table);
    // A third of the customers on the loyalty list, put first, as the administrator: not measured.
    const loyalty = byShard.flatMap((customers) =>
      customers.filter((_, i) => i % 3 === 0).map((email) => `${email}, fb, insta, F`),
    );
    await processLoyalty(
      loyalty.map((line) => ({ ref: ref("loyalty", "", clock), event: decodeLoyalty(line) })),
      store,
    );
    const deps = { store, coupons: { send: async () => {} }, codeOf: (c: string, e: string) => `${c}/${e}` };
    // Every shard's customers do the same things in the same order (one seed each), so that a shard
    // count changes nothing but the number of shards.
    const draws = byShard.map(() => seededRandom(1));
    linesOfRound = (perShard) =>
      byShard.flatMap((customers, k) => {
        const next = draws[k] as () => number;
        return Array.from({ length: perShard }, () => {
          const who = customers[Math.floor(next() * customers.length)] as string;
          const campaign = next() < 0.5 ? "MarsupialHoodie" : "KoalaMug";
          const roll = next();
          if (roll < 0.45) return `${campaign}, ClickConversion, ${who}, ${next() < 0.5 ? "Instagram" : "Facebook"}`;
          if (roll < 0.8) return `${campaign}, BasketConversion, ${who}, [${1 + Math.floor(next() * 20)}]`;
          return `${campaign}, PurchaseConversion, ${who}, [3;7], ${(5 + next() * 80).toFixed(2)}`;
        });
      });
    processBatch = (batch) => processConversions(batch as Decoded<ReturnType<typeof decodeConversion>>[], deps);
  }
  const decode = (line: string, arrivalMs: number) =>
    plan.app === "readings" ? decodeReading(line, arrivalMs) : decodeConversion(line, arrivalMs);

  let records = 0;
  const round = async (lines: string[]) => {
    clock += 1000;
    const batches = new Map<string, Decoded<never>[]>();
    for (const line of lines) {
      const key = partitionKeyOf(stream, line);
      const shard = map.shardOf(key);
      const list = batches.get(shard) ?? [];
      list.push({ ref: ref(shard, key, clock), event: decode(line, clock) as never });
      batches.set(shard, list);
    }
    const results = await mapLimit([...batches], 16, ([shard, batch]) =>
      meter.shardOfCall.run(shard, () => processBatch(batch)),
    );
    for (const r of results) {
      if (r.status === "rejected") throw r.reason;
      if (r.value.failed.size > 0) throw new Error(`${r.value.failed.size} records failed`);
    }
    records += lines.length;
    meter.endRound();
  };

  // Warm-up (not measured): full windows, facts in place; then the reshards, a round after each.
  const [warm, perRound] =
    plan.app === "readings"
      ? [WARM_READINGS_PER_ZONE, READINGS_PER_ZONE_PER_ROUND]
      : [CONVERSIONS_PER_SHARD_PER_ROUND, CONVERSIONS_PER_SHARD_PER_ROUND];
  await round(linesOfRound(warm));
  for (let r = 0; r < (plan.history ?? 0); r++) {
    if (plan.reshard && r % 2 === 0) map.split();
    else if (plan.reshard) map.merge();
    await round(linesOfRound(perRound));
  }
  meter.reset();
  records = 0;
  for (let r = 0; r < (plan.rounds ?? 3); r++) await round(linesOfRound(perRound));

  const writeUnitsPerRecord = meter.writeUnits / records;
  const readUnitsPerRecord = meter.readUnits / records;
  let largestItemBytes = 0;
  let largestItem = "";
  let start: Record<string, never> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const bytes = dynamoItemSize(item);
      if (bytes > largestItemBytes) [largestItemBytes, largestItem] = [bytes, String(item[keyAttribute])];
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  db.destroy();
  return {
    app: plan.app,
    shards: map.open.length,
    history: plan.history ?? 0,
    reshards: plan.reshard ? (plan.history ?? 0) : 0,
    lineage,
    records,
    writeUnitsPerRecord,
    readUnitsPerRecord,
    dynamoDollarsPerMillion:
      1e6 * (writeUnitsPerRecord * PRICES.dynamoWriteRequestUnit + readUnitsPerRecord * PRICES.dynamoReadRequestUnit),
    largestItemBytes,
    largestItem,
    hottestItemWriteUnitsPerSecond: meter.hottest,
    maxWritersPerItem: Math.max(0, ...[...meter.writers.values()].map((w) => w.size)),
  };
}

/** Each target of SPEC §10 against the rows measured. */
export function scaleVerdicts(measured: readonly ScaleRow[]): { ok: boolean; text: string }[] {
  const t = TARGETS.scale;
  const lines: { ok: boolean; text: string }[] = [];
  for (const app of ["readings", "conversions"] as const) {
    const of = measured.filter((r) => r.app === app && r.lineage);
    for (const r of of) {
      // Against 2 shards with the same history and no reshards: only the shards or the reshards differ.
      const base = of.find((b) => b.shards === 2 && b.reshards === 0 && b.history === r.history);
      if (!base || r === base) continue;
      const spread = r.writeUnitsPerRecord / base.writeUnitsPerRecord - 1;
      const dollars = r.dynamoDollarsPerMillion / base.dynamoDollarsPerMillion - 1;
      const where = r.reshards > 0 ? `after ${r.reshards} reshards` : `at ${r.shards} shards`;
      lines.push({
        ok: Math.abs(spread) <= t.withinOf2Shards && Math.abs(dollars) <= t.withinOf2Shards,
        text: `${app} ${where}: write units/record ${spread >= 0 ? "+" : ""}${(spread * 100).toFixed(1)} %, DynamoDB $/M ${dollars >= 0 ? "+" : ""}${(dollars * 100).toFixed(1)} % of 2 shards' (within ±${t.withinOf2Shards * 100} %)`,
      });
      if (r.reshards > 0)
        lines.push({
          ok: r.largestItemBytes <= t.itemBytesAfterReshards,
          text: `${app} after ${r.reshards} reshards: largest item ${r.largestItemBytes} bytes (≤ ${t.itemBytesAfterReshards})`,
        });
      if (r.shards === 256)
        lines.push({
          ok: r.hottestItemWriteUnitsPerSecond < t.hottestItemWriteUnitsPerSecond,
          text: `${app} at 256 shards: hottest item ${r.hottestItemWriteUnitsPerSecond.toFixed(1)} write units a second (< ${t.hottestItemWriteUnitsPerSecond})`,
        });
    }
  }
  return lines;
}
