import { afterAll, beforeAll, expect, test } from "vitest";
import { processConversions } from "#shared/campaign/service.js";
import { DynamoCampaignStore } from "#shared/campaign/store.js";
import { DEFAULT_RULES } from "#shared/zones/rules.js";
import { processReadings } from "#shared/zones/service.js";
import { DynamoZoneStore } from "#shared/zones/store.js";
import type { LocalStack } from "../../local/stack.js";
import { drainQueue } from "../helpers/emulators.js";
import { decoded, ref } from "../helpers/events.js";
import { localStackForTests } from "../helpers/stack.js";

// Two invocations at once on different records of the same zone or the same e-mail (as after a
// reshard, when parent and child shards are read side by side): the conditional writes must let
// neither lose the other's work, and must let only one of them issue the coupon.

let stack: LocalStack;
beforeAll(async () => {
  stack = await localStackForTests();
  await stack.runner?.stop(); // these tests call the services themselves
});
afterAll(async () => {
  await stack?.stop();
});

test("two invocations racing on one zone lose no reading", async () => {
  const store = new DynamoZoneStore(stack.clients.documents, stack.outputs.ZoneTableName);
  const deps = { store, sns: stack.clients.sns, topicArn: stack.outputs.AlertTopicArn, rules: DEFAULT_RULES };
  const T0 = Date.UTC(2026, 10, 20, 9);
  const batch = (device: string, shardId: string) =>
    Array.from({ length: 40 }, (_, i) => ({
      ref: ref({ shardId }),
      event: { deviceId: device, zoneId: "race-zone", centi: 7000 + i, at: T0 + i * 1000 },
    }));
  const counts = { applied: 0, replayed: 0, stale: 0, alarms: 0, oks: 0, conflicts: 0 };
  const results = await Promise.all(
    Array.from({ length: 3 }, (_, k) => processReadings(batch(`dev-${k}`, `shardId-00000000000${k}`), deps, counts)),
  );
  expect(results.every((r) => r.failed.size === 0)).toBe(true);
  const zone = (await store.load(["race-zone"])).get("race-zone");
  expect(zone?.state.at).toHaveLength(120);
  expect(Object.keys(zone?.state.lastByDevice ?? {}).sort()).toEqual(["dev-0", "dev-1", "dev-2"]);
  console.log(`zone race: ${counts.applied} readings applied, ${counts.conflicts} write conflicts retried`);
  expect(counts.applied).toBe(120);
});

test("two invocations racing on one e-mail issue one coupon", async () => {
  const store = new DynamoCampaignStore(stack.clients.documents, stack.outputs.CampaignTableName);
  await store.upsertMember({ email: "racer@example.com" }, "1");
  const deps = { store, sqs: stack.clients.sqs, promoQueueUrl: stack.outputs.PromoQueueUrl };
  const click = (channel: string) => ({
    kind: "click" as const,
    campaign: "RaceCampaign",
    email: "racer@example.com",
    channel,
    at: Date.UTC(2026, 10, 20, 9),
  });
  const counts = { processed: 0, duplicates: 0, replayed: 0, coupons: 0, enrolled: 0, conflicts: 0 };
  await Promise.all(
    ["A", "B", "C", "D"].map((channel, k) =>
      processConversions(decoded([click(channel), click(channel)], `shardId-00000000000${k}`), deps, counts),
    ),
  );
  const coupons = await drainQueue(stack.clients.sqs, stack.outputs.PromoQueueUrl);
  expect(coupons).toHaveLength(1);
  expect(counts.coupons).toBe(1);
  const figures = (await store.readFigures()).get("RaceCampaign");
  expect(figures).toMatchObject({ clicks: 8, memberClicks: 8, couponsIssued: 1 });
  console.log(
    `e-mail race: ${coupons.length} coupon from 8 racing clicks, ${counts.conflicts} write conflicts retried`,
  );
});
