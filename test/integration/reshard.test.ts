import { UpdateShardCountCommand } from "@aws-sdk/client-kinesis";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, expect, test } from "vitest";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import type { Alert } from "#apps/zones/zone.js";
import { dynamoItemSize } from "#shared/item-size.js";
import { Ledger } from "../../local/accounting.js";
import { streamActive } from "../../local/cloudformation/deploy.js";
import type { LocalStack } from "../../local/stack.js";
import { type ConversionsExpected, dataJson, dataLines } from "../helpers/data.js";
import { drainQueue } from "../helpers/emulators.js";
import { demoAlerts } from "../helpers/readings-scenario.js";
import { localStackForTests, putLines } from "../helpers/stack.js";

// Streams reshard: by UpdateShardCount, or by themselves in on-demand mode. The event-source runner
// must find the child shards, read a child only after its parents are read to their end (so a
// zone's readings stay in order), and lose nothing; the functions must keep every effect exactly
// once, and an item must not grow with the shards it has seen (SPEC §10): a zone keeps its last
// shard's watermark only, and a campaign's figures are parts that each one shard writes.

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const SHARD_COUNTS = [4, 8, 4, 2];

test(`readings and conversions put while both streams reshard 2 → ${SHARD_COUNTS.join(" → ")}: every alert and coupon exactly once, nothing lost, no item above 1 KB`, async () => {
  const ledger = new Ledger();
  stack = await localStackForTests({ onInvoke: ledger.onInvoke, onFailureDestination: ledger.onFailureDestination });
  const { kinesis, sqs, documents } = stack.clients;
  const { outputs } = stack;
  await putLines(kinesis, outputs.LoyaltyStreamName, "loyalty", dataLines("loyalty.txt"));
  await stack.runner?.drained(60_000);

  const readings = dataLines("readings.csv");
  const conversions = dataLines("conversions.txt");
  const parts = SHARD_COUNTS.length + 1;
  const part = <T>(lines: T[], i: number) => {
    const size = Math.ceil(lines.length / parts);
    return lines.slice(i * size, (i + 1) * size);
  };
  const streams = [outputs.ReadingsStreamName, outputs.ConversionsStreamName];
  for (let i = 0; i < parts; i++) {
    await putLines(kinesis, outputs.ReadingsStreamName, "readings", part(readings, i));
    await putLines(kinesis, outputs.ConversionsStreamName, "conversions", part(conversions, i));
    const target = SHARD_COUNTS[i];
    if (target === undefined) continue;
    // While the runner is busy with what was just put, as a reshard under load would be.
    await Promise.all(
      streams.map(async (stream) => {
        await kinesis.send(
          new UpdateShardCountCommand({ StreamName: stream, TargetShardCount: target, ScalingType: "UNIFORM_SCALING" }),
        );
        await streamActive(kinesis, stream);
      }),
    );
  }
  await stack.runner?.drained(300_000);

  const { expected, asExpected, byZoneThenOrder } = demoAlerts();
  const alerts = (await drainQueue(sqs, outputs.AlertQueueUrl)).map((m) => JSON.parse(m.Body ?? "") as Alert);
  expect(byZoneThenOrder(alerts.map(asExpected))).toEqual(byZoneThenOrder(expected));
  const campaign = dataJson<ConversionsExpected>("conversions.expected.json");
  const coupons = (await drainQueue(sqs, outputs.PromoQueueUrl)).map(
    (m) => JSON.parse(m.Body ?? "") as Record<string, string>,
  );
  expect(coupons.map((c) => [c.campaign, c.email]).sort()).toEqual([...campaign.promos].sort());
  const figures = await new DynamoCampaignStore(documents, outputs.CampaignTableName).readFigures();
  expect(Object.fromEntries(figures)).toEqual(campaign.stats);
  for (const [stream, lines] of [
    [outputs.ReadingsStreamName, readings],
    [outputs.ConversionsStreamName, conversions],
  ] as const) {
    expect(await drainQueue(sqs, outputs.RejectedQueueUrl, 200)).toEqual([]);
    expect(ledger.account(stream, [])).toEqual({
      processed: lines.length,
      rejected: 0,
      failureDestination: 0,
      total: lines.length,
    });
  }

  // Sizes as DynamoDB counts them: a full zone (500 readings) and every figures part within one write unit.
  const scan = async (TableName: string) => (await documents.send(new ScanCommand({ TableName }))).Items ?? [];
  const zones = await scan(outputs.ZoneTableName);
  expect(zones).toHaveLength(5);
  for (const zone of zones) {
    expect(Object.keys(zone.applied as object), String(zone.zone)).toHaveLength(1);
    expect(dynamoItemSize(zone), String(zone.zone)).toBeLessThanOrEqual(1024);
  }
  const figureParts = (await scan(outputs.CampaignTableName)).filter((item) => String(item.pk).startsWith("FIGURES"));
  expect(figureParts.length).toBeGreaterThan(0);
  for (const item of figureParts) {
    expect(
      Object.keys(item).filter((name) => name.startsWith("wm:")),
      String(item.pk),
    ).toHaveLength(1);
    expect(dynamoItemSize(item), String(item.pk)).toBeLessThanOrEqual(1024);
  }
  console.log(
    `after 4 reshards: zone items ${zones.map((z) => dynamoItemSize(z)).join(", ")} bytes; ` +
      `${figureParts.length} figures parts, largest ${Math.max(...figureParts.map((p) => dynamoItemSize(p)))} bytes`,
  );
});
