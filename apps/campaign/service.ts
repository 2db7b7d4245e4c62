import type { SQSClient } from "@aws-sdk/client-sqs";
import { processKeyed } from "../../core/keyed.js";
import { SendError, type Sink, sqsSink } from "../../core/sinks.js";
import type { CountedOutcome, Decoded } from "../../core/stream-batch.js";
import { mapLimit } from "../../shared/concurrency.js";
import { emailHash } from "../../shared/email.js";
import type { CouponCoder } from "./coupon.js";
import type { Conversion, LoyaltyRecord } from "./events.js";
import {
  type ConversionDecision,
  type CouponIntent,
  decideConversions,
  type FiguresOutcome,
  figuresApp,
} from "./logic.js";
import type { CampaignFact, CampaignStore } from "./store.js";

export interface CampaignDeps {
  readonly store: CampaignStore;
  /** The promo queue (FIFO). */
  readonly coupons: Sink<CouponIntent>;
  /** The deployment's coupon codes (a keyed MAC: see coupon.ts). */
  readonly codeOf: CouponCoder;
}

/** What a conversions batch did. */
export type ConversionCount = "processed" | "duplicates" | "replayed" | FiguresOutcome | "conflicts";

export type ConversionOutcome = CountedOutcome<ConversionCount>;

/** Merges a batch's loyalty records per e-mail (in order) and upserts each member once. */
export async function processLoyalty(
  records: readonly Decoded<LoyaltyRecord>[],
  store: CampaignStore,
): Promise<CountedOutcome<"processed">> {
  const merged = new Map<string, { record: LoyaltyRecord; first: string }>();
  for (const { ref, event } of records) {
    const seen = merged.get(event.email);
    merged.set(
      event.email,
      seen ? { ...seen, record: { ...seen.record, ...event } } : { record: event, first: ref.sequenceNumber },
    );
  }
  const entries = [...merged.values()];
  const results = await mapLimit(entries, 16, ({ record, first }) => store.upsertMember(record, first));
  // A failed upsert hands back every record of its e-mail; the merge is idempotent on replay.
  const failedEmails = new Set(entries.filter((_, i) => results[i]?.status === "rejected").map((e) => e.record.email));
  const failed = new Set(
    records.filter(({ event }) => failedEmails.has(event.email)).map(({ ref }) => ref.sequenceNumber),
  );
  return {
    failed,
    errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])),
    counts: { processed: records.length - failed.size },
  };
}

/**
 * Processes a batch of conversions: everything its decisions need read in one load (claimed
 * producer event ids, members, enrolments, coupons, figures), producer retries (a repeated
 * eventId) dropped, decisions taken by the pure logic, their facts (claims, enrolments, coupons)
 * put in bulk, coupons sent, and each campaign's figures added up on the core, one conditional
 * write per campaign.
 */
export async function processConversions(
  records: readonly Decoded<Conversion>[],
  deps: CampaignDeps,
): Promise<ConversionOutcome> {
  const { store } = deps;
  // The first record of the batch with an eventId claims it; a later one in the batch is a retry.
  const firstWithId = new Map<string, string>();
  const duplicates = new Set<string>();
  for (const { ref, event } of records) {
    if (event.eventId === undefined) continue;
    if (firstWithId.has(event.eventId)) duplicates.add(ref.sequenceNumber);
    else firstWithId.set(event.eventId, ref.sequenceNumber);
  }
  const keys = {
    eventIds: [...firstWithId.keys()],
    emails: new Set<string>(),
    coupons: [] as [string, string][],
    campaigns: new Set<string>(),
  };
  for (const { ref, event } of records) {
    if (duplicates.has(ref.sequenceNumber)) continue;
    keys.campaigns.add(event.campaign);
    if (event.kind === "basket") continue;
    keys.emails.add(event.email);
    if (event.kind === "click") keys.coupons.push([event.campaign, event.email]);
  }
  const { snapshot, figures } = await store.load(keys);
  // An id claimed by another record is a producer's retry; a claim of its own, a redelivery.
  for (const [id, sequenceNumber] of firstWithId) {
    const owner = snapshot.claims.get(id);
    if (owner !== undefined && owner !== sequenceNumber) duplicates.add(sequenceNumber);
  }
  const fresh = records.filter(({ ref }) => !duplicates.has(ref.sequenceNumber));
  const decisions = decideConversions(
    fresh.map(({ ref, event }) => ({ event, sequenceNumber: ref.sequenceNumber, shardId: ref.shardId })),
    snapshot,
    deps.codeOf,
  );

  // Everything from the first record not finished on is handed back to Lambda, which delivers it again.
  const errors: unknown[] = [];
  let done = await recordFacts(fresh, decisions, snapshot.claims, store, errors);
  done = Math.min(done, await sendCoupons(deps.coupons, decisions.slice(0, done), errors));

  // Figures last: once they count a record, its redelivery is a replay. Only this invocation's
  // writes count coupons and enrolments: a duplicate invocation that lost the figures write to its
  // twin made the same effects, but they are the twin's to count.
  const counted = decisions.slice(0, done).flatMap((decision, i) => {
    const ref = fresh[i]?.ref;
    return decision.replay || ref === undefined ? [] : [{ ref, event: decision }];
  });
  const tally = await processKeyed(counted, { app: figuresApp, store: store.figures, sink: NO_OUTPUTS }, figures);
  errors.push(...(tally.errors ?? []));
  const firstUncounted = fresh.findIndex(({ ref }) => tally.failed.has(ref.sequenceNumber));
  if (firstUncounted >= 0) done = Math.min(done, firstUncounted);

  const { replayed = 0, ...rest } = tally.counts;
  const counts: Partial<Record<ConversionCount, number>> = {
    ...rest,
    processed: done + duplicates.size,
    duplicates: duplicates.size,
    replayed: replayed + decisions.filter((d) => d.replay).length,
  };
  return { failed: new Set(fresh.slice(done).map(({ ref }) => ref.sequenceNumber)), errors, counts };
}

