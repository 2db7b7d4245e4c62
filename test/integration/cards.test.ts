import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { PutRecordCommand } from "@aws-sdk/client-kinesis";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, test } from "vitest";
import { dataJson, dataLines } from "../helpers/data.js";
import { drainQueue } from "../helpers/emulators.js";
import { editedAssembly, putLines, resourcesOf } from "../helpers/stack.js";
import { type Conditions, targetForFile } from "../helpers/target.js";

// Card transactions end to end, on the deployed stack run locally: the demo data through the
// producer, every FRAUD_SUSPECTED message received through the alert topic's SQS subscription —
// delivered once, every batch twice, and with duplicate invocations racing.

interface Expected {
  alerts: { index: number; card: string; amount: number; country: string; timestamp: string; reasons: string[] }[];
}

describe.each<[string, Conditions]>([
  ["delivered once", {}],
  ["every batch delivered twice", { delivery: { deliverTwice: true } }],
  ["with duplicate invocations racing", { delivery: { raceDuplicates: true } }],
  [
    "with ParallelizationFactor 4 (four batches of a shard at once)",
    {
      app: () =>
        editedAssembly((template) => {
          for (const [, m] of resourcesOf(template, "AWS::Lambda::EventSourceMapping")) {
            m.Properties.ParallelizationFactor = 4;
            m.Properties.BatchSize = 10;
          }
        }),
    },
  ],
])("card transactions, %s", (_, conditions) => {
  const file = targetForFile(conditions);

  test("the FRAUD_SUSPECTED messages equal cards.expected.json, with their reasons and SNS attributes", async () => {
    const expected = dataJson<Expected>("cards.expected.json");
    const lines = dataLines("cards.csv");
    const { outputs, clients } = file.target;
    await putLines(clients.kinesis, outputs.TransactionsStreamName, "transactions", lines);
    await file.target.settled();
    const messages = await drainQueue(clients.sqs, outputs.AlertQueueUrl);
    const alerts = messages.map((m) => ({ body: JSON.parse(m.Body ?? "") as Record<string, unknown>, m }));
    // A producer's retry is the same line again: the first of them is the transaction.
    const indexOf = new Map<string, number>();
    lines.forEach((line, i) => {
      const [card, , , time] = line.split(",").map((f) => f.trim());
      const key = `${card}|${new Date(time ?? "").toISOString()}`;
      if (!indexOf.has(key)) indexOf.set(key, i);
    });
    const got = alerts.map(({ body }) => ({
      index: indexOf.get(`${body.card}|${body.timestamp}`) ?? -1,
      card: body.card,
      amount: body.amount,
      country: body.country,
      timestamp: body.timestamp,
      reasons: (body.reasons as { rule: string }[]).map((r) => r.rule),
    }));
    // One FIFO group a card: each card's messages in order; cards interleave freely.
    const cards = [...new Set(expected.alerts.map((a) => a.card))];
    const byCard = <T extends { card: unknown }>(list: T[]) => cards.flatMap((c) => list.filter((a) => a.card === c));
    expect(byCard(got)).toEqual(byCard(expected.alerts));
    for (const { body, m } of alerts) {
      expect(body).toMatchObject({ status: "FRAUD_SUSPECTED", sequenceNumber: expect.stringMatching(/^\d{20,}$/) });
      for (const reason of body.reasons as Record<string, unknown>[])
        expect(Object.keys(reason).length).toBeGreaterThan(1);
      expect(m.MessageAttributes).toMatchObject({
        card: { StringValue: body.card },
        status: { StringValue: "FRAUD_SUSPECTED" },
        reasons: { StringValue: (body.reasons as { rule: string }[]).map((r) => r.rule).join(",") },
      });
    }
    expect(await drainQueue(clients.sqs, outputs.TransactionsFailureQueueUrl, 200)).toEqual([]);
    expect(await drainQueue(clients.sqs, outputs.RejectedQueueUrl, 200)).toEqual([]);
  });
});

describe("card numbers", () => {
  const file = targetForFile();
  // Issuers' published test numbers, written as people write them.
  const NUMBERS = ["4111111111111111", "5555 5555 5555 4444", "3782-822463-10005", "6011000990139424"];
  const digits = (n: string) => n.replace(/\D/g, "");

  test("a card number is rejected with the reason, and reaches no message, log file or item", async () => {
    const { outputs, clients } = file.target;
    const [visa = "", master = "", amex = "", discover = ""] = NUMBERS;
    const bad = [
      `${visa}, 12.00, US`,
      `${master}, 30.00, GB, 2026-11-20T10:00:00Z`,
      `{"cardId":"${amex}","amount":5,"country":"fr"}`,
      `{"cardId":${discover},"amount":5,"country":"fr"}`,
      `card-7001, ${visa}, US`,
      `card-7001, 10.00, US, ${master}`,
    ];
    const good = ["card-7001, 10.00, US, 2026-11-20T10:00:00Z", "card-7001, 11.00, DE, 2026-11-20T10:10:00Z"];
    await putLines(clients.kinesis, outputs.TransactionsStreamName, "transactions", [...good, ...bad]);
    // A producer of the user's own, keying by the number itself.
    await clients.kinesis.send(
      new PutRecordCommand({
        StreamName: outputs.TransactionsStreamName,
        PartitionKey: visa,
        Data: Buffer.from(`${visa}, 1.00, US`),
      }),
    );
    await file.target.settled();

    const rejected = (await drainQueue(clients.sqs, outputs.RejectedQueueUrl)).map((m) => m.Body ?? "");
    expect(rejected).toHaveLength(bad.length + 1);
    const reasons = rejected.map((b) => JSON.parse(b) as Record<string, unknown>);
    for (const r of reasons)
      expect(r).toMatchObject({ withheld: true, data: "", partitionKey: "", function: "transactions" });
    expect(reasons.filter((r) => /looks like a card number.*token/.test(String(r.reason)))).toHaveLength(5);
    const alerts = (await drainQueue(clients.sqs, outputs.AlertQueueUrl)).map(
      (m) => `${m.Body}${JSON.stringify(m.MessageAttributes)}`,
    );
    expect(alerts).toHaveLength(1); // card-7001 abroad within the hour

    const items = (await clients.documents.send(new ScanCommand({ TableName: outputs.CardTableName }))).Items ?? [];
    expect(items.map((i) => i.card)).toEqual(["card-7001"]);
    const local = file.target.local;
    const logs = local ? readdirSync(local.logDir).map((f) => readFileSync(path.join(local.logDir, f), "utf8")) : [];
    // Every place a number could have gone, read as text (items as JSON, binary as base64 and as bytes).
    const places = [
      ...rejected,
      ...alerts,
      ...items.map((i) =>
        JSON.stringify(i, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v)),
      ),
      ...logs,
    ].join("\n");
    for (const n of NUMBERS) {
      expect(places.replace(/[ -]/g, "")).not.toContain(digits(n));
      expect(places).not.toContain(n);
      expect(places).not.toContain(Buffer.from(n).toString("base64").slice(0, 16));
    }
  });
});
