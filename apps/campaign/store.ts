import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { type BulkWritten, batchGet, batchPut, conditionalWrite } from "../../shared/dynamo.js";
import { sequenceKey } from "../../shared/kinesis-record.js";
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

// One table, one string key `pk`, items told apart by prefix: members, coupons, campaign figures
// and claimed producer event ids. Single-table keeps every batch's look-ups in one BatchGetItem.

const member = (email: string) => `MEMBER#${email}`;
const coupon = (campaign: string, email: string) => `COUPON#${campaign}#${email}`;
const figures = (campaign: string) => `FIGURES#${campaign}`;
const eventId = (id: string) => `EVENT#${id}`;

/** Producer event ids are remembered this long: far beyond any producer's retry horizon. */
const EVENT_ID_TTL_SECONDS = 7 * 24 * 3600;
const CHANNEL_PREFIX = "ch:";
const WATERMARK_PREFIX = "wm:";

export interface CampaignLoad {
  readonly snapshot: CampaignSnapshot;
}

export interface CampaignStore {
  upsertMember(record: LoyaltyRecord, sequenceNumber: string): Promise<void>;
  load(
    emails: Iterable<string>,
    coupons: Iterable<[string, string]>,
    campaigns: Iterable<string>,
  ): Promise<CampaignLoad>;
  /** Claims producer event ids; returns the sequence numbers whose id was claimed by another record. */
  claimEventIds(claims: readonly { eventId: string; sequenceNumber: string }[]): Promise<Set<string>>;
  /** Enrols a purchaser; true when this record enrolled them (now or on an earlier delivery). */
  enrol(email: string, campaign: string, sequenceNumber: string, at: number): Promise<boolean>;
  /** Records coupons, in bulk; says how many, from the first on, are known to be written. */
  recordCoupons(coupons: readonly IssuedCoupon[]): Promise<BulkWritten>;
  /** Adds figure increments and moves the shard's watermark, only if nobody moved it since `from`. */
  addFigures(
    campaign: string,
    shardId: string,
    from: string | undefined,
    to: string,
    delta: CampaignFigures,
  ): Promise<boolean>;
  readFigures(): Promise<Map<string, CampaignFigures>>;
}

/** A coupon as decided, with the record that earned it. */
export interface IssuedCoupon {
  readonly intent: CouponIntent;
  readonly sequenceNumber: string;
}

export class DynamoCampaignStore implements CampaignStore {
  /** The calls each campaign function makes through this store: its role's grants on the table.
   * The end-to-end IAM test holds them to the calls actually made. */
  static readonly actions = {
    loyalty: ["dynamodb:UpdateItem"],
    conversions: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"],
  } as const;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

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

  async load(
    emails: Iterable<string>,
    coupons: Iterable<[string, string]>,
    campaigns: Iterable<string>,
  ): Promise<CampaignLoad> {
    const keys = new Set<string>();
    for (const email of emails) keys.add(member(email));
    for (const [campaign, email] of coupons) keys.add(coupon(campaign, email));
    for (const campaign of campaigns) keys.add(figures(campaign));
    const items = await batchGet(
      this.db,
      this.table,
      [...keys].map((pk) => ({ pk })),
    );
    const members = new Map<string, MemberFacts>();
    const couponFacts = new Map<string, CouponFacts>();
    const watermarks = new Map<string, Map<string, string>>();
    for (const item of items) {
      const pk = String(item.pk);
      if (pk.startsWith("MEMBER#")) {
        members.set(String(item.email), typeof item.enrolledBy === "string" ? { enrolledBy: item.enrolledBy } : {});
      } else if (pk.startsWith("COUPON#")) {
        couponFacts.set(couponKey(String(item.campaign), String(item.email)), { issuedBy: String(item.issuedBy) });
      } else if (pk.startsWith("FIGURES#")) {
        const marks = new Map<string, string>();
        for (const [name, value] of Object.entries(item)) {
          if (name.startsWith(WATERMARK_PREFIX)) marks.set(name.slice(WATERMARK_PREFIX.length), String(value));
        }
        watermarks.set(String(item.campaign), marks);
      }
    }
    return { snapshot: { members, coupons: couponFacts, watermarks } };
  }

  /**
   * One strongly consistent read of the claims, then the new ones put in bulk. As with coupons
   * (see {@link recordCoupons}), a producer's retry repeats its record's partition key, the e-mail,
   * so it lands on the shard that holds the first: claims of one id are never made side by side
   * but by a duplicate invocation, which claims alike. A redelivered record finds its own claim.
   */
  async claimEventIds(claims: readonly { eventId: string; sequenceNumber: string }[]): Promise<Set<string>> {
    const owners = new Map<string, string>();
    for (const item of await batchGet(
      this.db,
      this.table,
      claims.map((claim) => ({ pk: eventId(claim.eventId) })),
    )) {
      owners.set(String(item.pk), String(item.claimedBy));
    }
    const expires = Math.floor(Date.now() / 1000) + EVENT_ID_TTL_SECONDS;
    const duplicates = new Set<string>();
    const fresh: Record<string, unknown>[] = [];
    for (const claim of claims) {
      const pk = eventId(claim.eventId);
      const owner = owners.get(pk);
      if (owner === undefined) fresh.push({ pk, claimedBy: claim.sequenceNumber, expiresAt: expires });
      else if (owner !== claim.sequenceNumber) duplicates.add(claim.sequenceNumber);
    }
    // Nothing is decided on claims that were not all written: the batch comes again.
    const { error } = await batchPut(this.db, this.table, fresh);
    if (error !== undefined) throw error;
    return duplicates;
  }

