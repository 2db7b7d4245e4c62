import { describe, expect, test } from "vitest";
import { decodeConversion, decodeLoyalty } from "#apps/campaign/decode.js";
import type { Conversion } from "#apps/campaign/events.js";
import { type CampaignSnapshot, couponKey, decideConversions } from "#apps/campaign/logic.js";
import { sequenceKey } from "#shared/kinesis-record.js";
import { tallyFigures } from "../helpers/campaign-oracle.js";
import { type ConversionsExpected, dataJson, dataLines } from "../helpers/data.js";
import { TEST_CODER } from "../helpers/events.js";

const at = Date.UTC(2026, 10, 20, 9);
const click = (email: string, campaign = "Hoodie", channel = "Instagram"): Conversion => ({
  kind: "click",
  campaign,
  email,
  channel,
  at,
});
const purchase = (email: string, totalCents: number, campaign = "Hoodie"): Conversion => ({
  kind: "purchase",
  campaign,
  email,
  items: ["1"],
  totalCents,
  at,
});
const seq = (events: Conversion[], start = 100) =>
  events.map((event, i) => ({ event, sequenceNumber: String(start + i), shardId: "shardId-0" }));
const snapshot = (members: string[] = [], coupons: [string, string, string][] = []): CampaignSnapshot => ({
  members: new Map(members.map((m) => [m, { listed: true }])),
  coupons: new Map(coupons.map(([campaign, email, issuedBy]) => [couponKey(campaign, email), { issuedBy }])),
  claims: new Map(),
  watermarks: new Map(),
});

