import { type Keyed, type KeyedApp, pastWatermarks } from "../../core/keyed.js";
import { sequenceKey } from "../../shared/kinesis-record.js";
import type { Conversion } from "./events.js";

// The ad campaign's decisions, free of I/O: given the events of a batch and what the table said
// about the people and coupons involved, what should happen. Every decision is replay-aware: an
// effect already recorded under this very record (same sequence number) is decided again, so a
// retried batch repeats its own effects (idempotently) instead of losing them.

export const COUPON_DISCOUNT_PERCENT = 10;

/** What the table holds about one customer, as far as decisions go. */
export interface MemberFacts {
  /** On the loyalty list: a loyalty record upserted them. */
  readonly listed: boolean;
  /** The sequence number of the purchase that enrolled them, when a purchase did. */
  readonly enrolledBy?: string;
}

/** What the table holds about one coupon. */
export interface CouponFacts {
  /** The sequence number of the click that earned it. */
  readonly issuedBy: string;
}

export interface CampaignSnapshot {
  readonly members: ReadonlyMap<string, MemberFacts>;
  /** Keyed by {@link couponKey}. */
  readonly coupons: ReadonlyMap<string, CouponFacts>;
  /** Producer event ids already claimed: the sequence number of the record that claimed each. */
  readonly claims: ReadonlyMap<string, string>;
  /** Per campaign, per shard: the padded sequence number its figures count up to. A record at or
   * below it was processed to the end before (figures are written last). */
  readonly watermarks: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** A conversion with the record it came in. */
export type SequencedConversion = Keyed<Conversion>;

export interface CouponIntent {
  readonly campaign: string;
  readonly email: string;
  readonly channel: string;
  readonly code: string;
  readonly clickedAt: number;
  readonly discountPercent: number;
}

/** The decision for one conversion. */
export interface ConversionDecision {
  readonly sequenceNumber: string;
  readonly shardId: string;
  readonly event: Conversion;
  /** A redelivery of a record already processed: no effect, not counted again. Deciding it anew
   * could decide differently (membership may have changed since), so it is not decided at all. */
  readonly replay: boolean;
  /** Whether the customer was a member when the event was processed. */
  readonly byMember: boolean;
  readonly enrol: boolean;
  readonly coupon?: CouponIntent;
}

export function couponKey(campaign: string, email: string): string {
  return `${campaign}\u0000${email}`;
}

/** Decides a batch of conversions, in order, against a snapshot of the table. */
export function decideConversions(
  batch: readonly SequencedConversion[],
  snapshot: CampaignSnapshot,
  codeOf: (campaign: string, email: string) => string,
): ConversionDecision[] {
  // What this batch changed, over the snapshot (which is never copied): a purchase early in the
  // batch makes its buyer a member for a click later in it, as record-at-a-time processing would.
  const enrolledNow = new Map<string, MemberFacts>();
  const couponsNow = new Map<string, CouponFacts>();
  const members = { get: (email: string) => enrolledNow.get(email) ?? snapshot.members.get(email) };
  const coupons = { get: (key: string) => couponsNow.get(key) ?? snapshot.coupons.get(key) };
  // Records the campaign's figures already count, by the core's per-shard watermarks.
  const fresh = new Set<SequencedConversion>();
  const byCampaign = new Map<string, SequencedConversion[]>();
  for (const record of batch) {
    const records = byCampaign.get(record.event.campaign);
    if (records) records.push(record);
    else byCampaign.set(record.event.campaign, [record]);
  }
  for (const [campaign, records] of byCampaign) {
    for (const record of pastWatermarks(snapshot.watermarks.get(campaign) ?? {}, records).fresh) fresh.add(record);
  }
  const decisions: ConversionDecision[] = [];
  for (const record of batch) {
    const { event, sequenceNumber, shardId } = record;
    if (!fresh.has(record)) {
      decisions.push({ sequenceNumber, shardId, event, replay: true, byMember: false, enrol: false });
      continue;
    }
    const seq = sequenceKey(sequenceNumber);
    const member = members.get(event.email);
    const byMember = member !== undefined && memberAt(member, sequenceNumber, seq);
    let enrol = false;
    let coupon: CouponIntent | undefined;
    if (event.kind === "purchase" && !byMember) {
      enrol = true;
      enrolledNow.set(event.email, { listed: member?.listed ?? false, enrolledBy: sequenceNumber });
    }
    if (event.kind === "click" && byMember) {
      const key = couponKey(event.campaign, event.email);
      const existing = coupons.get(key);
      if (existing === undefined || existing.issuedBy === sequenceNumber) {
        couponsNow.set(key, { issuedBy: sequenceNumber });
        coupon = {
          campaign: event.campaign,
          email: event.email,
          channel: event.channel,
          code: codeOf(event.campaign, event.email),
          clickedAt: event.at,
          discountPercent: COUPON_DISCOUNT_PERCENT,
        };
      }
    }
    const decision = { sequenceNumber, shardId, event, replay: false, byMember, enrol };
    decisions.push(coupon ? { ...decision, coupon } : decision);
  }
  return decisions;
}

/**
 * Whether a customer was a member at the record `sequenceNumber` (padded: `seq`). A purchase
 * finding its own enrolment is a replay of the record that enrolled them: it was not a member
 * then, and decides as it did. A member enrolled by a later purchase (written before an earlier
 * record of the batch failed) was not one yet either: records of one e-mail share a shard, so
 * their sequence numbers order them.
 */
function memberAt(member: MemberFacts, sequenceNumber: string, seq: string): boolean {
  if (member.enrolledBy === sequenceNumber) return false;
  return member.listed || (member.enrolledBy !== undefined && sequenceKey(member.enrolledBy) < seq);
}

/** Conversion figures of one campaign; revenue in cents. */
export interface CampaignFigures {
  clicks: number;
  clicksByChannel: Record<string, number>;
  memberClicks: number;
  basketAdds: number;
  purchases: number;
  revenueCents: number;
  couponsIssued: number;
  membersEnrolled: number;
}

export function emptyFigures(): CampaignFigures {
  return {
    clicks: 0,
    clicksByChannel: {},
    memberClicks: 0,
    basketAdds: 0,
    purchases: 0,
    revenueCents: 0,
    couponsIssued: 0,
    membersEnrolled: 0,
  };
}

/** Adds one decided record (not a replay) to its campaign's figures, in place. */
function count(figures: CampaignFigures, decision: ConversionDecision): void {
  const { event } = decision;
  switch (event.kind) {
    case "click":
      figures.clicks += 1;
      figures.clicksByChannel[event.channel] = (figures.clicksByChannel[event.channel] ?? 0) + 1;
      if (decision.byMember) figures.memberClicks += 1;
      break;
    case "basket":
      figures.basketAdds += 1;
      break;
    case "purchase":
      figures.purchases += 1;
      figures.revenueCents += event.totalCents;
      break;
  }
  if (decision.coupon) figures.couponsIssued += 1;
  if (decision.enrol) figures.membersEnrolled += 1;
}

/** Folds decisions whose effects were made into per-campaign figure increments (replays add nothing). */
export function tallyFigures(decisions: readonly ConversionDecision[]): Map<string, CampaignFigures> {
  const byCampaign = new Map<string, CampaignFigures>();
  for (const decision of decisions) {
    if (decision.replay) continue;
    const campaign = decision.event.campaign;
    const figures = byCampaign.get(campaign) ?? emptyFigures();
    byCampaign.set(campaign, figures);
    count(figures, decision);
  }
  return byCampaign;
}

/** How a counted record shows in the metrics. */
export type FiguresOutcome = "couponIssued" | "enrolled" | "counted";

/**
 * A campaign's figures as keyed state on the core: the key is the campaign, the events are the
 * batch's decided records whose effects were made, the step adds them up. The core's per-shard
 * watermark makes a replayed record count once.
 */
export const figuresApp: KeyedApp<ConversionDecision, CampaignFigures, never> = {
  keyOf: (decision) => decision.event.campaign,
  initial: emptyFigures,
  apply: (state, events) => {
    const figures = structuredClone(state);
    const outcomes: FiguresOutcome[] = [];
    for (const { event: decision } of events) {
      count(figures, decision);
      outcomes.push(decision.coupon ? "couponIssued" : decision.enrol ? "enrolled" : "counted");
    }
    return { state: figures, outputs: [], outcomes };
  },
  metricOf: () => {
    throw new Error("campaign figures have no outputs");
  },
};
