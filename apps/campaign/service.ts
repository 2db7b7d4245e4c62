import type { SQSClient } from "@aws-sdk/client-sqs";
import { processFacts } from "../../core/facts.js";
import { type Sink, sqsSink } from "../../core/sinks.js";
import type { CountedOutcome, Decoded } from "../../core/stream-batch.js";
import { mapLimit } from "../../shared/concurrency.js";
import { emailHash } from "../../shared/email.js";
import type { CouponCoder } from "./coupon.js";
import type { Conversion, LoyaltyRecord } from "./events.js";
import { type ConversionOutcome, type CouponIntent, campaignApp } from "./logic.js";
import type { DynamoCampaignStore } from "./store.js";

export interface CampaignDeps {
  readonly store: DynamoCampaignStore;
  /** The promo queue (FIFO). */
  readonly coupons: Sink<CouponIntent>;
  /** The deployment's coupon codes (a keyed MAC: see coupon.ts). */
  readonly codeOf: CouponCoder;
}

/** What a conversions batch did. */
export type ConversionCount = "processed" | "replayed" | "conflicts" | ConversionOutcome;

/** Merges a batch's loyalty records per e-mail (in order) and upserts each member once. The loyalty
 * list is reference data the conversions read, not a state computation: an upsert that merges fields
 * is the same applied once or twice, so it needs no exactly-once protocol. */
export async function processLoyalty(
  records: readonly Decoded<LoyaltyRecord>[],
  store: DynamoCampaignStore,
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
 * Processes a batch of conversions on the core's facts mode (core/facts.ts holds the correctness
 * argument): each conversion decided on the facts before it, its enrolment, coupon and event-id
 * claim put in bulk, its coupon sent, its campaign's figures added last.
 */
export async function processConversions(
  records: readonly Decoded<Conversion>[],
  deps: CampaignDeps,
): Promise<CountedOutcome<ConversionCount>> {
  const outcome = await processFacts(records, {
    app: campaignApp(deps.codeOf),
    store: deps.store.facts,
    sink: deps.coupons,
  });
  const { duplicates = 0, replayed = 0 } = outcome.counts;
  return {
    ...outcome,
    counts: { ...outcome.counts, duplicates, replayed, processed: records.length - outcome.failed.size },
  };
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
