import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Resource, StackDeployment } from "./assembly.js";
import { TemplateError } from "./intrinsics.js";

// Creates a deployed template's resources in the emulators, as CloudFormation would create them
// in an account: streams, tables, queues (dead-letter targets first), topics and subscriptions, buckets,
// each with the template's settings. Functions and mappings are run, not created: see stack.ts.

export interface DeployClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly s3: S3Client;
}

/** How many shards an on-demand stream gets locally (Kinesis starts an on-demand stream with 4). */
export const ON_DEMAND_SHARDS = 4;

/** What was said about the deployment while creating it (printed by `npm start`). */
export type Notes = string[];

export async function createResources(stack: StackDeployment, clients: DeployClients, notes: Notes): Promise<void> {
  await Promise.all([
    ...stack.byType("AWS::Kinesis::Stream").map((r) => createStreamResource(clients.kinesis, r, notes)),
    ...[...stack.byType("AWS::DynamoDB::Table"), ...stack.byType("AWS::DynamoDB::GlobalTable")].map((r) =>
      createTableResource(clients.dynamodb, r, notes),
    ),
    createQueues(clients.sqs, stack),
    ...stack.byType("AWS::SNS::Topic").map((r) => createTopic(clients.sns, r)),
    ...stack.byType("AWS::S3::Bucket").map((r) => clients.s3.send(new CreateBucketCommand({ Bucket: r.name }))),
  ]);
  for (const sub of stack.byType("AWS::SNS::Subscription")) await subscribe(clients.sns, sub);
}

async function createStreamResource(kinesis: KinesisClient, r: Resource, notes: Notes): Promise<void> {
  const p = r.properties;
  const mode = (p.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode ?? "PROVISIONED";
  let shards = Number(p.ShardCount ?? 1);
  if (mode === "ON_DEMAND") {
    shards = ON_DEMAND_SHARDS;
    notes.push(`${r.logicalId}: an on-demand stream; created here with ${ON_DEMAND_SHARDS} shards`);
  }
  await createStream(kinesis, r.name, shards);
  const hours = Number(p.RetentionPeriodHours ?? 24);
  if (hours > 24) {
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: r.name, RetentionPeriodHours: hours }));
    await streamActive(kinesis, r.name);
  }
}

/** Creates a stream and waits until it is ACTIVE. */
export async function createStream(kinesis: KinesisClient, name: string, shardCount: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await streamActive(kinesis, name);
}

/** Waits until a stream is ACTIVE (after creation, a retention change or a reshard). */
export async function streamActive(kinesis: KinesisClient, name: string): Promise<void> {
  await until(`stream ${name} ACTIVE`, async () => {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return out.StreamDescriptionSummary?.StreamStatus === "ACTIVE";
  });
}

async function createTableResource(db: DynamoDBClient, r: Resource, notes: Notes): Promise<void> {
  await createTable(db, r.name, r.properties);
  const ttl = r.properties.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName) {
    try {
      await db.send(
        new UpdateTimeToLiveCommand({
          TableName: r.name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
    } catch {
      notes.push(`${r.logicalId}: time to live on "${ttl.AttributeName}" could not be enabled (items do not expire)`);
    }
  }
}

/** Creates a table from an AWS::DynamoDB::Table's key properties and waits until it is ACTIVE. */
export async function createTable(
  db: DynamoDBClient,
  name: string,
  properties: Record<string, unknown>,
): Promise<void> {
  const p = properties as Record<string, never>;
  const provisioned = p.BillingMode !== "PAY_PER_REQUEST";
  const throughput = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };
  const indexes = (p.GlobalSecondaryIndexes ?? []) as {
    IndexName: string;
    KeySchema: unknown;
    Projection: unknown;
    ProvisionedThroughput?: unknown;
  }[];
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: p.BillingMode ?? "PROVISIONED",
      AttributeDefinitions: p.AttributeDefinitions,
      KeySchema: p.KeySchema,
      ...(provisioned ? { ProvisionedThroughput: p.ProvisionedThroughput ?? throughput } : {}),
      ...(indexes.length > 0
        ? {
            GlobalSecondaryIndexes: indexes.map((i) => ({
              IndexName: i.IndexName,
              KeySchema: i.KeySchema,
              Projection: i.Projection,
              ...(provisioned ? { ProvisionedThroughput: i.ProvisionedThroughput ?? throughput } : {}),
            })) as never,
          }
        : {}),
      ...(p.LocalSecondaryIndexes ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes } : {}),
    }),
  );
  // CreateTable answers while the table is still CREATING.
  await until(`table ${name} ACTIVE`, async () => {
    const out = await db.send(new DescribeTableCommand({ TableName: name }));
    return out.Table?.TableStatus === "ACTIVE";
  });
}

