import { readFileSync } from "node:fs";
import * as path from "node:path";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand } from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import type { LocalStack } from "../../local/stack.js";
import { drainQueue } from "../helpers/emulators.js";
import { editedAssembly, localStackForTests, putLines, resourcesOf } from "../helpers/stack.js";

// Our template edited as careless changes would edit it, each of which passes `cdk synth` and fails
// in an account: the resource, key and identity policies the account evaluates, evaluated here.
// One stack for all of them (the edits touch different resources); the unedited template's demo
// runs with every policy enforced in iam.test.ts.

let stack: LocalStack;
const SNS = "sns.amazonaws.com";

beforeAll(async () => {
  const app = editedAssembly((template) => {
    // The alert queue's policy without its grant to the topic (what a hand-written L1 subscription forgets).
    for (const [id, policy] of resourcesOf(template, "AWS::SQS::QueuePolicy")) {
      if (!id.startsWith("AlertQueuePolicy")) continue;
      const doc = policy.Properties.PolicyDocument as { Statement: { Principal?: { Service?: string } }[] };
      doc.Statement = doc.Statement.filter((s) => s.Principal?.Service !== SNS);
    }
    // The conversions role without kms:GenerateDataKey*: every send to an encrypted queue needs it.
    for (const [id, policy] of resourcesOf(template, "AWS::IAM::Policy")) {
      if (!id.startsWith("ConversionsRole")) continue;
      const doc = policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
      for (const s of doc.Statement) s.Action = [s.Action].flat().filter((a) => a !== "kms:GenerateDataKey*");
    }
  });
  stack = await localStackForTests({}, undefined, { app, ttlSweepMs: 300 });
}, 120_000);
afterAll(() => stack?.stop());

const sum = (namespace: string, name: string, dimension: { Name: string; Value: string }) =>
  stack.cloudwatch.store
    .query({ namespace, name, dimensions: [dimension] }, "Sum", 3_600_000, Date.now() - 3_600_000, Date.now() + 1)
    .reduce((n, p) => n + (p.value ?? 0), 0);

test("the alert queue's policy without the topic's grant: the topic publishes, the queue stays empty, the failure counted", async () => {
  const topicArn = stack.outputs.AlertTopicArn;
  const published = await stack.clients.sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: "zone 7 ALARM",
      MessageGroupId: "7",
      MessageDeduplicationId: "a",
    }),
  );
  expect(published.MessageId).toBeDefined();
  const topicName = topicArn.slice(topicArn.lastIndexOf(":") + 1);
  await vi.waitFor(
    () => expect(sum("AWS/SNS", "NumberOfNotificationsFailed", { Name: "TopicName", Value: topicName })).toBe(1),
    { timeout: 10_000, interval: 100 },
  );
  expect(await drainQueue(stack.clients.sqs, stack.outputs.AlertQueueUrl, 500)).toEqual([]);
  // The access report names SNS's refused delivery and the policy that refused it.
  const sns = stack.gateway.report().find((f) => f.functionName === SNS);
  expect(Object.keys(sns?.refused ?? {})).toEqual(["sqs:SendMessage"]);
});

test("the conversions role without kms:GenerateDataKey*: KMS.AccessDeniedException in its log, no coupon", async () => {
  const { kinesis } = stack.clients;
  await putLines(kinesis, stack.outputs.LoyaltyStreamName, "loyalty", ["kangak@fakeemail.com, kanga, kanga, F"]);
  await stack.runner?.drained();
  await putLines(kinesis, stack.outputs.ConversionsStreamName, "conversions", [
    "MarsupialHoodie, ClickConversion, kangak@fakeemail.com, Instagram",
  ]);
  // The failure destination is encrypted with the same key, so in an account its send is refused
  // too and the batch is retried: the log is read, not the runner's drain awaited.
  const fn = [...stack.hosts.values()].find((h) => h.spec.logicalId.startsWith("Conversions"));
  const log = path.join(stack.logDir, `${fn?.spec.functionName}.log`);
  const read = () => {
    try {
      return readFileSync(log, "utf8");
    } catch {
      return "";
    }
  };
  await vi.waitFor(
    () =>
      expect(read()).toMatch(
        /KMS\.AccessDeniedException.*is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:000000000000:key\//,
      ),
    { timeout: 30_000, interval: 200 },
  );
  expect(await drainQueue(stack.clients.sqs, stack.outputs.PromoQueueUrl, 500)).toEqual([]);
  const refused = stack.gateway.report().find((f) => f.functionName === fn?.spec.functionName)?.refused ?? {};
  expect(Object.keys(refused)).toContain("kms:GenerateDataKey");
});

test("a TLS-only queue called over plain HTTP is denied by its policy; over HTTPS the same call is allowed", async () => {
  const plain = new SQSClient({ ...stack.gateway.clientConfig(), endpoint: stack.gateway.plainUrl });
  const send = (sqs: SQSClient) =>
    sqs.send(new SendMessageCommand({ QueueUrl: stack.outputs.RejectedQueueUrl, MessageBody: "over the wire" }));
  await expect(send(plain)).rejects.toMatchObject({ name: "AccessDenied" });
  plain.destroy();
  await expect(send(stack.clients.sqs)).resolves.toMatchObject({ MessageId: expect.any(String) });
});

test("an expired item is deleted by the TTL sweep within seconds and counted; one not yet expired is kept", async () => {
  const TableName = stack.outputs.CampaignTableName;
  const now = Math.floor(Date.now() / 1000);
  const put = (pk: string, expiresAt: number) =>
    stack.clients.dynamodb.send(
      new PutItemCommand({ TableName, Item: { pk: { S: pk }, expiresAt: { N: String(expiresAt) } } }),
    );
  await put("ttl#expired", now - 10);
  await put("ttl#later", now + 3600);
  const get = (pk: string) => stack.clients.dynamodb.send(new GetItemCommand({ TableName, Key: { pk: { S: pk } } }));
  // Deleted, then counted (each deletion as it is made; CloudWatch's count comes after the deletion
  // in an account too).
  await vi.waitFor(
    async () => {
      expect((await get("ttl#expired")).Item).toBeUndefined();
      expect(sum("AWS/DynamoDB", "TimeToLiveDeletedItemCount", { Name: "TableName", Value: TableName })).toBe(1);
    },
    { timeout: 10_000, interval: 100 },
  );
  expect((await get("ttl#later")).Item).toBeDefined();
});
