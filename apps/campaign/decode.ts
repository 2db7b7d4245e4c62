import * as z from "zod/mini";
import { csvFields, jsonObject, looksLikeJson } from "../../shared/csv.js";
import { normaliseEmail } from "../../shared/email.js";
import { DecodeError } from "../../shared/errors.js";
import { parseTimestamp } from "../../shared/time.js";
import { CONVERSION_TYPES, type Conversion, type LoyaltyRecord } from "./events.js";

const MAX_FIELD = 256;

function text(value: string, what: string): string {
  if (value.length > MAX_FIELD) throw new DecodeError(`${what} is longer than ${MAX_FIELD} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new DecodeError(`${what} holds control characters`);
  return value;
}

function optionalText(value: string | null | undefined, what: string): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? text(trimmed, what) : undefined;
}

const loyaltyJson = z.object({
  email: z.string(),
  fbUser: z.nullish(z.string()),
  instaUser: z.nullish(z.string()),
  gender: z.nullish(z.string()),
});

/** Decodes a loyalty-list record: `email, fb user, insta user, gender` or the same as JSON. */
export function decodeLoyalty(line: string): LoyaltyRecord {
  let fields: { email: string; fbUser?: string | null; instaUser?: string | null; gender?: string | null };
  if (looksLikeJson(line)) {
    fields = parseJson(loyaltyJson, line, "loyalty");
  } else {
    const parts = csvFields(line);
    if (parts.length !== 4) {
      throw new DecodeError(`loyalty record needs 4 fields (email, fbUser, instaUser, gender), got ${parts.length}`);
    }
    const [email = "", fbUser, instaUser, gender] = parts;
    fields = { email, fbUser, instaUser, gender };
  }
  const record: { -readonly [K in keyof LoyaltyRecord]: LoyaltyRecord[K] } = { email: normaliseEmail(fields.email) };
  const fbUser = optionalText(fields.fbUser, "fbUser");
  const instaUser = optionalText(fields.instaUser, "instaUser");
  const gender = optionalText(fields.gender, "gender");
  if (fbUser !== undefined) record.fbUser = fbUser;
  if (instaUser !== undefined) record.instaUser = instaUser;
  if (gender !== undefined) record.gender = gender;
  return record;
}

const conversionJson = z.object({
  campaign: z.string(),
  type: z.optional(z.string()),
  conversionType: z.optional(z.string()),
  email: z.string(),
  channel: z.optional(z.string()),
  items: z.optional(z.array(z.union([z.string(), z.int()]))),
  total: z.optional(z.union([z.string(), z.number()])),
  eventId: z.optional(z.union([z.string().check(z.minLength(1), z.maxLength(128)), z.int()])),
  timestamp: z.optional(z.union([z.string(), z.number()])),
});

/** Decodes a conversion: `campaign, type, email, channel | [items] | [items], total`, or the same as JSON. */
export function decodeConversion(line: string, arrivalMs: number): Conversion {
  if (looksLikeJson(line)) {
    const json = parseJson(conversionJson, line, "conversion");
    const kind = conversionKind(json.type ?? json.conversionType ?? "");
    const base = {
      campaign: campaignName(json.campaign),
      email: normaliseEmail(json.email),
      at: json.timestamp === undefined ? arrivalMs : parseTimestamp(json.timestamp),
      ...(json.eventId === undefined ? {} : { eventId: String(json.eventId) }),
    };
    switch (kind) {
      case "click":
        return { ...base, kind, channel: channelName(json.channel) };
      case "basket":
        return { ...base, kind, items: itemList(json.items?.map(String)) };
      case "purchase":
        if (json.total === undefined) throw new DecodeError("purchase needs a total");
        return { ...base, kind, items: itemList(json.items?.map(String)), totalCents: cents(json.total) };
    }
  }
  const parts = csvFields(line);
  if (parts.length < 4) throw new DecodeError(`conversion record needs at least 4 fields, got ${parts.length}`);
  const [campaign = "", type = "", email = "", detail = "", total] = parts;
  const kind = conversionKind(type);
  const expected = kind === "purchase" ? 5 : 4;
  if (parts.length !== expected) {
    throw new DecodeError(`${type} record needs ${expected} fields, got ${parts.length}`);
  }
  // Built directly rather than spread from a base: this is the hot path of the function.
  const c = campaignName(campaign);
  const e = normaliseEmail(email);
  switch (kind) {
    case "click":
      return { kind, campaign: c, email: e, at: arrivalMs, channel: channelName(detail) };
    case "basket":
      return { kind, campaign: c, email: e, at: arrivalMs, items: itemList(bracketed(detail)) };
    case "purchase":
      return {
        kind,
        campaign: c,
        email: e,
        at: arrivalMs,
        items: itemList(bracketed(detail)),
        totalCents: cents(total ?? ""),
      };
  }
}

function parseJson<T>(schema: z.ZodMiniType<T>, line: string, what: string): T {
  const parsed = z.safeParse(schema, jsonObject(line));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") || "record";
    throw new DecodeError(`${what} JSON: ${path}: ${describeIssue(issue)}`);
  }
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  switch (issue?.code) {
    case "invalid_type":
      return `expected ${issue.expected}`;
    case "invalid_union":
      return "not of any accepted type";
    case "too_small":
      return `shorter than ${issue.minimum}`;
    case "too_big":
      return `longer than ${issue.maximum}`;
    default:
      return issue?.message ?? "invalid";
  }
}

/** Conversion types are matched without regard to case: `clickconversion` is the same event. */
function conversionKind(type: string): Conversion["kind"] {
  const kind = CONVERSION_TYPES[type.trim().toLowerCase() as keyof typeof CONVERSION_TYPES];
  if (kind === undefined) {
    throw new DecodeError(
      `unknown conversion type "${type.slice(0, 40)}" (expected ClickConversion, BasketConversion or PurchaseConversion)`,
    );
  }
  return kind;
}

function campaignName(raw: string): string {
  const name = raw.trim();
  if (name === "") throw new DecodeError("campaign is missing");
  return text(name, "campaign");
}

/** Channels people write in any case; each counts under one name (Facebook = facebook = FACEBOOK). */
const CHANNELS = [
  "Facebook",
  "Instagram",
  "TikTok",
  "YouTube",
  "LinkedIn",
  "Twitter",
  "X",
  "Pinterest",
  "Snapchat",
  "Email",
];
const CHANNEL_BY_KEY = new Map(CHANNELS.map((c) => [c.toLowerCase(), c]));

function channelName(raw: string | undefined): string {
  const name = raw?.trim() ?? "";
  if (name === "") throw new DecodeError("click needs a channel");
  const key = text(name, "channel").toLowerCase();
  // A channel not in the list: its lower-case spelling with a capital first letter, whatever the input's case.
  return CHANNEL_BY_KEY.get(key) ?? key.charAt(0).toUpperCase() + key.slice(1);
}

function bracketed(field: string): string[] {
  const match = /^\[(.*)\]$/.exec(field);
  if (!match) throw new DecodeError(`item list must look like [6;14], got "${field.slice(0, 40)}"`);
  const inner = match[1]?.trim() ?? "";
  return inner === "" ? [] : inner.split(";").map((item) => item.trim());
}

function itemList(items: string[] | undefined): string[] {
  if (items === undefined || items.length === 0) throw new DecodeError("item list is empty");
  if (items.length > 100) throw new DecodeError("item list has more than 100 items");
  for (const item of items) {
    if (item === "") throw new DecodeError("item list has an empty item");
    text(item, "item id");
  }
  return items;
}

/** Money as integer cents, parsed from its decimal text so that 18.64 is exactly 1864. */
export function cents(raw: string | number): number {
  const textual = typeof raw === "number" ? String(raw) : raw.trim();
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(textual);
  if (!match) {
    throw new DecodeError(`total "${textual.slice(0, 40)}" is not an amount of at most 2 decimals, 0 or more`);
  }
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}
