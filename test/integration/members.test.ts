import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, expect, test } from "vitest";
import { decodeLoyalty } from "#apps/campaign/decode.js";
import { processLoyalty } from "#apps/campaign/service.js";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import { type DirectClients, directClients } from "../../local/clients.js";
import { createTable } from "../../local/deploy.js";
import type { Emulators } from "../../local/emulators.js";
import { emulatorsForTests } from "../helpers/emulators.js";
import { ref } from "../helpers/events.js";
import { campaignTableProperties } from "../helpers/template.js";

let emulators: Emulators;
let clients: DirectClients;
let store: DynamoCampaignStore;
let table: string;
beforeAll(async () => {
  emulators = await emulatorsForTests();
  clients = directClients(emulators.endpoints, emulators.region);
  table = "members";
  await createTable(clients.dynamodb, table, campaignTableProperties());
  store = new DynamoCampaignStore(clients.documents, table);
});
afterAll(async () => {
  await emulators?.stop();
});

const member = async (email: string) =>
  (await clients.documents.send(new GetCommand({ TableName: table, Key: { pk: `MEMBER#${email}` } }))).Item;
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

test("a purchaser enrolled before their loyalty record arrives keeps their enrolment and gains its fields", async () => {
  expect(await store.enrol("wombatz@fakeemail.com", "MarsupialHoodie", "4242", Date.UTC(2026, 10, 20))).toBe(true);
  await processLoyalty(loyalty(["wombatz@fakeemail.com, wfb, , M"]), store);
  expect(await member("wombatz@fakeemail.com")).toMatchObject({
    source: "purchase",
    enrolledBy: "4242",
    enrolledCampaign: "MarsupialHoodie",
    fbUser: "wfb",
    gender: "M",
  });
  // The purchase replayed neither fails nor erases what the loyalty record added.
  expect(await store.enrol("wombatz@fakeemail.com", "MarsupialHoodie", "4242", Date.UTC(2026, 10, 20))).toBe(true);
  expect(await member("wombatz@fakeemail.com")).toMatchObject({ fbUser: "wfb", gender: "M" });
  // Another purchase does not enrol them again.
  expect(await store.enrol("wombatz@fakeemail.com", "KoalaMug", "4343", Date.UTC(2026, 10, 21))).toBe(false);
});

test("a producer's retry (an eventId claimed before) is a duplicate; the claiming record's redelivery is not", async () => {
  const first = await store.claimEventIds([
    { eventId: "evt-1", sequenceNumber: "100" },
    { eventId: "evt-2", sequenceNumber: "101" },
  ]);
  expect([...first]).toEqual([]);
  // A later batch: evt-1 again under another record (the retry), evt-1's own record redelivered
  // is not in the same call, since a batch keeps only the first record of an id.
  const later = await store.claimEventIds([
    { eventId: "evt-1", sequenceNumber: "205" },
    { eventId: "evt-3", sequenceNumber: "206" },
  ]);
  expect([...later]).toEqual(["205"]);
  const redelivered = await store.claimEventIds([
    { eventId: "evt-1", sequenceNumber: "100" },
    { eventId: "evt-2", sequenceNumber: "101" },
    { eventId: "evt-3", sequenceNumber: "206" },
  ]);
  expect([...redelivered]).toEqual([]);
  const claim = await clients.documents.send(new GetCommand({ TableName: table, Key: { pk: "EVENT#evt-1" } }));
  expect(claim.Item).toMatchObject({ claimedBy: "100" });
  expect(claim.Item?.expiresAt).toBeGreaterThan(Date.now() / 1000);
});