describe("campaign decisions", () => {
  test("a member's click earns one coupon with the campaign, channel and a code", () => {
    const [d] = decideConversions(seq([click("m@x.co")]), snapshot(["m@x.co"]), TEST_CODER);
    expect(d?.byMember).toBe(true);
    expect(d?.coupon).toEqual({
      campaign: "Hoodie",
      email: "m@x.co",
      channel: "Instagram",
      code: TEST_CODER("Hoodie", "m@x.co"),
      clickedAt: at,
      discountPercent: 10,
    });
  });

  test("a non-member's click sends nothing", () => {
    const [d] = decideConversions(seq([click("n@x.co")]), snapshot(["m@x.co"]), TEST_CODER);
    expect(d?.byMember).toBe(false);
    expect(d?.coupon).toBeUndefined();
  });

  test("repeated clicks, in the batch or after it, earn no second coupon", () => {
    const decisions = decideConversions(
      seq([click("m@x.co"), click("m@x.co", "Hoodie", "Facebook")]),
      snapshot(["m@x.co"]),
      TEST_CODER,
    );
    expect(decisions.filter((d) => d.coupon)).toHaveLength(1);
    const later = decideConversions(
      seq([click("m@x.co")], 500),
      snapshot(["m@x.co"], [["Hoodie", "m@x.co", "100"]]),
      TEST_CODER,
    );
    expect(later[0]?.coupon).toBeUndefined();
  });

  test("a coupon per campaign: the same member clicking another campaign earns another", () => {
    const decisions = decideConversions(
      seq([click("m@x.co", "A"), click("m@x.co", "B")]),
      snapshot(["m@x.co"]),
      TEST_CODER,
    );
    expect(decisions.map((d) => d.coupon?.campaign)).toEqual(["A", "B"]);
    expect(TEST_CODER("A", "m@x.co")).not.toBe(TEST_CODER("B", "m@x.co"));
  });

  test("a replay of the click that earned the coupon decides it again (to re-send it idempotently)", () => {
    const [d] = decideConversions(
      seq([click("m@x.co")], 100),
      snapshot(["m@x.co"], [["Hoodie", "m@x.co", "100"]]),
      TEST_CODER,
    );
    expect(d?.coupon?.code).toBe(TEST_CODER("Hoodie", "m@x.co"));
  });

  test("a purchase by a non-member enrols them; a later click in the batch is a member's", () => {
    const decisions = decideConversions(seq([purchase("p@x.co", 999), click("p@x.co")]), snapshot(), TEST_CODER);
    expect(decisions[0]?.enrol).toBe(true);
    expect(decisions[1]).toMatchObject({ byMember: true, coupon: { email: "p@x.co" } });
  });

  test("a record its campaign's figures already count is a replay: no effect, not counted", () => {
    const state = {
      ...snapshot(["m@x.co"]),
      watermarks: new Map([["Hoodie", { "shardId-0": sequenceKey("101") }]]),
    };
    const decisions = decideConversions(
      seq([click("m@x.co"), purchase("p@x.co", 5), click("m@x.co")], 100),
      state,
      TEST_CODER,
    );
    expect(decisions.map((d) => d.replay)).toEqual([true, true, false]);
    expect(decisions[2]?.coupon).toBeDefined();
    expect(tallyFigures(decisions).get("Hoodie")).toMatchObject({ clicks: 1, purchases: 0 });
  });

  test("a purchase that finds its own enrolment decides as it did, even once its buyer is on the loyalty list", () => {
    // Its enrolment was put, its figures not yet written; then a loyalty record listed the buyer.
    const state = { ...snapshot(), members: new Map([["p@x.co", { listed: true, enrolledBy: "100" }]]) };
    const decisions = decideConversions(seq([purchase("p@x.co", 5), click("p@x.co")], 100), state, TEST_CODER);
    expect(decisions[0]).toMatchObject({ enrol: true, byMember: false });
    expect(decisions[1]).toMatchObject({ byMember: true });
    // An earlier record of the same buyer, replayed after the purchase's enrolment was put, was a non-member's.
    const earlier = { ...snapshot(), members: new Map([["p@x.co", { listed: false, enrolledBy: "105" }]]) };
    expect(decideConversions(seq([click("p@x.co")], 100), earlier, TEST_CODER)[0]?.byMember).toBe(false);
  });

  test("after a reshard, an enrolment made in the parent shard counts for the child's records, whatever their numbers", () => {
    // A child shard numbers its records afresh: its first can be below the parent's last.
    const enrolledInParent = (by: string) => ({
      ...snapshot(),
      members: new Map([["p@x.co", { listed: false, enrolledBy: by }]]),
    });
    const child = seq([click("p@x.co")], 100).map((r) => ({ ...r, shardId: "shardId-000000000003" }));
    expect(decideConversions(child, enrolledInParent("shardId-000000000000:900"), TEST_CODER)[0]).toMatchObject({
      byMember: true,
      coupon: expect.any(Object),
    });
    // In its own shard, a fact made by a later record is not there yet for it (a redelivery).
    expect(decideConversions(child, enrolledInParent("shardId-000000000003:105"), TEST_CODER)[0]?.byMember).toBe(false);
    // Its own, made on an earlier attempt, is its own.
    const own = decideConversions(
      seq([purchase("p@x.co", 5)], 100).map((r) => ({ ...r, shardId: "shardId-000000000003" })),
      enrolledInParent("shardId-000000000003:100"),
      TEST_CODER,
    );
    expect(own[0]).toMatchObject({ enrol: true });
  });

  test("a purchase by a member enrols nobody", () => {
    expect(decideConversions(seq([purchase("m@x.co", 1)]), snapshot(["m@x.co"]), TEST_CODER)[0]?.enrol).toBe(false);
  });

  test("figures count clicks per channel, member clicks and revenue exactly to the cent", () => {
    const decisions = decideConversions(
      seq([
        click("m@x.co"),
        click("n@x.co", "Hoodie", "Facebook"),
        purchase("n@x.co", 1864),
        purchase("o@x.co", 945),
        purchase("q@x.co", 1),
      ]),
      snapshot(["m@x.co"]),
      TEST_CODER,
    );
    const figures = tallyFigures(decisions).get("Hoodie");
    expect(figures).toEqual({
      clicks: 2,
      clicksByChannel: { Instagram: 1, Facebook: 1 },
      memberClicks: 1,
      basketAdds: 0,
      purchases: 3,
      revenueCents: 2810,
      couponsIssued: 1,
      membersEnrolled: 3,
    });
  });

  test("the demo data gives the independently computed coupons, enrolments and figures", () => {
    const expected = dataJson<ConversionsExpected>("conversions.expected.json");
    const members = dataLines("loyalty.txt").map((line) => decodeLoyalty(line).email);
    const events = dataLines("conversions.txt").map((line) => decodeConversion(line, at));
    const decisions = decideConversions(seq(events), snapshot(members), TEST_CODER);
    const coupons = decisions.flatMap((d) => (d.coupon ? [[d.coupon.campaign, d.coupon.email]] : []));
    expect(coupons.sort()).toEqual([...expected.promos].sort());
    expect(
      decisions
        .filter((d) => d.enrol)
        .map((d) => d.event.email)
        .sort(),
    ).toEqual([...expected.enrolled].sort());
    expect(Object.fromEntries(tallyFigures(decisions))).toEqual(expected.stats);
  });
});
