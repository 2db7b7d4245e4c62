import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { KeyedStore, Stored } from "../../core/keyed.js";
import { type BulkWritten, batchGet, batchPut, conditionalWrite } from "../../shared/dynamo.js";
import type { LoyaltyRecord } from "./events.js";
import {
  type CampaignFigures,
  type CampaignSnapshot,
  type CouponFacts,
  type CouponIntent,
  couponKey,
  emptyFigures,
  type MemberFacts,
} from "./logic.js";

// One table, one string key `pk`, items told apart by prefix: members (the loyalty list's),
// enrolments (purchases'), coupons, campaign figures and claimed producer event ids. Single-table keeps every batch's look-ups in one BatchGetItem.

const member = (email: string) => `MEMBER#${email}`;
const enrolment = (email: string) => `ENROLMENT#${email}`;
const coupon = (campaign: string, email: string) => `COUPON#${campaign}#${email}`;
const figures = (campaign: string) => `FIGURES#${campaign}`;
const eventId = (id: string) => `EVENT#${id}`;

/** Producer event ids are remembered this long: far beyond any producer's retry horizon. */
const EVENT_ID_TTL_SECONDS = 7 * 24 * 3600;
const CHANNEL_PREFIX = "ch:";
const WATERMARK_PREFIX = "wm:";

/** The items a batch's decisions read: all of them in one load. */
export interface CampaignKeys {
  readonly eventIds?: Iterable<string>;
  readonly emails?: Iterable<string>;
  readonly coupons?: Iterable<readonly [campaign: string, email: string]>;
  readonly campaigns?: Iterable<string>;
}

/**
 * A write-once fact a conversion leaves, named after the record that made it: a claimed producer
 * event id, a purchaser's enrolment, an issued coupon. Written again only by that record's own
 * redelivery, with the same content.
 */
export type CampaignFact =
  | { readonly kind: "claim"; readonly eventId: string; readonly sequenceNumber: string }
  | {
      readonly kind: "enrolment";
      readonly email: string;
      readonly campaign: string;
      readonly at: number;
      readonly sequenceNumber: string;
    }
  | { readonly kind: "coupon"; readonly intent: CouponIntent; readonly sequenceNumber: string };

/** A member as a marketer reads one: the loyalty list's fields and, when a purchase enrolled them, that enrolment. */
export interface Member {
  readonly email: string;
  readonly source: "loyalty" | "purchase";
  readonly fbUser?: string;
  readonly instaUser?: string;
  readonly gender?: string;
  readonly enrolledBy?: string;
  readonly enrolledCampaign?: string;
  readonly enrolledAt?: string;
}

const MEMBER_FIELDS = ["fbUser", "instaUser", "gender", "enrolledBy", "enrolledCampaign", "enrolledAt"] as const;

/** A batch's one read: what its decisions need, and its campaigns' figures as the core's keyed state. */
export interface CampaignLoad {
  readonly snapshot: CampaignSnapshot;
  readonly figures: ReadonlyMap<string, StoredFigures>;
}

export type StoredFigures = Stored<CampaignFigures, never>;

export interface CampaignStore {
  upsertMember(record: LoyaltyRecord, sequenceNumber: string): Promise<void>;
  /** Reads, strongly consistently and in bulk, everything the keys name. */
  load(keys: CampaignKeys): Promise<CampaignLoad>;
  /** Puts facts in bulk, in order; says how many, from the first on, are known to be written. */
  recordFacts(facts: readonly CampaignFact[]): Promise<BulkWritten>;
  /** The campaigns' figures, as the core's state-store port (key: the campaign). */
  readonly figures: KeyedStore<CampaignFigures, never>;
  readFigures(): Promise<Map<string, CampaignFigures>>;
  readMembers(): Promise<Map<string, Member>>;
}

export class DynamoCampaignStore implements CampaignStore {
  /** The calls each campaign function makes through this store: its role's grants on the table.
   * The end-to-end IAM test holds them to the calls actually made. */
  static readonly actions = {
    loyalty: ["dynamodb:UpdateItem"],
    conversions: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"],
  } as const;