const QUEUE_ATTRIBUTES = [
  "FifoQueue",
  "ContentBasedDeduplication",
  "VisibilityTimeout",
  "MessageRetentionPeriod",
  "DelaySeconds",
  "MaximumMessageSize",
  "ReceiveMessageWaitTimeSeconds",
] as const;

/** Queues that others name as their dead-letter target are created first. */
async function createQueues(sqs: SQSClient, stack: StackDeployment): Promise<void> {
  const queues = stack.byType("AWS::SQS::Queue");
  const redrives = (r: Resource) => r.properties.RedrivePolicy !== undefined;
  for (const group of [queues.filter((q) => !redrives(q)), queues.filter(redrives)]) {
    await Promise.all(
      group.map(async (r) => {
        const attributes: Record<string, string> = {};
        for (const key of QUEUE_ATTRIBUTES) {
          if (r.properties[key] !== undefined) attributes[key] = String(r.properties[key]);
        }
        if (r.properties.RedrivePolicy !== undefined)
          attributes.RedrivePolicy = JSON.stringify(r.properties.RedrivePolicy);
        const out = await sqs.send(new CreateQueueCommand({ QueueName: r.name, Attributes: attributes }));
        if (!out.QueueUrl) throw new Error(`CreateQueue ${r.name} returned no URL`);
      }),
    );
  }
}

async function createTopic(sns: SNSClient, r: Resource): Promise<void> {
  const attributes: Record<string, string> = {};
  for (const key of ["FifoTopic", "ContentBasedDeduplication"]) {
    if (r.properties[key] !== undefined) attributes[key] = String(r.properties[key]);
  }
  const out = await sns.send(new CreateTopicCommand({ Name: r.name, Attributes: attributes }));
  if (out.TopicArn !== r.arn) throw new Error(`topic ${r.name} was created as ${out.TopicArn}, expected ${r.arn}`);
}

async function subscribe(sns: SNSClient, r: Resource): Promise<void> {
  const p = r.properties;
  if (p.Protocol !== "sqs" && p.Protocol !== "lambda")
    throw new TemplateError(`${r.logicalId}: only sqs and lambda subscriptions are emulated, not ${p.Protocol}`);
  const attributes: Record<string, string> = {};
  if (p.RawMessageDelivery !== undefined) attributes.RawMessageDelivery = String(p.RawMessageDelivery);
  if (p.FilterPolicy !== undefined) attributes.FilterPolicy = JSON.stringify(p.FilterPolicy);
  if (p.FilterPolicyScope !== undefined) attributes.FilterPolicyScope = String(p.FilterPolicyScope);
  await sns.send(
    new SubscribeCommand({
      TopicArn: String(p.TopicArn),
      Protocol: String(p.Protocol),
      Endpoint: String(p.Endpoint),
      Attributes: attributes,
    }),
  );
}

/**
 * An AWS::SecretsManager::Secret's value: its SecretString, or one generated as Secrets Manager's
 * GenerateSecretString would (length, excluded characters, a JSON template with the generated key),
 * afresh each time a local stack starts — as each deployment gets its own.
 */
export function secretValue(r: Resource): string {
  const p = r.properties;
  if (typeof p.SecretString === "string") return p.SecretString;
  const g = (p.GenerateSecretString ?? {}) as Record<string, unknown>;
  const excluded = new Set(String(g.ExcludeCharacters ?? ""));
  let alphabet = "";
  if (g.ExcludeUppercase !== true) alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  if (g.ExcludeLowercase !== true) alphabet += "abcdefghijklmnopqrstuvwxyz";
  if (g.ExcludeNumbers !== true) alphabet += "0123456789";
  if (g.ExcludePunctuation !== true) alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  if (g.IncludeSpace === true) alphabet += " ";
  const chars = [...alphabet].filter((c) => !excluded.has(c));
  const length = Number(g.PasswordLength ?? 32);
  const generated = [...randomBytes(length)].map((b) => chars[b % chars.length]).join("");
  if (typeof g.SecretStringTemplate === "string" && typeof g.GenerateStringKey === "string") {
    return JSON.stringify({ ...JSON.parse(g.SecretStringTemplate), [g.GenerateStringKey]: generated });
  }
  return generated;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
