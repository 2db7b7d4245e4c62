import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, expect, test } from "vitest";
import { decodeConversion, decodeLoyalty } from "#shared/campaign/decode.js";
import { couponCode, decideConversions, tallyFigures } from "#shared/campaign/logic.js";
import { DynamoCampaignStore } from "#shared/campaign/store.js";
import type { FaultPlan } from "../../local/fault-proxy.js";
import type { RunnerOptions } from "../../local/runner.js";
import { Ledger } from "./accounting.js";
import { type ConversionsExpected, dataJson, dataLines } from "./data.js";
import { drainQueue } from "./emulators.js";
import { putLines } from "./stack.js";
import { type Target, targetForTests } from "./target.js";

/**
 * The demo ad campaign end to end through the local stack: the loyalty list, then the
 * conversions, through the producer; coupons, enrolments and figures against the expected file.
 */
export function campaignScenario(
  runner: Partial<Omit<RunnerOptions, "kinesis" | "sqs">> = {},
  faults?: FaultPlan,
): void {
  let stack: Target;
  const ledger = new Ledger();
  beforeAll(async () => {
    stack = await targetForTests(
      { ...runner, onInvoke: ledger.onInvoke, onFailureDestination: ledger.onFailureDestination },
      faults,
    );
  });
  afterAll(async () => {
    for (const proxy of stack?.local?.proxies ?? [])
      console.log(`faults injected at ${proxy.url}:`, JSON.stringify(proxy.stats));
    await stack?.stop();
  });

  test("coupons, enrolled members and campaign figures equal conversions.expected.json", async () => {
    const expected = dataJson<ConversionsExpected>("conversions.expected.json");
    await putLines(stack.clients.kinesis, stack.outputs.LoyaltyStreamName, "loyalty", dataLines("loyalty.txt"));
    await stack.settled();
    await putLines(
      stack.clients.kinesis,
      stack.outputs.ConversionsStreamName,
      "conversions",
      dataLines("conversions.txt"),
    );
    await stack.settled();

    const sqs = stack.clients.sqs;
    const coupons = (await drainQueue(sqs, stack.outputs.PromoQueueUrl)).map(
      (m) => JSON.parse(m.Body ?? "") as Record<string, unknown>,
    );
    expect(coupons.map((c) => [c.campaign, c.email]).sort()).toEqual([...expected.promos].sort());
    for (const c of coupons) {
      expect(c).toMatchObject({
        discountPercent: 10,
        couponCode: couponCode(String(c.campaign), String(c.email)),
        channel: expect.stringMatching(/^(Instagram|Facebook)$/),
        clickedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }

    const db = stack.clients.documents;
    const members = await db.send(
      new ScanCommand({
        TableName: stack.outputs.CampaignTableName,
        FilterExpression: "begins_with(pk, :m) AND #s = :purchase",
        ExpressionAttributeNames: { "#s": "source" },
        ExpressionAttributeValues: { ":m": "MEMBER#", ":purchase": "purchase" },
      }),
    );
    expect((members.Items ?? []).map((m) => m.email).sort()).toEqual([...expected.enrolled].sort());

    const figures = await new DynamoCampaignStore(db, stack.outputs.CampaignTableName).readFigures();
    expect(Object.fromEntries(figures)).toEqual(expected.stats);
    expect(await drainQueue(sqs, stack.outputs.RejectedQueueUrl, 200)).toEqual([]);
    expect(await drainQueue(sqs, stack.outputs.ConversionsFailureQueueUrl, 200)).toEqual([]);
    if (stack.local) {
      // The books, as the local event-source runner saw the functions finish each record.
      const books = ledger.account("tripwire-conversions", []);
      console.log("conversions accounted:", JSON.stringify(books));
      expect(books).toEqual({ processed: 208, rejected: 0, failureDestination: 0, total: 208 });
      expect(ledger.account("tripwire-loyalty", []).total).toBe(dataLines("loyalty.txt").length);
    }
  });

  test("1,000 more conversions: figures and coupons equal the pure logic's, none doubled", async () => {
    // Five copies of the demo conversions under campaigns of their own, shuffled per copy: the
    // pure logic, run over them in order, is the oracle (membership depends only on one
    // e-mail's own records and the loyalty list, so shard interleaving cannot change it).
    const base = dataLines("conversions.txt");
    const lines = [1, 2, 3, 4, 5].flatMap((k) => base.slice(0, 200).map((line) => line.replace(/^(\w+),/, `$1-${k},`)));
    expect(lines).toHaveLength(1000);
    await putLines(stack.clients.kinesis, stack.outputs.ConversionsStreamName, "conversions", lines);
    await stack.settled(300_000);

    // Members now: the loyalty list and those the demo's purchases enrolled in the test before.
    const enrolled = dataJson<ConversionsExpected>("conversions.expected.json").enrolled;
    const loyalty = new Map(
      [...dataLines("loyalty.txt").map((l) => decodeLoyalty(l).email), ...enrolled].map((e) => [e, {}]),
    );
    const decisions = decideConversions(
      lines.map((line, i) => ({ event: decodeConversion(line, 0), sequenceNumber: String(i + 1), shardId: "s" })),
      { members: loyalty, coupons: new Map(), watermarks: new Map() },
    );
    const oracle = tallyFigures(
      decisions.map((decision) => ({
        decision,
        couponIssued: decision.coupon !== undefined,
        enrolled: decision.enrol,
      })),
    );
    const figures = await new DynamoCampaignStore(
      stack.clients.documents,
      stack.outputs.CampaignTableName,
    ).readFigures();
    for (const [campaign, expected] of oracle) expect(figures.get(campaign), campaign).toEqual(expected);

    const coupons = (await drainQueue(stack.clients.sqs, stack.outputs.PromoQueueUrl)).map(
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
