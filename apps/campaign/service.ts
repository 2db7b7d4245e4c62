import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { asciiJson } from "../../shared/ascii-json.js";
import { mapLimit } from "../../shared/concurrency.js";
import { emailHash } from "../../shared/email.js";
import { sequenceKey } from "../../shared/kinesis-record.js";
import type { BatchOutcome, Decoded } from "../../shared/stream-batch.js";
import type { CouponCoder } from "./coupon.js";
import type { Conversion, LoyaltyRecord } from "./events.js";
import { type ConversionDecision, type CouponIntent, decideConversions, type Outcome, tallyFigures } from "./logic.js";
import type { CampaignStore } from "./store.js";

export interface CampaignDeps {
  readonly store: CampaignStore;
  readonly sqs: SQSClient;
  readonly promoQueueUrl: string;
  /** The deployment's coupon codes (a keyed MAC: see coupon.ts). */
  readonly codeOf: CouponCoder;
}

export interface ConversionCounts {
  processed: number;
  /** Producer retries: an eventId seen before under another record. */
  duplicates: number;
  /** Redeliveries of records already processed to the end. */
  replayed: number;
  coupons: number;
  enrolled: number;
  conflicts: number;
}

const MAX_CONFLICTS = 5;

/** Merges a batch's loyalty records per e-mail (in order) and upserts each member once. */
export async function processLoyalty(
  records: readonly Decoded<LoyaltyRecord>[],
  store: CampaignStore,
): Promise<BatchOutcome> {
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
  return {
    failed: new Set(records.filter(({ event }) => failedEmails.has(event.email)).map(({ ref }) => ref.sequenceNumber)),
    errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])),
  };
}

/**
 * Processes a batch of conversions: producer retries (a repeated eventId) dropped, members and
 * coupons looked up in one read, decisions taken by the pure logic, their effects made (enrolments
 * by conditional writes, coupons in bulk), coupons sent, and the figures of each campaign added in
 * one conditional write.
 */
export async function processConversions(
  records: readonly Decoded<Conversion>[],
  deps: CampaignDeps,
  counts: ConversionCounts = { processed: 0, duplicates: 0, replayed: 0, coupons: 0, enrolled: 0, conflicts: 0 },
): Promise<BatchOutcome> {
  const { store } = deps;
  // The first record of the batch with an eventId claims it; a later one in the batch is a retry.
  const firstWithId = new Map<string, string>();
  const duplicates = new Set<string>();
  for (const { ref, event } of records) {
    if (event.eventId === undefined) continue;
    if (firstWithId.has(event.eventId)) duplicates.add(ref.sequenceNumber);
    else firstWithId.set(event.eventId, ref.sequenceNumber);
  }
  const claims = [...firstWithId].map(([eventId, sequenceNumber]) => ({ eventId, sequenceNumber }));
  if (claims.length > 0) for (const seq of await store.claimEventIds(claims)) duplicates.add(seq);
  counts.duplicates += duplicates.size;
  const fresh = records.filter(({ ref }) => !duplicates.has(ref.sequenceNumber));

  const emails = new Set<string>();
  const couponKeys: [string, string][] = [];
  const campaigns = new Set<string>();
  for (const { event } of fresh) {
    campaigns.add(event.campaign);
    if (event.kind === "basket") continue;
    emails.add(event.email);
    if (event.kind === "click") couponKeys.push([event.campaign, event.email]);
  }
  const { snapshot } = await store.load(emails, couponKeys, campaigns);
  const decisions = decideConversions(
    fresh.map(({ ref, event }) => ({ event, sequenceNumber: ref.sequenceNumber, shardId: ref.shardId })),
    snapshot,
    deps.codeOf,
  );
  counts.replayed += decisions.filter((d) => d.replay).length;

  // Effects of different records are independent writes; run them side by side. Everything from
  // the first record not finished on is handed back to Lambda, which delivers it again.
  const errors: unknown[] = [];
  const { done: effectsDone, enrolled } = await applyEffects(decisions, store, errors);
  const outcomes: Outcome[] = decisions.slice(0, effectsDone).map((decision, i) => ({
    decision,
    enrolled: enrolled[i] === true,
    couponIssued: decision.coupon !== undefined,
  }));

  let done = Math.min(effectsDone, await sendCoupons(deps, outcomes, errors));
  const committed = await addFigures(outcomes.slice(0, done), snapshot.watermarks, store, counts, errors);
  done = Math.min(done, committed.done);

  // Counted only where this invocation wrote the figures: a duplicate invocation that lost the
  // figures write to its twin made the same effects, but they are the twin's to count.
  for (const o of committed.outcomes) {
    if (o.couponIssued) counts.coupons++;
    if (o.enrolled) counts.enrolled++;
  }
  counts.processed += done + duplicates.size;
  const failed = new Set(fresh.slice(done).map(({ ref }) => ref.sequenceNumber));
  return { failed, errors };
}

/**
 * Enrols purchasers (one conditional write each: member items are shared with the loyalty
 * function) and records coupons (in bulk). Returns how many decisions, from the first on, had
 * their effects made, and which of those enrolled their buyer.
 */
