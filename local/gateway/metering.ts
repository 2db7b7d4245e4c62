import { type AwsRequest, param } from "../iam/request.js";

// What the gateway measures of the calls it forwards: the DynamoDB capacity the functions' calls
// consume (asked of DynamoDB on the way in, read off the answer), and which stream each Kinesis
// shard iterator it handed out reads (IAM needs the stream of a GetRecords call).

const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]);
const READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan"]);

export class Meter {
  /** DynamoDB capacity units the functions' calls consumed, as the table reports them. */
  capacity = { read: 0, write: 0 };
  private readonly iterators = new Map<string, string>(); // Kinesis shard iterator → stream ARN

  /** Whether a call's capacity is measured: a function's DynamoDB reads and writes. */
  metered(call: AwsRequest, byFunction: boolean): boolean {
    return byFunction && call.service === "dynamodb" && (WRITES.has(call.operation) || READS.has(call.operation));
  }

  /** The body to forward: a metered call asks DynamoDB what it cost (the caller never asked). */
  prepare(call: AwsRequest, body: Buffer, metered: boolean): Buffer {
    return metered ? Buffer.from(JSON.stringify({ ...call.json, ReturnConsumedCapacity: "TOTAL" })) : body;
  }

  /** Reads what a forwarded call's answer says: its consumed capacity, the iterators it handed out. */
  record(call: AwsRequest, answer: string, metered: boolean, streamArn: string): void {
    if (!metered && call.service !== "kinesis") return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(answer) as Record<string, unknown>;
    } catch {
      return; // not JSON: an error page; nothing consumed
    }
    if (metered) {
      const units = [parsed.ConsumedCapacity ?? []].flat() as { CapacityUnits?: number }[];
      const total = units.reduce((sum, u) => sum + (u.CapacityUnits ?? 0), 0);
      if (WRITES.has(call.operation)) this.capacity.write += total;
      else this.capacity.read += total;
    }
    if (call.service === "kinesis") {
      for (const key of ["ShardIterator", "NextShardIterator"]) {
        if (typeof parsed[key] === "string") this.iterators.set(parsed[key] as string, streamArn);
      }
      const used = param(call, "ShardIterator");
      if (used !== undefined) this.iterators.delete(used);
    }
  }

  streamOfIterator(iterator: string): string | undefined {
    return this.iterators.get(iterator);
  }
}