  readonly figures: KeyedStore<CampaignFigures, never>;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.figures = new FiguresStore(db, table);
  }

  /** The loyalty list's item of a member: an update, merging fields, since it is theirs alone. */
  async upsertMember(record: LoyaltyRecord, sequenceNumber: string): Promise<void> {
    const names: Record<string, string> = { "#source": "source", "#email": "email", "#since": "memberSince" };
    const values: Record<string, unknown> = { ":loyalty": "loyalty", ":email": record.email, ":seq": sequenceNumber };
    const sets = [
      "#email = :email",
      "#source = if_not_exists(#source, :loyalty)",
      "#since = if_not_exists(#since, :seq)",
    ];
    for (const field of ["fbUser", "instaUser", "gender"] as const) {
      const value = record[field];
      if (value === undefined) continue; // a blank field never erases a known value
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: member(record.email) },
        UpdateExpression: `SET ${sets.join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async load(keys: CampaignKeys): Promise<CampaignLoad> {
    const pks = new Set<string>();
    for (const id of keys.eventIds ?? []) pks.add(eventId(id));
    for (const email of keys.emails ?? []) pks.add(member(email)).add(enrolment(email));
    for (const [campaign, email] of keys.coupons ?? []) pks.add(coupon(campaign, email));
    const campaigns = [...(keys.campaigns ?? [])];
    for (const campaign of campaigns) pks.add(figures(campaign));
    const items = await batchGet(
      this.db,
      this.table,
      [...pks].map((pk) => ({ pk })),
    );
    const members = new Map<string, MemberFacts>();
    const couponFacts = new Map<string, CouponFacts>();
    const claims = new Map<string, string>();
    const figureItems = new Map<string, StoredFigures>();
    const addMember = (email: string, facts: Partial<MemberFacts>) => {
      const known = members.get(email) ?? { listed: false };
      members.set(email, { ...known, ...facts });
    };
    for (const item of items) {
      const pk = String(item.pk);
      if (pk.startsWith("MEMBER#")) {
        // A member item naming an enrolment is one written before enrolments had items of their own.
        addMember(
          String(item.email),
          typeof item.enrolledBy === "string" ? { enrolledBy: item.enrolledBy } : { listed: true },
        );
      } else if (pk.startsWith("ENROLMENT#")) {
        addMember(String(item.email), { enrolledBy: String(item.enrolledBy) });
      } else if (pk.startsWith("COUPON#")) {
        couponFacts.set(couponKey(String(item.campaign), String(item.email)), { issuedBy: String(item.issuedBy) });
      } else if (pk.startsWith("EVENT#")) {
        claims.set(pk.slice("EVENT#".length), String(item.claimedBy));
      } else if (pk.startsWith("FIGURES#")) {
        figureItems.set(String(item.campaign), storedFigures(item));
      }
    }
    const stored = new Map(campaigns.map((c) => [c, figureItems.get(c) ?? noFigures(c)]));
    const watermarks = new Map([...stored].map(([c, { watermarks }]) => [c, watermarks]));
    return { snapshot: { members, coupons: couponFacts, claims, watermarks }, figures: stored };
  }

  /**
   * Facts are put in bulk (BatchWriteItem, 25 to a call), not one conditional write each. That is
   * safe because a fact is only ever written by the invocation that holds its e-mail: the e-mail
   * is the partition key (a producer's retry repeats it too), so one shard carries all of a
   * customer's conversions, and Lambda hands one key's records to one invocation at a time, in
   * order, a parent shard's before its children's (at any ParallelizationFactor). What can still
   * write a fact twice is a duplicate invocation of the batch, and it decides alike: it reads the
   * table strongly consistently, and a fact it finds under its own record is its own. (A loyalty
   * record landing between the two reads may make them decide differently; the coupon code, the
   * message's deduplication id, depends only on (campaign, e-mail), and only one of them gets the
   * figures written.) Enrolments are items of their own, not fields of the member item, because
   * the loyalty function merges into that one: a put would erase what it merged.
   */
  recordFacts(facts: readonly CampaignFact[]): Promise<BulkWritten> {
    const expires = Math.floor(Date.now() / 1000) + EVENT_ID_TTL_SECONDS;
    return batchPut(
      this.db,
      this.table,
      facts.map((fact) => factItem(fact, expires)),
    );
  }

  async readFigures(): Promise<Map<string, CampaignFigures>> {
    const items = await this.scan("FIGURES#");
    return new Map(items.map((item) => [String(item.campaign), storedFigures(item).state]));
  }

  /** Every member: the loyalty list's items merged with the enrolments purchases made. */
  async readMembers(): Promise<Map<string, Member>> {
    const [listed, enrolled] = await Promise.all([this.scan("MEMBER#"), this.scan("ENROLMENT#")]);
    const result = new Map<string, Member>();
    for (const item of [...listed, ...enrolled]) {
      const email = String(item.email);
      const fields: Record<string, string> = { ...result.get(email) };
      for (const name of MEMBER_FIELDS) if (typeof item[name] === "string") fields[name] = item[name];
      result.set(email, { ...fields, email, source: fields.enrolledBy === undefined ? "loyalty" : "purchase" });
    }
    return result;
  }

  private async scan(prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: "begins_with(pk, :prefix)",
          ExpressionAttributeValues: { ":prefix": prefix },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

function factItem(fact: CampaignFact, expires: number): Record<string, unknown> {
  switch (fact.kind) {
    case "claim":
      return { pk: eventId(fact.eventId), claimedBy: fact.sequenceNumber, expiresAt: expires };
    case "enrolment":
      return {
        pk: enrolment(fact.email),
        email: fact.email,
        enrolledBy: fact.sequenceNumber,
        enrolledCampaign: fact.campaign,
        enrolledAt: new Date(fact.at).toISOString(),
      };
    case "coupon": {
      const { intent } = fact;
      return {
        pk: coupon(intent.campaign, intent.email),
        campaign: intent.campaign,
        email: intent.email,
        code: intent.code,
        channel: intent.channel,
        discountPercent: intent.discountPercent,
        clickedAt: new Date(intent.clickedAt).toISOString(),
        issuedBy: fact.sequenceNumber,
      };
    }
  }
}

/**
 * The figures' adapter of the core's state-store port. Figures are sums, and every shard adds to
 * its campaigns' items, so a write does not claim the whole item (a version would make every
 * shard's batch conflict with every other's): it ADDs the step's increments under a condition on
 * the watermarks of the shards it moves only. Writers from different shards commute; two
 * invocations of one batch still conflict, and the loser finds its records counted.
 */
class FiguresStore implements KeyedStore<CampaignFigures, never> {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async load(campaigns: readonly string[]): Promise<Map<string, StoredFigures>> {
    const items = await batchGet(
      this.db,
      this.table,
      campaigns.map((c) => ({ pk: figures(c) })),
    );
    const found = new Map(items.map((item) => [String(item.campaign), storedFigures(item)]));
    return new Map(campaigns.map((c) => [c, found.get(c) ?? noFigures(c)]));
  }

  save(expected: StoredFigures, next: Omit<StoredFigures, "key" | "version">): Promise<boolean> {
    const names: Record<string, string> = { "#campaign": "campaign" };
    const values: Record<string, unknown> = { ":campaign": expected.key };
    const sets = ["#campaign = :campaign"];
    const adds: string[] = [];
    const conditions: string[] = [];
    let n = 0;
    const name = (attribute: string) => {
      n += 1;
      names[`#a${n}`] = attribute;
      return `#a${n}`;
    };
    for (const [shardId, mark] of Object.entries(next.watermarks)) {
      const from = expected.watermarks[shardId];
      if (from === mark) continue;
      const attribute = name(`${WATERMARK_PREFIX}${shardId}`);
      values[`:to${n}`] = mark;
      sets.push(`${attribute} = :to${n}`);
      if (from === undefined) conditions.push(`attribute_not_exists(${attribute})`);
      else {
        values[`:from${n}`] = from;
        conditions.push(`${attribute} = :from${n}`);
      }
    }
    const add = (attribute: string, amount: number) => {
      if (amount === 0) return;
      const placeholder = name(attribute);
      values[`:n${n}`] = amount;
      adds.push(`${placeholder} :n${n}`);
    };
    const { clicksByChannel, ...counters } = next.state;
    for (const [counter, total] of Object.entries(counters)) {
      add(counter, total - expected.state[counter as keyof typeof counters]);
    }
    for (const [channel, total] of Object.entries(clicksByChannel)) {
      add(`${CHANNEL_PREFIX}${channel}`, total - (expected.state.clicksByChannel[channel] ?? 0));
    }
    return conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: figures(expected.key) },
          UpdateExpression: `SET ${sets.join(", ")}${adds.length > 0 ? ` ADD ${adds.join(", ")}` : ""}`,
          ConditionExpression: conditions.length > 0 ? conditions.join(" AND ") : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async clearPending(): Promise<void> {
    // Figures have no outputs: there is never an outbox to empty.
  }
}

function noFigures(campaign: string): StoredFigures {
  return { key: campaign, state: emptyFigures(), version: 0, watermarks: {}, pending: [] };
}

function storedFigures(item: Record<string, unknown>): StoredFigures {
  const watermarks: Record<string, string> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(WATERMARK_PREFIX)) watermarks[name.slice(WATERMARK_PREFIX.length)] = String(value);
  }
  return { key: String(item.campaign), state: figuresOf(item), version: 0, watermarks, pending: [] };
}

function figuresOf(item: Record<string, unknown>): CampaignFigures {
  const out = emptyFigures();
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  out.clicks = num(item.clicks);
  out.memberClicks = num(item.memberClicks);
  out.basketAdds = num(item.basketAdds);
  out.purchases = num(item.purchases);
  out.revenueCents = num(item.revenueCents);
  out.couponsIssued = num(item.couponsIssued);
  out.membersEnrolled = num(item.membersEnrolled);
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(CHANNEL_PREFIX)) out.clicksByChannel[name.slice(CHANNEL_PREFIX.length)] = num(value);
  }
  return out;
}
