import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { countersOf, DynamoFactStore, type FactCodec } from "../../core/fact-store.js";
import type { FactStore } from "../../core/facts.js";
import type { LoyaltyRecord } from "./events.js";
import { type CampaignFact, type CampaignFigures, FACT_KEYS, figuresOf } from "./logic.js";

// One table, one string key `pk`, items told apart by prefix: members (the loyalty list's),
// enrolments (purchases'), coupons, claimed producer event ids — the facts of the core's facts mode
// — and campaign figures (its aggregates). Single-table keeps every batch's look-ups in one BatchGetItem.

/** Producer event ids are remembered this long: far beyond any producer's retry horizon. */
const EVENT_ID_TTL_SECONDS = 7 * 24 * 3600;
/** A campaign's figures: a part per shard that counted toward it (shard ids hold no "#"), summed
 * when read; an item `FIGURES#<campaign>` is the whole figures an earlier version kept, still summed in. */
const FIGURES = {
  partKey: (campaign: string, shard: string) => `FIGURES-PART#${shard}#${campaign}`,
  wholeKey: (campaign: string) => `FIGURES#${campaign}`,
  nameAttribute: "campaign",
};

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

/**
 * The campaign's facts as items. Enrolments are items of their own, not fields of the member item,
 * because the loyalty function merges into that one: a put would erase what it merged. A member
 * item naming an enrolment is one written before enrolments had items of their own: it stands for
 * that enrolment. (Items written by earlier versions keep meaning what they meant: a member who got
 * a coupon before an upgrade never gets a second one.)
 */
const CODEC: FactCodec<CampaignFact> = {
  item(key, value, by) {
    switch (value.kind) {
      case "claim":
        return { pk: key, claimedBy: by, expiresAt: Math.floor(Date.now() / 1000) + EVENT_ID_TTL_SECONDS };
      case "enrolment":
        return {
          pk: key,
          email: value.email,
          enrolledBy: by,
          enrolledCampaign: value.campaign,
          enrolledAt: new Date(value.at).toISOString(),
        };
      case "coupon": {
        const { coupon } = value;
        return {
          pk: key,
          campaign: coupon.campaign,
          email: coupon.email,
          code: coupon.code,
          channel: coupon.channel,
          discountPercent: coupon.discountPercent,
          clickedAt: new Date(coupon.clickedAt).toISOString(),
          issuedBy: by,
        };
      }
      case "listed":
        throw new Error("the loyalty list is the loyalty function's: conversions never write it");
    }
  },
  facts(item) {
    const pk = String(item.pk);
    const email = String(item.email);
    const enrolment = (): CampaignFact => ({
      kind: "enrolment",
      email,
      campaign: String(item.enrolledCampaign ?? ""),
      at: Date.parse(String(item.enrolledAt ?? "")) || 0,
    });
    if (pk.startsWith("MEMBER#")) {
      return typeof item.enrolledBy === "string"
        ? [[FACT_KEYS.enrolment(email), { value: enrolment(), by: item.enrolledBy }]]
        : [[pk, { value: { kind: "listed" } }]];
    }
    if (pk.startsWith("ENROLMENT#")) return [[pk, { value: enrolment(), by: String(item.enrolledBy) }]];
    if (pk.startsWith("COUPON#")) {
      const coupon = {
        campaign: String(item.campaign),
        email,
        channel: String(item.channel ?? ""),
        code: String(item.code ?? ""),
        clickedAt: Date.parse(String(item.clickedAt ?? "")) || 0,
        discountPercent: Number(item.discountPercent ?? 0),
      };
      return [[pk, { value: { kind: "coupon", coupon }, by: String(item.issuedBy) }]];
    }
    if (pk.startsWith("EVENT#")) return [[pk, { value: { kind: "claim" }, by: String(item.claimedBy) }]];
    return [];
  },
};

export class DynamoCampaignStore {
  /** The calls each campaign function makes through this store: its role's grants on the table.
   * The end-to-end IAM test holds them to the calls actually made. */
  static readonly actions = {
    loyalty: ["dynamodb:UpdateItem"],
    conversions: DynamoFactStore.actions,
  } as const;

  /** The conversions' facts and figures, as the core's facts-mode port. */
  readonly facts: FactStore<CampaignFact>;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.facts = new DynamoFactStore(db, table, "pk", CODEC, FIGURES);
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
        Key: { pk: FACT_KEYS.listed(record.email) },
        UpdateExpression: `SET ${sets.join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async readFigures(): Promise<Map<string, CampaignFigures>> {
    const sums = new Map<string, Record<string, number>>();
    for (const item of await this.scan("FIGURES")) {
      const campaign = String(item.campaign);
      const sum = sums.get(campaign) ?? {};
      for (const [name, n] of Object.entries(countersOf(item, ["pk", "campaign"]))) sum[name] = (sum[name] ?? 0) + n;
      sums.set(campaign, sum);
    }
    return new Map([...sums].map(([campaign, counters]) => [campaign, figuresOf(counters)]));
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