  enrol(email: string, campaign: string, sequenceNumber: string, at: number): Promise<boolean> {
    return this.putOnce(
      {
        pk: member(email),
        email,
        source: "purchase",
        enrolledBy: sequenceNumber,
        enrolledCampaign: campaign,
        enrolledAt: new Date(at).toISOString(),
        memberSince: sequenceNumber,
      },
      "enrolledBy",
      sequenceNumber,
    );
  }

  /**
   * Coupons are put in bulk (BatchWriteItem, 25 to a call), not one conditional write each. That is
   * safe because a coupon item is only ever written by the invocation that holds its e-mail: the
   * e-mail is the partition key, so one shard carries all of a customer's conversions, and Lambda
   * hands one key's records to one invocation at a time, in order (at any ParallelizationFactor).
   * What can still write a coupon twice is a duplicate invocation of the batch, and it decides
   * alike: it reads the table strongly consistently, and a coupon it finds under its own record is
   * its own. (A loyalty record landing between the two reads may make them name different clicks;
   * the coupon code, the message's deduplication id, depends only on (campaign, e-mail), and only
   * one of them gets the figures written.) Should a reshard ever let a parent and a child shard run
   * side by side, the queue's deduplication still sends one message for sends within 5 minutes;
   * only the figures could count that coupon twice. Enrolments stay conditional: they merge into
   * member items that the loyalty function writes too.
   */
  recordCoupons(coupons: readonly IssuedCoupon[]): Promise<BulkWritten> {
    return batchPut(
      this.db,
      this.table,
      coupons.map(({ intent, sequenceNumber }) => ({
        pk: coupon(intent.campaign, intent.email),
        campaign: intent.campaign,
        email: intent.email,
        code: intent.code,
        channel: intent.channel,
        discountPercent: intent.discountPercent,
        clickedAt: new Date(intent.clickedAt).toISOString(),
        issuedBy: sequenceNumber,
      })),
    );
  }

  /** Creates an item unless it exists; a replay by the record that created it also counts as a win.
   * An update, not a put, so that a replay never erases fields other writers merged in since. */
  private async putOnce(item: Record<string, unknown>, ownerAttribute: string, owner: string): Promise<boolean> {
    const { pk, ...fields } = item;
    const names: Record<string, string> = { "#owner": ownerAttribute };
    const values: Record<string, unknown> = { ":owner": owner };
    const sets = Object.entries(fields).map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    return conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: "attribute_not_exists(pk) OR #owner = :owner",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async addFigures(
    campaign: string,
    shardId: string,
    from: string | undefined,
    to: string,
    delta: CampaignFigures,
  ): Promise<boolean> {
    const names: Record<string, string> = { "#wm": `${WATERMARK_PREFIX}${shardId}`, "#campaign": "campaign" };
    const values: Record<string, unknown> = { ":to": sequenceKey(to), ":campaign": campaign };
    const adds: string[] = [];
    const counters = {
      clicks: delta.clicks,
      memberClicks: delta.memberClicks,
      basketAdds: delta.basketAdds,
      purchases: delta.purchases,
      revenueCents: delta.revenueCents,
      couponsIssued: delta.couponsIssued,
      membersEnrolled: delta.membersEnrolled,
    };
    let n = 0;
    const add = (attribute: string, amount: number) => {
      n += 1;
      names[`#a${n}`] = attribute;
      values[`:a${n}`] = amount;
      adds.push(`#a${n} :a${n}`);
    };
    for (const [attribute, amount] of Object.entries(counters)) add(attribute, amount);
    for (const [channel, amount] of Object.entries(delta.clicksByChannel)) add(`${CHANNEL_PREFIX}${channel}`, amount);
    let condition = "attribute_not_exists(#wm)";
    if (from !== undefined) {
      condition = "#wm = :from";
      values[":from"] = from;
    }
    return conditionalWrite(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: figures(campaign) },
          UpdateExpression: `SET #wm = :to, #campaign = :campaign ADD ${adds.join(", ")}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async readFigures(): Promise<Map<string, CampaignFigures>> {
    const result = new Map<string, CampaignFigures>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: "begins_with(pk, :prefix)",
          ExpressionAttributeValues: { ":prefix": "FIGURES#" },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) result.set(String(item.campaign), figuresOf(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return result;
  }
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
