import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, expect, test } from "vitest";
import { decodeLoyalty } from "#apps/campaign/decode.js";
import type { Conversion } from "#apps/campaign/events.js";
import { couponSink, processConversions, processLoyalty } from "#apps/campaign/service.js";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import { recordId } from "#core/facts.js";
import { sequenceKey } from "#shared/kinesis-record.js";
import { createTable } from "../../local/cloudformation/deploy.js";
import { emulatorsForFile } from "../helpers/emulators.js";
import { nextSequence, ref, TEST_CODER } from "../helpers/events.js";
import { campaignTableProperties } from "../helpers/template.js";

const file = emulatorsForFile();
const table = "members";
let store: DynamoCampaignStore;
beforeAll(async () => {
  await createTable(file.clients.dynamodb, table, campaignTableProperties());
  store = new DynamoCampaignStore(file.clients.documents, table);
});

const member = async (email: string) =>
  (await file.clients.documents.send(new GetCommand({ TableName: table, Key: { pk: `MEMBER#${email}` } }))).Item;
const loyalty = (lines: string[]) => lines.map((line) => ({ ref: ref(), event: decodeLoyalty(line) }));

test("a later loyalty record merges: a blank field never erases a known value", async () => {
  await processLoyalty(loyalty(["kangak@fakeemail.com, kangafb, kangainsta, F"]), store);
  await processLoyalty(loyalty(["  KANGAK@fakeemail.com , , , "]), store);
  await processLoyalty(
    loyalty(["kangak@fakeemail.com, , newinsta, ", '{"email":"kangak@fakeemail.com","gender":null}']),
    store,
  );
  expect(await member("kangak@fakeemail.com")).toMatchObject({
    email: "kangak@fakeemail.com",
    fbUser: "kangafb",
    instaUser: "newinsta",
    gender: "F",
    source: "loyalty",
  });
});

const purchase = (eventId?: string): Conversion => ({
  kind: "purchase",
  campaign: "MarsupialHoodie",
  email: "wombatz@fakeemail.com",
  items: ["1"],
  totalCents: 1000,
  at: Date.UTC(2026, 10, 20),
  ...(eventId === undefined ? {} : { eventId }),
});
// Purchases earn no coupon: nothing is sent to the queue.
const deps = () => ({ store, coupons: couponSink(file.clients.sqs, "no-coupons-here"), codeOf: TEST_CODER });

test("a purchaser enrolled before their loyalty record arrives keeps their enrolment and gains its fields", async () => {
  const first = { ref: ref(), event: purchase() };
  expect((await processConversions([first], deps())).failed.size).toBe(0);
  await processLoyalty(loyalty(["wombatz@fakeemail.com, wfb, , M"]), store);
  const enrolled = {
    email: "wombatz@fakeemail.com",
    source: "purchase",
    enrolledBy: recordId(first.ref),
    enrolledCampaign: "MarsupialHoodie",
    fbUser: "wfb",
    gender: "M",
  };
  expect((await store.readMembers()).get("wombatz@fakeemail.com")).toEqual({
    ...enrolled,
    enrolledAt: "2026-11-20T00:00:00.000Z",
  });
  // The purchase replayed neither fails nor erases what the loyalty record added; another
  // purchase does not enrol them again.
  await processConversions([first, { ref: ref(), event: purchase() }], deps());
  expect((await store.readMembers()).get("wombatz@fakeemail.com")).toMatchObject(enrolled);
  expect((await store.readFigures()).get("MarsupialHoodie")).toMatchObject({ purchases: 2, membersEnrolled: 1 });
});

