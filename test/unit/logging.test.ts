import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, expect, test, vi } from "vitest";
import { kinesisEvent } from "../helpers/events.js";

// The conversions handler as deployed, its AWS calls answered by aws-sdk-client-mock: what it
// writes to the log is what is under test here.
const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const secrets = mockClient(SecretsManagerClient);
let handler: typeof import("../../functions/conversions.js").handler;

beforeAll(async () => {
  Object.assign(process.env, {
    CAMPAIGN_TABLE: "campaign",
    PROMO_QUEUE_URL: "https://sqs.example/promo.fifo",
    REJECTED_QUEUE_URL: "https://sqs.example/rejected",
    POWERTOOLS_LOG_LEVEL: "DEBUG",
    POWERTOOLS_METRICS_DISABLED: "true",
    AWS_REGION: "us-east-1",
    COUPON_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:coupons-AbCdEf",
  });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: "a-test-secret-of-the-logging-test" });
  ({ handler } = await import("../../functions/conversions.js"));
});
afterEach(() => {
  vi.restoreAllMocks();
});

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

test("a processed batch logs JSON lines that hold no e-mail address in the clear", async () => {
  dynamo
    .on(BatchGetCommand)
    .resolves({ Responses: { campaign: [{ pk: "MEMBER#john@example.com", email: "john@example.com" }] } });
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(BatchWriteCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);

  const response = await handler(
    kinesisEvent([
      "Hoodie, ClickConversion, John@Example.com, Instagram",
      "Hoodie, ClickConversion, jane.doe@example.org, Web, one field too many",
      "Hoodie, ClickConversion, jane doe@example.org, Web",
    ]),
  );
  vi.restoreAllMocks();

  expect(response.batchItemFailures).toEqual([]);
  const logged = lines
    .join("")
    .split("\n")
    .filter((l) => l.trim() !== "");
  expect(logged.length).toBeGreaterThanOrEqual(3); // two rejections and the batch summary
  for (const line of logged) {
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry.level).toBeTypeOf("string");
    expect(line).not.toMatch(EMAIL);
    expect(line).not.toContain("doe@example");
  }
  expect(logged.some((l) => l.includes("<email:"))).toBe(true);
  // The coupon itself, of course, carries the address: it is for the customer.
  const sent = sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
  expect(sent.some((e) => e.MessageBody?.includes("john@example.com"))).toBe(true);
});
