import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Conversion } from "#shared/campaign/events.js";
import {
  type CampaignFigures,
  type CouponFacts,
  couponKey,
  decideConversions,
  emptyFigures,
  type MemberFacts,
  type Outcome,
  type SequencedConversion,
  tallyFigures,
} from "#shared/campaign/logic.js";
import { sequenceKey } from "#shared/kinesis-record.js";
import { DEFAULT_RULES } from "#shared/zones/rules.js";
import { applyReadings, emptyZone, type ZoneReading } from "#shared/zones/zone.js";

const T0 = Date.UTC(2026, 10, 20, 9);

/** A sequence with redeliveries: each duplicate of record i lands somewhere after record i. */
function withDuplicates<T>(items: readonly T[], picks: readonly { of: number; after: number }[]): T[] {
  const out = items.map((item) => [item]);
  for (const { of, after } of picks) {
    if (items.length === 0) break;
    const i = of % items.length;
    const at = i + (after % (items.length - i));
    out[at]?.push(items[i] as T);
  }
  return out.flat();
}

const picks = fc.array(fc.record({ of: fc.nat(), after: fc.nat() }), { maxLength: 40 });

describe("exactly once over at-least-once delivery", () => {
  test("zones: any interleaving of duplicates gives the window, alarms and alerts of the plain sequence", () => {
    const readings = fc.array(
      fc.record({
        device: fc.constantFrom("d1", "d2", "d3"),
        step: fc.integer({ min: 0, max: 90_000 }),
        f: fc.integer({ min: 6000, max: 9600 }),
      }),
      { minLength: 1, maxLength: 120 },
    );
    fc.assert(
      fc.property(readings, picks, fc.integer({ min: 1, max: 4 }), (raw, dupes, batches) => {
        let t = T0;
        const records: ZoneReading[] = raw.map((r, i) => {
          t += r.step;
          return {
            reading: { deviceId: r.device, zoneId: "z", centi: r.f, at: t },
            shardId: "s",
            sequenceNumber: String(1000 + i),
          };
        });
        const plain = applyReadings(emptyZone(), records, DEFAULT_RULES);
        // The duplicated sequence, cut into batches as a poller would deliver it.
        const delivered = withDuplicates(records, dupes);
        let state = emptyZone();
        const alerts = [];
        const size = Math.ceil(delivered.length / batches);
        for (let i = 0; i < delivered.length; i += size) {
          const step = applyReadings(state, delivered.slice(i, i + size), DEFAULT_RULES);
          state = step.state;
          alerts.push(...step.alerts);
        }
        expect(alerts).toEqual(plain.alerts);
        expect(state.at).toEqual(plain.state.at);
        expect(state.centi).toEqual(plain.state.centi);
        expect(state.alarms.slice().sort()).toEqual(plain.state.alarms.slice().sort());
      }),
      { numRuns: 200 },
    );
  });

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

/** The conversions pipeline over a table kept in memory with the store's semantics: conditional
 * enrolments, coupons put as decided. */
function runPipeline(deliveries: readonly Delivery[], loyalty: readonly string[]) {
  const members = new Map<string, MemberFacts>(loyalty.map((m) => [m, {}]));
  const coupons = new Map<string, CouponFacts>();
  const watermarks = new Map<string, Map<string, string>>();
  const sent = new Set<string>();
  const figures = new Map<string, CampaignFigures>();
  for (const { records: batch, crashAt } of deliveries) {
    const decisions = decideConversions(batch, { members, coupons, watermarks });
    const outcomes: Outcome[] = decisions.map((decision) => {
      const { event, sequenceNumber } = decision;
      let enrolled = false;
      let couponIssued = false;
      const member = members.get(event.email);
      if (decision.enrol && (member === undefined || member.enrolledBy === sequenceNumber)) {
        members.set(event.email, { enrolledBy: sequenceNumber });
        enrolled = true;
      }
      if (decision.coupon) {
        // Coupons are put, unconditionally (BatchWriteItem): the decision alone keeps them single.
        coupons.set(couponKey(event.campaign, event.email), { issuedBy: sequenceNumber });
        sent.add(decision.coupon.code); // FIFO deduplication by coupon code
        couponIssued = true;
      }
      return { decision, enrolled, couponIssued };
    });
    const counted = outcomes.slice(0, crashAt ?? outcomes.length);
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
      const marks = watermarks.get(d.event.campaign) ?? new Map<string, string>();
      marks.set(d.shardId, sequenceKey(d.sequenceNumber));
      watermarks.set(d.event.campaign, marks);
    }
  }
  return { members: [...members.entries()].sort(), sent: [...sent].sort(), figures: [...figures.entries()].sort() };
}
