import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { StackOutputs } from "../infra/outputs.js";

// The stack's resources, created in the emulators with the same shapes as infra/stack.ts: the
// same table keys, FIFO promo queue with its FIFO dead-letter queue, FIFO alert topic with a raw
// FIFO queue subscription, a failure destination per function. A test holds the two side by side.

export interface LocalClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

export const TABLE_KEYS = { campaign: "pk", zone: "zone" } as const;

export async function createResources(
  clients: LocalClients,
  prefix: string,
  shardCount: number,
): Promise<StackOutputs> {
  const name = (suffix: string) => `${prefix}-${suffix}`;
  const streams = {
    loyalty: name("loyalty"),
    conversions: name("conversions"),
    readings: name("readings"),
  };
  const tables = { campaign: name("campaign"), zone: name("zone") };

  const [, , rejected, promo, alertQueue, loyaltyFail, conversionsFail, readingsFail, topicArn] = await Promise.all([
    Promise.all(Object.values(streams).map((stream) => createStream(clients.kinesis, stream, shardCount))),
    Promise.all([
      createTable(clients.dynamodb, tables.campaign, TABLE_KEYS.campaign, "expiresAt"),
      createTable(clients.dynamodb, tables.zone, TABLE_KEYS.zone),
    ]),
    createQueue(clients.sqs, name("rejected")),
    (async () => {
      const dlq = await createQueue(clients.sqs, name("promo-dlq.fifo"), { FifoQueue: "true" });
      const dlqArn = await queueArn(clients.sqs, dlq);
      return createQueue(clients.sqs, name("promo.fifo"), {
        FifoQueue: "true",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
      });
    })(),
    createQueue(clients.sqs, name("alerts.fifo"), { FifoQueue: "true" }),
    createQueue(clients.sqs, name("loyalty-failures")),
    createQueue(clients.sqs, name("conversions-failures")),
    createQueue(clients.sqs, name("readings-failures")),
    clients.sns
      .send(new CreateTopicCommand({ Name: name("alerts.fifo"), Attributes: { FifoTopic: "true" } }))
      .then((out) => out.TopicArn ?? ""),
  ]);
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: await queueArn(clients.sqs, alertQueue),
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
  return {
    LoyaltyStreamName: streams.loyalty,
    ConversionsStreamName: streams.conversions,
    ReadingsStreamName: streams.readings,
    PromoQueueUrl: promo,
    AlertTopicArn: topicArn,
    AlertQueueUrl: alertQueue,
    RejectedQueueUrl: rejected,
    CampaignTableName: tables.campaign,
    ZoneTableName: tables.zone,
    LoyaltyFailureQueueUrl: loyaltyFail,
    ConversionsFailureQueueUrl: conversionsFail,
    ReadingsFailureQueueUrl: readingsFail,
  };
}

export async function createStream(kinesis: KinesisClient, name: string, shardCount: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await until(`stream ${name} ACTIVE`, async () => {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return out.StreamDescriptionSummary?.StreamStatus === "ACTIVE";
  });
}

async function createTable(db: DynamoDBClient, name: string, key: string, ttlAttribute?: string): Promise<void> {
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: key, AttributeType: "S" }],
      KeySchema: [{ AttributeName: key, KeyType: "HASH" }],
    }),
  );
  // CreateTable answers while the table is still CREATING.
  await until(`table ${name} ACTIVE`, async () => {
    const out = await db.send(new DescribeTableCommand({ TableName: name }));
    return out.Table?.TableStatus === "ACTIVE";
  });
  if (ttlAttribute) {
    await db
      .send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
        }),
      )
      .catch(() => undefined); // dynalite does not implement TTL; items simply stay
  }
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!out.QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  return out.QueueUrl;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no ARN`);
  return arn;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
