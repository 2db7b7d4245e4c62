import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";

// DynamoDB's time to live, which DynamoDB Local does not run: every few seconds each table whose TTL
// is enabled is scanned for items whose attribute, a number of epoch seconds, has passed, and each
// is deleted on the condition that it still holds that value (an item written again since is kept),
// as DynamoDB's background process deletes them: not the caller's write, no capacity of the table's.
// DynamoDB itself deletes within days of expiry, not seconds; code that must not see an expired
// item filters on the attribute, and tests here can see both. Items expired more than five years
// before are left, as DynamoDB leaves them (a value in milliseconds by mistake never expires).
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html

const FIVE_YEARS_S = 5 * 365 * 86_400;

export interface TtlSweepOptions {
  /** The emulator's client (the database the stack's tables are in), not the gateway's. */
  readonly db: DynamoDBClient;
  /** The tables that may have TTL enabled (the template's). */
  readonly tables: () => readonly string[];
  readonly everyMs: number;
  /** Each item deleted, as it is (a pass cut short by an error still counts what it deleted). */
  readonly onDeleted: (table: string, count: number) => void;
}

export class TtlSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: TtlSweepOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.sweep()
        // A table gone or the emulator stopping: the next sweep tries again.
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.options.everyMs);
        });
    };
    this.timer = setTimeout(tick, this.options.everyMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over every table with TTL enabled; how many items it deleted. */
  async sweep(nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
    let total = 0;
    for (const table of this.options.tables()) {
      if (this.stopped) break;
      const ttl = await this.options.db.send(new DescribeTimeToLiveCommand({ TableName: table }));
      const attribute = ttl.TimeToLiveDescription?.AttributeName;
      if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== "ENABLED" || attribute === undefined) continue;
      total += await this.sweepTable(table, attribute, nowSeconds);
    }
    return total;
  }

  private async sweepTable(table: string, attribute: string, now: number): Promise<number> {
    const { db } = this.options;
    const described = await db.send(new DescribeTableCommand({ TableName: table }));
    const keyNames = (described.Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
    let deleted = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: "#ttl BETWEEN :oldest AND :now",
          ExpressionAttributeNames: { "#ttl": attribute },
          ExpressionAttributeValues: { ":oldest": { N: String(now - FIVE_YEARS_S) }, ":now": { N: String(now) } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      start = page.LastEvaluatedKey;
      for (const item of page.Items ?? []) {
        const key = Object.fromEntries(keyNames.map((name) => [name, item[name] as AttributeValue]));
        try {
          await db.send(
            new DeleteItemCommand({
              TableName: table,
              Key: key,
              ConditionExpression: "#ttl = :seen",
              ExpressionAttributeNames: { "#ttl": attribute },
              ExpressionAttributeValues: { ":seen": item[attribute] as { N: string } },
            }),
          );
          deleted++;
          this.options.onDeleted(table, 1);
        } catch (err) {
          if (!(err instanceof ConditionalCheckFailedException)) throw err;
        }
      }
    } while (start && !this.stopped);
    return deleted;
  }
}
