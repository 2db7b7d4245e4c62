import { afterAll, beforeAll, expect, test } from "vitest";
import { couponSink, processConversions } from "#apps/campaign/service.js";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import { zoneAlerts, zoneApp } from "#apps/zones/app.js";
import { DEFAULT_RULES } from "#apps/zones/rules.js";
import { zoneStore } from "#apps/zones/store.js";
import { recordId } from "#core/facts.js";
import { processKeyed } from "../../core/keyed.js";
import { snsSink } from "../../core/sinks.js";
import type { LocalStack } from "../../local/stack.js";
import { drainQueue } from "../helpers/emulators.js";
import { decoded, ref, TEST_CODER } from "../helpers/events.js";
import { localStackForTests } from "../helpers/stack.js";

// Invocations at once on the same zone or the same e-mail: duplicate deliveries of one batch, or,
// for a zone, different shards (as after a reshard, should parent and child shards be read side by
// side). The conditional writes must let none lose another's work, and effects must happen once.

/** The counts of several invocations, added up. */
function totals<C extends string>(results: readonly { counts: Readonly<Partial<Record<C, number>>> }[]) {
  const sum: Partial<Record<C, number>> = {};
  for (const { counts } of results) {
    for (const [name, n] of Object.entries(counts) as [C, number][]) sum[name] = (sum[name] ?? 0) + n;
  }
  return sum;
}

let stack: LocalStack;
beforeAll(async () => {
  stack = await localStackForTests();
  await stack.runner?.stop(); // these tests call the services themselves
});
afterAll(async () => {
  await stack?.stop();
});

test("two invocations racing on one zone lose no reading", async () => {
  const store = zoneStore(stack.clients.documents, stack.outputs.ZoneTableName);
  const deps = {
    app: zoneApp(DEFAULT_RULES),
    store,
    sink: snsSink(stack.clients.sns, stack.outputs.AlertTopicArn, zoneAlerts.message),
  };
  const T0 = Date.UTC(2026, 10, 20, 9);
  const batch = (device: string, shardId: string) =>
    Array.from({ length: 40 }, (_, i) => ({
      ref: ref({ shardId }),
      event: { deviceId: device, zoneId: "race-zone", centi: 7000 + i, at: T0 + i * 1000 },
    }));
  const results = await Promise.all(
    Array.from({ length: 3 }, (_, k) => processKeyed(batch(`dev-${k}`, `shardId-00000000000${k}`), deps)),
  );
  const counts = totals(results);
  expect(results.every((r) => r.failed.size === 0)).toBe(true);
  const zone = (await store.load(["race-zone"])).get("race-zone");
  expect(zone?.state.at).toHaveLength(120);
  expect(Object.keys(zone?.state.lastByDevice ?? {}).sort()).toEqual(["dev-0", "dev-1", "dev-2"]);
  console.log(`zone race: ${counts.applied} readings applied, ${counts.conflicts} write conflicts retried`);
  expect(counts.applied).toBe(120);
});

test("duplicate invocations of one batch issue one coupon and count it once", async () => {
  const store = new DynamoCampaignStore(stack.clients.documents, stack.outputs.CampaignTableName);
  await store.upsertMember({ email: "racer@example.com" }, "1");
  const deps = { store, coupons: couponSink(stack.clients.sqs, stack.outputs.PromoQueueUrl), codeOf: TEST_CODER };
  const click = (channel: string) => ({
    kind: "click" as const,
    campaign: "RaceCampaign",
    email: "racer@example.com",
    channel,
    at: Date.UTC(2026, 10, 20, 9),
  });
  // Lambda delivers at least once: the same batch, in four invocations at the same time.
  const batch = decoded([click("A"), click("B")], "shardId-000000000000");
  const results = await Promise.all([1, 2, 3, 4].map(() => processConversions(batch, deps)));
  expect(results.every((r) => r.failed.size === 0)).toBe(true);
  const counts = totals(results);
  const coupons = await drainQueue(stack.clients.sqs, stack.outputs.PromoQueueUrl);
  expect(coupons.map((c) => JSON.parse(c.Body ?? "{}").channel)).toEqual(["A"]);
  expect(counts.couponIssued).toBe(1);
  const figures = (await store.readFigures()).get("RaceCampaign");
  expect(figures).toMatchObject({ clicks: 2, memberClicks: 2, couponsIssued: 1 });
  console.log(
    `duplicate invocations: ${coupons.length} coupon from 4 deliveries of 2 clicks, ${counts.conflicts} figure writes lost to a twin`,
  );
});

test("duplicate invocations of one purchase enrol its buyer once and count it once", async () => {
  const store = new DynamoCampaignStore(stack.clients.documents, stack.outputs.CampaignTableName);
  const deps = { store, coupons: couponSink(stack.clients.sqs, stack.outputs.PromoQueueUrl), codeOf: TEST_CODER };
  const purchase = {
    kind: "purchase" as const,
    campaign: "EnrolRace",
    email: "buyer@example.com",
    items: ["1"],
    totalCents: 1000,
    at: Date.UTC(2026, 10, 20, 9),
  };
  // The enrolment is a fact put in bulk, unconditionally: the invocations decide alike, and only
  // the one that writes the figures counts it. (Lambda never hands one e-mail's records to two
  // shards' invocations at once: the e-mail is the partition key, and children wait for parents.)
  const batch = decoded([purchase]);
  const counts = totals(await Promise.all([0, 1, 2, 3].map(() => processConversions(batch, deps))));
  expect(counts.enrolled).toBe(1);
  const figures = (await store.readFigures()).get("EnrolRace");
  expect(figures).toMatchObject({ purchases: 1, revenueCents: 1000, membersEnrolled: 1 });
  const buyer = (await store.readMembers()).get("buyer@example.com");
  expect(buyer).toMatchObject({
    source: "purchase",
    enrolledBy: recordId(batch[0]?.ref ?? { shardId: "", sequenceNumber: "" }),
  });
});
