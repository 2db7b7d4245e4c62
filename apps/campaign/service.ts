import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { asciiJson } from "../../shared/ascii-json.js";
import { mapLimit } from "../../shared/concurrency.js";
import { emailHash } from "../../shared/email.js";
import { sequenceKey } from "../../shared/kinesis-record.js";
import type { BatchOutcome, Decoded } from "../../shared/stream-batch.js";
import type { CouponCoder } from "./coupon.js";
import type { Conversion, LoyaltyRecord } from "./events.js";
import { type ConversionDecision, type CouponIntent, decideConversions, type Outcome, tallyFigures } from "./logic.js";
import type { CampaignFact, CampaignStore } from "./store.js";

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
 * Processes a batch of conversions: everything its decisions need read in one load (claimed
 * producer event ids, members, enrolments, coupons, figures), producer retries (a repeated
 * eventId) dropped, decisions taken by the pure logic, their facts (claims, enrolments, coupons)
 * put in bulk, coupons sent, and the figures of each campaign added in one conditional write.
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
  const keys = {
    eventIds: firstWithId.keys(),
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
  const snapshot = await store.load(keys);
  // An id claimed by another record is a producer's retry; a claim of its own, a redelivery.
  for (const [id, sequenceNumber] of firstWithId) {
    const owner = snapshot.claims.get(id);
    if (owner !== undefined && owner !== sequenceNumber) duplicates.add(sequenceNumber);
  }
  counts.duplicates += duplicates.size;
  const fresh = records.filter(({ ref }) => !duplicates.has(ref.sequenceNumber));
  const decisions = decideConversions(
    fresh.map(({ ref, event }) => ({ event, sequenceNumber: ref.sequenceNumber, shardId: ref.shardId })),
    snapshot,
    deps.codeOf,
  );
  counts.replayed += decisions.filter((d) => d.replay).length;

  // Everything from the first record not finished on is handed back to Lambda, which delivers it again.
  const errors: unknown[] = [];
  let done = await recordFacts(fresh, decisions, snapshot.claims, store, errors);
  const outcomes: Outcome[] = decisions.slice(0, done).map((decision) => ({
    decision,
    enrolled: decision.enrol,
    couponIssued: decision.coupon !== undefined,
  }));

  done = Math.min(done, await sendCoupons(deps, outcomes, errors));
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
          mark = (await store.load({ campaigns: [campaign] })).watermarks.get(campaign)?.get(shardId);
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