async function applyEffects(
  decisions: readonly ConversionDecision[],
  store: CampaignStore,
  errors: unknown[],
): Promise<{ done: number; enrolled: boolean[] }> {
  const enrolments = decisions.flatMap((d, index) => (d.enrol ? [{ index, decision: d }] : []));
  const coupons = decisions.flatMap((d, index) =>
    d.coupon ? [{ index, coupon: { intent: d.coupon, sequenceNumber: d.sequenceNumber } }] : [],
  );
  const [enrolResults, couponsWritten] = await Promise.all([
    mapLimit(enrolments, 16, ({ decision: { event, sequenceNumber } }) =>
      store.enrol(event.email, event.campaign, sequenceNumber, event.at),
    ),
    store.recordCoupons(coupons.map((c) => c.coupon)),
  ]);
  if (couponsWritten.error !== undefined) errors.push(couponsWritten.error);
  let done = coupons[couponsWritten.written]?.index ?? decisions.length;
  const enrolled: boolean[] = [];
  enrolResults.forEach((result, i) => {
    const { index } = enrolments[i] as { index: number };
    if (result.status === "fulfilled") enrolled[index] = result.value;
    else if (index < done) {
      done = index;
      errors.push(result.reason);
    }
  });
  return { done, enrolled };
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

/**
 * Sends issued coupons to the FIFO promo queue. The coupon item was written first, naming the
 * record that earned it, so a crash before the send cannot lose the coupon: the replayed record
 * finds its own coupon and sends again. The coupon code is the deduplication id, so that second
 * send cannot double it. Returns the index of the first outcome whose coupon was not sent.
 */
async function sendCoupons(deps: CampaignDeps, outcomes: readonly Outcome[], errors: unknown[]): Promise<number> {
  const toSend = outcomes.flatMap((o, index) =>
    o.couponIssued && o.decision.coupon ? [{ index, coupon: o.decision.coupon }] : [],
  );
  for (let start = 0; start < toSend.length; start += 10) {
    const chunk = toSend.slice(start, start + 10);
    try {
      const out = await deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: deps.promoQueueUrl,
          Entries: chunk.map(({ coupon }, i) => ({
            Id: String(i),
            MessageBody: asciiJson(couponMessage(coupon)),
            MessageGroupId: emailHash(coupon.email),
            MessageDeduplicationId: coupon.code,
          })),
        }),
      );
      const failedAt = Math.min(...(out.Failed ?? []).map((f) => Number(f.Id)));
      if (Number.isFinite(failedAt)) {
        errors.push(new Error(`SQS refused coupon: ${out.Failed?.[0]?.Code ?? ""} ${out.Failed?.[0]?.Message ?? ""}`));
        return chunk[failedAt]?.index ?? outcomes.length;
      }
    } catch (err) {
      errors.push(err);
      return chunk[0]?.index ?? outcomes.length;
    }
  }
  return outcomes.length;
}

/**
 * Adds the figures of finished records, one conditional write per campaign: only records past the
 * campaign's watermark for their shard count, and the write moves the watermark, so a replayed
 * record is never counted twice. Returns the index of the first record whose figures failed, and
 * the outcomes whose figures this call wrote.
 */
async function addFigures(
  outcomes: readonly Outcome[],
  watermarks: ReadonlyMap<string, ReadonlyMap<string, string>>,
  store: CampaignStore,
  counts: ConversionCounts,
  errors: unknown[],
): Promise<{ done: number; outcomes: Outcome[] }> {
  const groups = new Map<string, { campaign: string; shardId: string; first: number; items: Outcome[] }>();
  outcomes.forEach((outcome, index) => {
    if (outcome.decision.replay) return;
    const campaign = outcome.decision.event.campaign;
    const shardId = outcome.decision.shardId;
    const key = `${campaign}\u0000${shardId}`;
    const group = groups.get(key) ?? { campaign, shardId, first: index, items: [] };
    group.items.push(outcome);
    groups.set(key, group);
  });
  let failedAt = outcomes.length;
  const written: Outcome[] = [];
  await Promise.all(
    [...groups.values()].map(async ({ campaign, shardId, first, items }) => {
      let mark = watermarks.get(campaign)?.get(shardId);
      try {
        for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
          const fresh = items.filter((o) => mark === undefined || sequenceKey(o.decision.sequenceNumber) > mark);
          const last = fresh.at(-1);
          if (last === undefined) return;
          const delta = tallyFigures(fresh).get(campaign);
          if (delta === undefined) return;
          if (await store.addFigures(campaign, shardId, mark, last.decision.sequenceNumber, delta)) {
            written.push(...fresh);
            return;
          }
          counts.conflicts++;
          mark = (await store.load([], [], [campaign])).snapshot.watermarks.get(campaign)?.get(shardId);
        }
        throw new Error(`campaign figures: ${MAX_CONFLICTS} write conflicts in a row`);
      } catch (err) {
        errors.push(err);
        failedAt = Math.min(failedAt, first);
      }
    }),
  );
  return { done: failedAt, outcomes: written };
}
