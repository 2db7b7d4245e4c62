import { afterAll, beforeAll, expect, test } from "vitest";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import type { Alert } from "#apps/zones/zone.js";
import type { RejectedRecord } from "../../core/rejects.js";
import { Ledger } from "../../local/accounting.js";
import type { LocalStack } from "../../local/stack.js";
import { badInputCorpus, type CorpusStream } from "../fixtures/bad-input.js";
import { type ConversionsExpected, dataJson, dataLines, type ExpectedAlert } from "../helpers/data.js";
import { drainQueue } from "../helpers/emulators.js";
import { localStackForTests, putLines } from "../helpers/stack.js";

let stack: LocalStack;
const ledger = new Ledger();
beforeAll(async () => {
  stack = await localStackForTests({ onInvoke: ledger.onInvoke, onFailureDestination: ledger.onFailureDestination });
});
afterAll(async () => {
  await stack?.stop();
});

/** The good lines with the corpus records spread among them. */
function mixed(good: string[], bad: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let next = 0;
  good.forEach((line, i) => {
    // Bad record j goes in after good line ⌊(j + 1) · n / (m + 1)⌋: spread evenly through the file.
    while (next < bad.length && Math.floor(((next + 1) * good.length) / (bad.length + 1)) === i) {
      out.push(bad[next] as Buffer);
      next++;
    }
    out.push(Buffer.from(line));
  });
  return [...out, ...bad.slice(next)];
}

test("the bad-input corpus mixed with the demo data: every record accounted for, each rejection with its reason", async () => {
  const corpus = badInputCorpus();
  expect(corpus.length).toBeGreaterThanOrEqual(200);
  const of = (stream: CorpusStream) => corpus.filter((r) => r.stream === stream);
  const streams = {
    loyalty: stack.outputs.LoyaltyStreamName,
    conversions: stack.outputs.ConversionsStreamName,
    readings: stack.outputs.ReadingsStreamName,
  };
  const good = { loyalty: "loyalty.txt", conversions: "conversions.txt", readings: "readings.csv" };
  const { kinesis, sqs } = stack.clients;

  await putLines(
    kinesis,
    streams.loyalty,
    "loyalty",
    mixed(
      dataLines(good.loyalty),
      of("loyalty").map((r) => r.data),
    ),
  );
  await stack.runner?.drained();
  await Promise.all(
    (["conversions", "readings"] as const).map((s) =>
      putLines(
        kinesis,
        streams[s],
        s,
        mixed(
          dataLines(good[s]),
          of(s).map((r) => r.data),
        ),
      ),
    ),
  );
  await stack.runner?.drained(300_000);

  const rejected = (await drainQueue(sqs, stack.outputs.RejectedQueueUrl)).map(
    (m) => JSON.parse(m.Body ?? "") as RejectedRecord,
  );
  const books: Record<string, unknown> = {};
  for (const stream of ["loyalty", "conversions", "readings"] as const) {
    const expectedRejections = of(stream).filter((r) => r.expect === "rejected");
    const got = rejected.filter((r) => r.stream === streams[stream]);

    expect(got).toHaveLength(expectedRejections.length);
    for (const record of expectedRejections) {
      const base64 = record.data.toString("base64");
      const message = got.find((r) => base64.startsWith(r.data) && r.dataBytes === record.data.length);
      expect(message, `${stream}: ${record.note}`).toBeDefined();
      expect(message?.reason, `${stream}: ${record.note}`).toMatch(record.reason as RegExp);
      expect(message).toMatchObject({
        shardId: expect.stringMatching(/^shardId-/),
        sequenceNumber: expect.stringMatching(/^\d+$/),
      });
      expect(message?.partitionKey).toBeTruthy();
    }
    const account = ledger.account(
      streams[stream],
      got.map((r) => r.sequenceNumber),
    );
    books[stream] = account;
    const put = dataLines(good[stream]).length + of(stream).length;
    expect(account).toEqual({
      processed: put - expectedRejections.length,
      rejected: expectedRejections.length,
      failureDestination: 0,
      total: put,
    });
  }
  console.log("bad-input corpus accounted:", JSON.stringify(books));
  const giant = rejected.find((r) => r.dataBytes > 1000 * 1000);
  expect(giant).toMatchObject({ dataTruncated: true });

  // The good records around the bad ones were processed exactly as without them.
  const expected = dataJson<ConversionsExpected>("conversions.expected.json");
  const figures = await new DynamoCampaignStore(stack.clients.documents, stack.outputs.CampaignTableName).readFigures();
  expect(Object.fromEntries([...figures].filter(([c]) => c !== "CorpusCampaign"))).toEqual(expected.stats);
  expect(figures.get("CorpusCampaign")).toMatchObject({
    purchases: 3,
    revenueCents: 50 + 1250,
    basketAdds: 1,
    clicks: 2,
  });
  const alerts = (await drainQueue(sqs, stack.outputs.AlertQueueUrl)).map((m) => JSON.parse(m.Body ?? "") as Alert);
  const wanted = dataJson<{ alerts: ExpectedAlert[] }>("readings.expected.json").alerts;
  expect(alerts.filter((a) => a.zone !== "corpus-zone")).toHaveLength(wanted.length);
  expect(await drainQueue(sqs, stack.outputs.ConversionsFailureQueueUrl, 200)).toEqual([]);
});
