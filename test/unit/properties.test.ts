import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Conversion } from "#apps/campaign/events.js";
import {
  type CampaignFigures,
  type CampaignSnapshot,
  couponKey,
  decideConversions,
  emptyFigures,
  type SequencedConversion,
} from "#apps/campaign/logic.js";
import { sequenceKey } from "#shared/kinesis-record.js";
import { tallyFigures } from "../helpers/campaign-oracle.js";
import { TEST_CODER } from "../helpers/events.js";

type MemberFacts = CampaignSnapshot["members"] extends ReadonlyMap<string, infer M> ? M : never;
type CouponFacts = CampaignSnapshot["coupons"] extends ReadonlyMap<string, infer C> ? C : never;

const T0 = Date.UTC(2026, 10, 20, 9);

describe("exactly once over at-least-once delivery", () => {
  test("campaign: redelivered batches, whole or in part, give the coupons, members and figures of one delivery", () => {
    const emails = ["a@x.co", "b@x.co", "c@x.co", "d@x.co"];
    const event = fc.record({
      kind: fc.constantFrom("click", "purchase", "basket"),
      email: fc.constantFrom(...emails),
      campaign: fc.constantFrom("A", "B"),
    });
    const redeliveries = fc.array(fc.record({ batch: fc.nat(), from: fc.nat(), after: fc.nat() }), { maxLength: 12 });
    // A delivery that crashes after writing every record's effects but before counting the figures
    // of record k and after: Lambda delivers the tail from k again.
    const crashes = fc.array(fc.record({ batch: fc.nat(), at: fc.nat() }), { maxLength: 6 });
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 10 }),
        redeliveries,
        crashes,
        fc.subarray(emails),
        (raw, size, again, crashAt, members) => {
          const records: SequencedConversion[] = raw.map((r, i) => {
            const base = { campaign: r.campaign, email: r.email, at: T0 + i };
            const e: Conversion =
              r.kind === "click"
                ? { ...base, kind: "click", channel: "Web" }
                : r.kind === "purchase"
                  ? { ...base, kind: "purchase", items: ["1"], totalCents: 100 }
                  : { ...base, kind: "basket", items: ["1"] };
            return { event: e, sequenceNumber: String(1000 + i), shardId: "s" };
          });
          const batches: SequencedConversion[][] = [];
          for (let i = 0; i < records.length; i += size) batches.push(records.slice(i, i + size));
          // A batch (or its tail, after a partial failure) comes again some batches later.
          const delivered: Delivery[][] = batches.map((b) => [{ records: b }]);
          for (const { batch, at } of crashAt) {
            const b = batch % batches.length;
            const original = batches[b] as SequencedConversion[];
            const k = at % original.length;
            delivered[b] = [
              { records: original, crashAt: k },
              { records: original.slice(k) },
              ...(delivered[b] ?? []).slice(1),
            ];
          }
          for (const { batch, from, after } of again) {
            const b = batch % batches.length;
            const original = batches[b] as SequencedConversion[];
            const at = b + (after % (batches.length - b));
            delivered[at]?.push({ records: original.slice(from % original.length) });
          }
          const once = runPipeline(
            batches.map((records) => ({ records })),
            members,
          );
          const redelivered = runPipeline(delivered.flat(), members);
          expect(redelivered).toEqual(once);
        },
      ),
      { numRuns: 300 },
    );
  });
});

interface Delivery {
  readonly records: readonly SequencedConversion[];
  /** The figures of records from here on are not written: the invocation crashed. */
  readonly crashAt?: number;
}

/** The conversions pipeline over a table kept in memory with the store's semantics: enrolments and
 * coupons put as decided. */
function runPipeline(deliveries: readonly Delivery[], loyalty: readonly string[]) {
  const members = new Map<string, MemberFacts>(loyalty.map((m) => [m, { listed: true }]));
  const coupons = new Map<string, CouponFacts>();
  const watermarks = new Map<string, Record<string, string>>();
  const sent = new Set<string>();
  const figures = new Map<string, CampaignFigures>();
  for (const { records: batch, crashAt } of deliveries) {
    const decisions = decideConversions(batch, { members, coupons, claims: new Map(), watermarks }, TEST_CODER);
    for (const { event, sequenceNumber, enrol, coupon } of decisions) {
      // Enrolments and coupons are put, unconditionally (BatchWriteItem): the decision alone keeps
      // them single. An enrolment is an item of its own beside the member's.
      if (enrol) {
        members.set(event.email, { listed: members.get(event.email)?.listed ?? false, enrolledBy: sequenceNumber });
      }
      if (coupon) {
        coupons.set(couponKey(event.campaign, event.email), { issuedBy: sequenceNumber });
        sent.add(coupon.code); // FIFO deduplication by coupon code
      }
    }
    const counted = decisions.slice(0, crashAt ?? decisions.length);
    for (const [campaign, delta] of tallyFigures(counted)) {
      const total = figures.get(campaign) ?? emptyFigures();
      for (const key of [
        "clicks",
        "memberClicks",
        "basketAdds",
        "purchases",
        "revenueCents",
        "couponsIssued",
        "membersEnrolled",
      ] as const) {
        total[key] += delta[key];
      }
      figures.set(campaign, total);
    }
    for (const d of decisions.slice(0, crashAt ?? decisions.length)) {
      if (d.replay) continue;
      watermarks.set(d.event.campaign, {
        ...watermarks.get(d.event.campaign),
        [d.shardId]: sequenceKey(d.sequenceNumber),
      });
    }
  }
  return { members: [...members.entries()].sort(), sent: [...sent].sort(), figures: [...figures.entries()].sort() };
}
