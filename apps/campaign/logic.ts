import type { AggregatePart, Fact, FactApp, FactStep, FactView, Loaded } from "../../core/facts.js";
import { decideFacts } from "../../core/facts.js";
import type { Keyed } from "../../core/keyed.js";
import type { Conversion } from "./events.js";

// The ad campaign's decisions, free of I/O, as a state computation on the core's facts mode
// (core/facts.ts): `(conversion, facts before it) → (coupon, new facts, figures)`. The facts are
// what earlier conversions left — a purchaser's enrolment, an issued coupon, a producer's event id
// — and the loyalty list; the figures are sums per campaign.

export const COUPON_DISCOUNT_PERCENT = 10;

/** A fact of the campaign: on the loyalty list, enrolled by a purchase, a coupon issued, an event id claimed. */
export type CampaignFact =
  | { readonly kind: "listed" }
  | { readonly kind: "enrolment"; readonly email: string; readonly campaign: string; readonly at: number }
  | { readonly kind: "coupon"; readonly coupon: CouponIntent }
  | { readonly kind: "claim" };

/** The facts' keys: the table's item keys. */
export const FACT_KEYS = {
  listed: (email: string) => `MEMBER#${email}`,
  enrolment: (email: string) => `ENROLMENT#${email}`,
  coupon: (campaign: string, email: string) => `COUPON#${campaign}#${email}`,
  claim: (eventId: string) => `EVENT#${eventId}`,
} as const;

export interface CouponIntent {
  readonly campaign: string;
  readonly email: string;
  readonly channel: string;
  readonly code: string;
  readonly clickedAt: number;
  readonly discountPercent: number;
}

/** A conversion with the record it came in. */
export type SequencedConversion = Keyed<Conversion>;

/** The decision for one conversion. */
export interface ConversionDecision {
  readonly sequenceNumber: string;
  readonly shardId: string;
  readonly event: Conversion;
  /** A redelivery of a record already processed: no effect, not counted again. Deciding it anew
   * could decide differently (membership may have changed since), so it is not decided at all. */
  readonly replay: boolean;
  /** A producer's retry: its event id was claimed by an earlier record. No effect. */
  readonly duplicate: boolean;
  /** Whether the customer was a member when the event was processed. */
  readonly byMember: boolean;
  readonly enrol: boolean;
  readonly coupon?: CouponIntent;
}

/** How a conversion shows in the counts. */
export type ConversionOutcome = "couponIssued" | "enrolled" | "counted" | "duplicates";

/** One conversion decided on the facts before it. */
function decide(
  event: Conversion,
  facts: FactView<CampaignFact>,
  codeOf: (campaign: string, email: string) => string,
): Omit<ConversionDecision, "sequenceNumber" | "shardId" | "replay"> {
  if (event.eventId !== undefined && facts.get(FACT_KEYS.claim(event.eventId)) !== undefined) {
    return { event, duplicate: true, byMember: false, enrol: false };
  }
  // A purchase that finds its own enrolment enrolled a non-member, whatever the loyalty list says now.
  const byMember =
    event.kind !== "basket" &&
    facts.mine(FACT_KEYS.enrolment(event.email)) === undefined &&
    (facts.get(FACT_KEYS.listed(event.email)) !== undefined ||
      facts.get(FACT_KEYS.enrolment(event.email)) !== undefined);
  const enrol = event.kind === "purchase" && !byMember;
  if (event.kind === "click" && byMember && facts.get(FACT_KEYS.coupon(event.campaign, event.email)) === undefined) {
    const coupon = {
      campaign: event.campaign,
      email: event.email,
      channel: event.channel,
      code: codeOf(event.campaign, event.email),
      clickedAt: event.at,
      discountPercent: COUPON_DISCOUNT_PERCENT,
    };
    return { event, duplicate: false, byMember, enrol, coupon };
  }
  return { event, duplicate: false, byMember, enrol };
}

/** What a decision leaves: its facts, its coupon, its figures (counters named as the figures item's attributes). */
function stepOf(
  d: Omit<ConversionDecision, "sequenceNumber" | "shardId" | "replay">,
): FactStep<CampaignFact, CouponIntent> {
  const { event } = d;
  if (d.duplicate) return { facts: [], outputs: [], tally: {}, outcome: "duplicates" };
  const facts: { key: string; value: CampaignFact }[] = [];
  if (event.eventId !== undefined) facts.push({ key: FACT_KEYS.claim(event.eventId), value: { kind: "claim" } });
  if (d.enrol) {
    const value = { kind: "enrolment" as const, email: event.email, campaign: event.campaign, at: event.at };
    facts.push({ key: FACT_KEYS.enrolment(event.email), value });
  }
  if (d.coupon) {
    facts.push({ key: FACT_KEYS.coupon(event.campaign, event.email), value: { kind: "coupon", coupon: d.coupon } });
  }
  const tally: Record<string, number> = {};
  switch (event.kind) {
    case "click":
      tally.clicks = 1;
      tally[`${CHANNEL_PREFIX}${event.channel}`] = 1;
      if (d.byMember) tally.memberClicks = 1;
      break;
    case "basket":
      tally.basketAdds = 1;
      break;
    case "purchase":
      tally.purchases = 1;
      tally.revenueCents = event.totalCents;
      break;
  }
  if (d.coupon) tally.couponsIssued = 1;
  if (d.enrol) tally.membersEnrolled = 1;
  const outcome: ConversionOutcome = d.coupon ? "couponIssued" : d.enrol ? "enrolled" : "counted";
  return { facts, outputs: d.coupon ? [d.coupon] : [], tally, outcome };
}