const NO_OUTPUTS: Sink<never> = { send: async () => {} };

/**
 * Puts the facts the decisions leave — new claims of producer event ids, enrolments, coupons — in
 * one bulk write, in record order. Returns how many decisions, from the first on, have every
 * fact of theirs written: a record whose claim is not written is not decided on (a retry would
 * not find it).
 */
async function recordFacts(
  records: readonly Decoded<Conversion>[],
  decisions: readonly ConversionDecision[],
  claims: ReadonlyMap<string, string>,
  store: CampaignStore,
  errors: unknown[],
): Promise<number> {
  const facts: { index: number; fact: CampaignFact }[] = [];
  decisions.forEach((decision, index) => {
    const { event, sequenceNumber } = decision;
    const id = records[index]?.event.eventId;
    if (id !== undefined && claims.get(id) !== sequenceNumber) {
      facts.push({ index, fact: { kind: "claim", eventId: id, sequenceNumber } });
    }
    if (decision.enrol) {
      facts.push({
        index,
        fact: { kind: "enrolment", email: event.email, campaign: event.campaign, at: event.at, sequenceNumber },
      });
    }
    if (decision.coupon) facts.push({ index, fact: { kind: "coupon", intent: decision.coupon, sequenceNumber } });
  });
  const { written, error } = await store.recordFacts(facts.map((f) => f.fact));
  if (error !== undefined) errors.push(error);
  return facts[written]?.index ?? decisions.length;
}

/**
 * Sends issued coupons to the promo queue. The coupon item was written first, naming the record
 * that earned it, so a crash before the send cannot lose the coupon: the replayed record finds
 * its own coupon and sends again, and the coupon code, the message's identity, makes the FIFO
 * queue drop that second copy. Returns how many decisions, from the first on, had theirs sent.
 */
async function sendCoupons(
  sink: Sink<CouponIntent>,
  decisions: readonly ConversionDecision[],
  errors: unknown[],
): Promise<number> {
  const toSend = decisions.flatMap((d, index) => (d.coupon ? [{ index, coupon: d.coupon }] : []));
  try {
    await sink.send(toSend.map((c) => c.coupon));
    return decisions.length;
  } catch (err) {
    errors.push(err);
    return toSend[err instanceof SendError ? err.sent : 0]?.index ?? decisions.length;
  }
}

/** The promo queue: one message a coupon, in order per customer, deduplicated by the coupon code. */
export function couponSink(sqs: SQSClient, promoQueueUrl: string): Sink<CouponIntent> {
  return sqsSink(sqs, promoQueueUrl, (coupon) => ({
    body: couponMessage(coupon),
    group: emailHash(coupon.email),
    identity: [coupon.code],
  }));
}

/** The coupon message, as the promo queue's consumers read it. */
function couponMessage(coupon: CouponIntent) {
  return {
    type: "LoyaltyCoupon",
    campaign: coupon.campaign,
    email: coupon.email,
    channel: coupon.channel,
    discountPercent: coupon.discountPercent,
    couponCode: coupon.code,
    clickedAt: new Date(coupon.clickedAt).toISOString(),
  };
}
