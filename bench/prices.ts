// On-demand list prices, us-east-1, in dollars: the one price table the benchmark's costs use.
// Read 2026-11-26 from the AWS pricing pages for DynamoDB, Lambda, SQS and SNS and restatements of
// them (DynamoDB's on-demand rates as halved in November 2024); Kinesis's provisioned shard-hour and
// PUT payload unit are its long-standing list prices. Free tiers are left out: this is the marginal cost.
export const PRICES = {
  date: "2026-11-26",
  region: "us-east-1",
  dynamoWriteRequestUnit: 0.625 / 1e6,
  dynamoReadRequestUnit: 0.125 / 1e6,
  kinesisShardHour: 0.015,
  /** Per 25 KB chunk of a record put. */
  kinesisPutPayloadUnit: 0.014 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** arm64, the architecture the functions deploy on. */
  lambdaGbSecond: 0.0000133334,
  /** FIFO queue requests, per 64 KB chunk. */
  sqsFifoRequest: 0.5 / 1e6,
  /** Publish requests, per 64 KB chunk (FIFO topics' payload charges are not modelled). */
  snsPublish: 0.5 / 1e6,
} as const;

/** What a run used, per record processed. */
export interface Usage {
  readonly records: number;
  readonly seconds: number;
  readonly shards: number;
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly invocations: number;
  readonly handlerSeconds: number;
  readonly memoryMb: number;
  readonly sqsRequests: number;
  readonly snsRequests: number;
}

/** Dollars per million records, by service and in all, at the prices above. */
export function dollarsPerMillion(
  u: Usage,
): Record<"dynamodb" | "kinesis" | "lambda" | "sqs" | "sns" | "total", number> {
  const perRecord = (n: number) => (n / u.records) * 1e6;
  // Shards for as long as a million records take at the measured rate.
  const shardHours = (u.shards * (1e6 / (u.records / u.seconds))) / 3600;
  const cost = {
    dynamodb:
      perRecord(u.writeUnits) * PRICES.dynamoWriteRequestUnit + perRecord(u.readUnits) * PRICES.dynamoReadRequestUnit,
    kinesis: 1e6 * PRICES.kinesisPutPayloadUnit + shardHours * PRICES.kinesisShardHour,
    lambda:
      perRecord(u.invocations) * PRICES.lambdaRequest +
      perRecord(u.handlerSeconds) * (u.memoryMb / 1024) * PRICES.lambdaGbSecond,
    sqs: perRecord(u.sqsRequests) * PRICES.sqsFifoRequest,
    sns: perRecord(u.snsRequests) * PRICES.snsPublish,
  };
  return { ...cost, total: Object.values(cost).reduce((a, b) => a + b, 0) };
}