/** The campaign on the core's facts mode: what each conversion reads, counts toward, and decides. */
export function campaignApp(
  codeOf: (campaign: string, email: string) => string,
): FactApp<Conversion, CampaignFact, CouponIntent> {
  return {
    reads: (event) => [
      ...(event.eventId === undefined ? [] : [FACT_KEYS.claim(event.eventId)]),
      ...(event.kind === "basket" ? [] : [FACT_KEYS.listed(event.email), FACT_KEYS.enrolment(event.email)]),
      ...(event.kind === "click" ? [FACT_KEYS.coupon(event.campaign, event.email)] : []),
    ],
    aggregateOf: (event) => event.campaign,
    step: (event, facts) => stepOf(decide(event, facts, codeOf)),
  };
}

/** What the table held, as plain maps: for deciding a batch without a store (tests, the benchmark's decide rate). */
export interface CampaignSnapshot {
  /** Listed (on the loyalty list), and the sequence number of the purchase that enrolled them. */
  readonly members: ReadonlyMap<string, { readonly listed: boolean; readonly enrolledBy?: string }>;
  /** Keyed by {@link couponKey}: the sequence number of the click that earned it. */
  readonly coupons: ReadonlyMap<string, { readonly issuedBy: string }>;
  /** Producer event ids: the sequence number of the record that claimed each. */
  readonly claims: ReadonlyMap<string, string>;
  /** Per campaign, per shard: the padded sequence number its figures count up to. */
  readonly watermarks: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

export function couponKey(campaign: string, email: string): string {
  return `${campaign}\u0000${email}`;
}

/** Decides a batch of conversions, in order, against a snapshot of the table (the core's pure fold). */
export function decideConversions(
  batch: readonly SequencedConversion[],
  snapshot: CampaignSnapshot,
  codeOf: (campaign: string, email: string) => string,
): ConversionDecision[] {
  return decideConversionsOn(batch, snapshotLoaded(snapshot, codeOf), codeOf);
}

/** A snapshot as the store's load gives a batch its facts and figures parts. */
export function snapshotLoaded(
  snapshot: CampaignSnapshot,
  codeOf: (campaign: string, email: string) => string,
): Loaded<CampaignFact> {
  const facts = new Map<string, Fact<CampaignFact>>();
  for (const [email, m] of snapshot.members) {
    if (m.listed) facts.set(FACT_KEYS.listed(email), { value: { kind: "listed" } });
    if (m.enrolledBy !== undefined) {
      const value = { kind: "enrolment" as const, email, campaign: "", at: 0 };
      facts.set(FACT_KEYS.enrolment(email), { value, by: m.enrolledBy });
    }
  }
  for (const [key, { issuedBy }] of snapshot.coupons) {
    const [campaign = "", email = ""] = key.split("\u0000");
    const coupon = { campaign, email, channel: "", code: codeOf(campaign, email), clickedAt: 0, discountPercent: 0 };
    facts.set(FACT_KEYS.coupon(campaign, email), { value: { kind: "coupon", coupon }, by: issuedBy });
  }
  for (const [id, by] of snapshot.claims) facts.set(FACT_KEYS.claim(id), { value: { kind: "claim" }, by });
  const aggregates = new Map<string, Map<string, AggregatePart>>(
    [...snapshot.watermarks].map(([campaign, watermarks]) => [
      campaign,
      new Map(Object.entries(watermarks).map(([shard, watermark]) => [shard, { exists: true, watermark }])),
    ]),
  );
  return { facts, aggregates };
}

/** Decides a batch of conversions, in order, on what a load gave it (decode + decide, as the function does). */
export function decideConversionsOn(
  batch: readonly SequencedConversion[],
  loaded: Loaded<CampaignFact>,
  codeOf: (campaign: string, email: string) => string,
): ConversionDecision[] {
  // The app's own decisions, in the order its steps are taken (the records not replayed), for the caller.
  const decisions: Omit<ConversionDecision, "sequenceNumber" | "shardId" | "replay">[] = [];
  const app: FactApp<Conversion, CampaignFact, CouponIntent> = {
    ...campaignApp(codeOf),
    step: (event, view) => {
      const d = decide(event, view, codeOf);
      decisions.push(d);
      return stepOf(d);
    },
  };
  let next = 0;
  return decideFacts(app, batch, loaded).map(({ record, replay }) => {
    const { sequenceNumber, shardId, event } = record;
    const d = replay ? undefined : decisions[next++];
    if (d === undefined) {
      return { sequenceNumber, shardId, event, replay: true, duplicate: false, byMember: false, enrol: false };
    }
    return { ...d, sequenceNumber, shardId, replay: false };
  });
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

/** A campaign's clicks per channel are counters named `ch:<channel>`. */
const CHANNEL_PREFIX = "ch:";

/** The figures an aggregate's counters make. */
export function figuresOf(counters: Readonly<Record<string, number>>): CampaignFigures {
  const figures = emptyFigures();
  for (const [name, value] of Object.entries(counters)) {
    if (name.startsWith(CHANNEL_PREFIX)) figures.clicksByChannel[name.slice(CHANNEL_PREFIX.length)] = value;
    else if (name in figures && name !== "clicksByChannel")
      figures[name as Exclude<keyof CampaignFigures, "clicksByChannel">] = value;
  }
  return figures;
}
