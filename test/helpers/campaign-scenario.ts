import { expect, test } from "vitest";
import { decodeConversion, decodeLoyalty } from "#apps/campaign/decode.js";
import { decideConversions } from "#apps/campaign/logic.js";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import { tallyFigures } from "./campaign-oracle.js";
import { type ConversionsExpected, dataJson, dataLines } from "./data.js";
import { drainQueue } from "./emulators.js";
import { TEST_CODER } from "./events.js";
import { putLines } from "./stack.js";
import { deploymentCoder, type TargetFile } from "./target.js";

/**
 * The demo ad campaign end to end through the file's target: the loyalty list, then the
 * conversions, through the producer; coupons, enrolments and figures against the expected file.
 * One stack may serve this and the readings scenario: each has its own streams, tables and queues.
 */
export function campaignScenario(file: TargetFile): void {
  const { ledger } = file;

  test("coupons, enrolled members and campaign figures equal conversions.expected.json", async () => {
    const expected = dataJson<ConversionsExpected>("conversions.expected.json");
    await putLines(
      file.target.clients.kinesis,
      file.target.outputs.LoyaltyStreamName,
      "loyalty",
      dataLines("loyalty.txt"),
    );
    await file.target.settled();
    await putLines(
      file.target.clients.kinesis,
      file.target.outputs.ConversionsStreamName,
      "conversions",
      dataLines("conversions.txt"),
    );
    await file.target.settled();

    const sqs = file.target.clients.sqs;
    const coupons = (await drainQueue(sqs, file.target.outputs.PromoQueueUrl)).map(
      (m) => JSON.parse(m.Body ?? "") as Record<string, unknown>,
    );
    expect(coupons.map((c) => [c.campaign, c.email]).sort()).toEqual([...expected.promos].sort());
    // The codes are the deployment's: a keyed MAC under its own secret.
    const codeOf = await deploymentCoder(file.target);
    for (const c of coupons) {
      expect(c).toMatchObject({
        discountPercent: 10,
        couponCode: codeOf(String(c.campaign), String(c.email)),
        channel: expect.stringMatching(/^(Instagram|Facebook)$/),
        clickedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }

    const db = file.target.clients.documents;
    const store = new DynamoCampaignStore(db, file.target.outputs.CampaignTableName);
    const members = [...(await store.readMembers()).values()];
    expect(
      members
        .filter((m) => m.source === "purchase")
        .map((m) => m.email)
        .sort(),
    ).toEqual([...expected.enrolled].sort());

    const figures = await store.readFigures();
    expect(Object.fromEntries(figures)).toEqual(expected.stats);
    expect(await drainQueue(sqs, file.target.outputs.RejectedQueueUrl, 200)).toEqual([]);
    expect(await drainQueue(sqs, file.target.outputs.ConversionsFailureQueueUrl, 200)).toEqual([]);
    if (file.target.local) {
      // The books, as the local event-source runner saw the functions finish each record.
      const books = ledger.account(file.target.outputs.ConversionsStreamName, []);
      console.log("conversions accounted:", JSON.stringify(books));
      expect(books).toEqual({ processed: 208, rejected: 0, failureDestination: 0, total: 208 });
      expect(ledger.account(file.target.outputs.LoyaltyStreamName, []).total).toBe(dataLines("loyalty.txt").length);
    }
  });

  test("1,000 more conversions: figures and coupons equal the pure logic's, none doubled", async () => {
    // Five copies of the demo conversions under campaigns of their own, shuffled per copy: the
    // pure logic, run over them in order, is the oracle (membership depends only on one
    // e-mail's own records and the loyalty list, so shard interleaving cannot change it).
    const base = dataLines("conversions.txt");
    const lines = [1, 2, 3, 4, 5].flatMap((k) => base.slice(0, 200).map((line) => line.replace(/^(\w+),/, `$1-${k},`)));
    expect(lines).toHaveLength(1000);
    await putLines(file.target.clients.kinesis, file.target.outputs.ConversionsStreamName, "conversions", lines);
    await file.target.settled(300_000);

    // Members now: the loyalty list and those the demo's purchases enrolled in the test before.
    const enrolled = dataJson<ConversionsExpected>("conversions.expected.json").enrolled;
    const loyalty = new Map(
      [...dataLines("loyalty.txt").map((l) => decodeLoyalty(l).email), ...enrolled].map((e) => [e, { listed: true }]),
    );
    const decisions = decideConversions(
      lines.map((line, i) => ({ event: decodeConversion(line, 0), sequenceNumber: String(i + 1), shardId: "s" })),
      { members: loyalty, coupons: new Map(), claims: new Map(), watermarks: new Map() },
      TEST_CODER,
    );
    const oracle = tallyFigures(decisions);
    const figures = await new DynamoCampaignStore(
      file.target.clients.documents,
      file.target.outputs.CampaignTableName,
    ).readFigures();
    for (const [campaign, expected] of oracle) expect(figures.get(campaign), campaign).toEqual(expected);

    const coupons = (await drainQueue(file.target.clients.sqs, file.target.outputs.PromoQueueUrl)).map(
      (m) => JSON.parse(m.Body ?? "") as Record<string, string>,
    );
    const keys = coupons.map((c) => `${c.campaign}/${c.email}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(
      decisions.flatMap((d) => (d.coupon ? [`${d.coupon.campaign}/${d.coupon.email}`] : [])).sort(),
    );
    console.log(`1,000 conversions: ${coupons.length} coupons, 0 doubled; figures equal the pure logic's`);
  });
}