test("a producer's retry (an eventId claimed before) is a duplicate; the claiming record's redelivery is not", async () => {
  const first = [
    { ref: ref(), event: purchase("evt-1") },
    { ref: ref(), event: purchase("evt-2") },
  ];
  expect((await processConversions(first, deps())).counts).toMatchObject({ duplicates: 0, processed: 2 });
  // A later batch: evt-1 again under another record (the retry), twice; a new id.
  const later = await processConversions(
    [
      { ref: ref(), event: purchase("evt-1") },
      { ref: ref(), event: purchase("evt-3") },
      { ref: ref(), event: purchase("evt-1") },
    ],
    deps(),
  );
  expect(later.counts).toMatchObject({ duplicates: 2, processed: 3 });
  // The first batch redelivered: its records find their own claims, and are replays, not retries.
  expect((await processConversions(first, deps())).counts).toMatchObject({ duplicates: 0, replayed: 2 });
  const claim = await file.clients.documents.send(new GetCommand({ TableName: table, Key: { pk: "EVENT#evt-1" } }));
  expect(claim.Item).toMatchObject({ claimedBy: recordId(first[0]?.ref ?? ref()) });
  expect(claim.Item?.expiresAt).toBeGreaterThan(Date.now() / 1000);
});

test("items written before the upgrade keep their meaning: no second coupon, no second enrolment", async () => {
  // As the previous version wrote them (the same layout, written by its own code path): a listed
  // member's coupon for a campaign, and a member enrolled when the enrolment lived in the member item.
  const before = nextSequence(); // a record of the stream before these
  const put = (Item: Record<string, unknown>) =>
    file.clients.documents.send(new PutCommand({ TableName: table, Item }));
  await put({ pk: "MEMBER#olduser@example.com", email: "olduser@example.com", source: "loyalty", memberSince: before });
  await put({
    pk: "COUPON#Upgrade#olduser@example.com",
    campaign: "Upgrade",
    email: "olduser@example.com",
    code: TEST_CODER("Upgrade", "olduser@example.com"),
    channel: "Instagram",
    discountPercent: 10,
    clickedAt: "2026-11-01T00:00:00.000Z",
    issuedBy: before,
  });
  await put({ pk: "MEMBER#enrolled@example.com", email: "enrolled@example.com", enrolledBy: before });
  // The campaign's figures as one item every shard wrote, counting up to `before` on this shard.
  const shard = ref().shardId;
  await put({ pk: "FIGURES#Upgrade", campaign: "Upgrade", clicks: 3, [`wm:${shard}`]: sequenceKey(before) });
  const sent: unknown[] = [];
  const capture = { send: async (coupons: readonly unknown[]) => void sent.push(...coupons) };
  const at = Date.UTC(2026, 11, 3);
  const outcome = await processConversions(
    [
      {
        ref: ref(),
        event: { kind: "click", campaign: "Upgrade", email: "olduser@example.com", channel: "Facebook", at },
      },
      {
        ref: ref(),
        event: { kind: "click", campaign: "Upgrade", email: "enrolled@example.com", channel: "Facebook", at },
      },
      {
        ref: ref(),
        event: {
          kind: "purchase",
          campaign: "Upgrade",
          email: "enrolled@example.com",
          items: ["1"],
          totalCents: 500,
          at,
        },
      },
    ],
    { store, coupons: capture, codeOf: TEST_CODER },
  );
  expect(outcome.failed.size).toBe(0);
  // The old member's coupon stands: no second one. The one enrolled in the old layout is a member:
  // their click earns their first coupon, their purchase enrols nobody.
  expect(sent).toEqual([expect.objectContaining({ email: "enrolled@example.com", campaign: "Upgrade" })]);
  // What the old item counted is summed in; the record it counted last, delivered again, is a replay.
  const again = await processConversions(
    [
      {
        ref: ref({ sequenceNumber: before }),
        event: { kind: "click", campaign: "Upgrade", email: "x@y.z", channel: "Facebook", at },
      },
    ],
    { store, coupons: capture, codeOf: TEST_CODER },
  );
  expect(again.counts).toMatchObject({ replayed: 1 });
  expect((await store.readFigures()).get("Upgrade")).toMatchObject({
    clicks: 5,
    memberClicks: 2,
    couponsIssued: 1,
    purchases: 1,
    membersEnrolled: 0,
  });
});
