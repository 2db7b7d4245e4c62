import { createHash } from "node:crypto";
import { csvFields, looksLikeJson } from "./csv.js";

/** The streams, each named by the kind of record it carries: the one list the stack, commands and demo iterate. */
export const RECORD_KINDS = ["loyalty", "conversions", "readings", "cpu"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** Where each kind's partition key is: its CSV field and JSON property. */
const KEY_FIELD: Record<RecordKind, [number, string]> = {
  loyalty: [0, "email"],
  conversions: [2, "email"],
  readings: [1, "zoneId"],
  cpu: [0, "serverId"],
};

/** How a CSV header line of each kind starts (names compared without case, spaces or underscores). */
const HEADER_START: Record<RecordKind, readonly string[]> = {
  loyalty: ["email"],
  conversions: ["campaign"],
  readings: ["deviceid", "device"],
  cpu: ["serverid", "server"],
};

/** Whether a line is a CSV header (e.g. `device_id, zone_id, temperature`) rather than a record. */
export function isCsvHeader(kind: RecordKind, line: string): boolean {
  if (looksLikeJson(line)) return false;
  const names = csvFields(line).map((f) => f.toLowerCase().replace(/[^a-z0-9]/g, ""));
  return HEADER_START[kind].includes(names[0] ?? "") && names.every((n) => n !== "" && !/^\d/.test(n));
}

/**
 * The partition key a record goes under: the normalised e-mail for loyalty and conversion
 * records, the zone for readings, so that everything about one customer or zone stays in order
 * on one shard (the server, for CPU readings). A record whose key cannot be found still goes in (its consumer rejects it with a
 * reason), under a key derived from its bytes.
 */
export function partitionKeyOf(kind: RecordKind, line: string): string {
  const [index, name] = KEY_FIELD[kind];
  const key = field(line, index, name);
  const normalised = name === "email" ? key?.trim().toLowerCase() : key?.trim();
  if (normalised && Buffer.byteLength(normalised) <= 256) return normalised;
  return `unkeyed-${createHash("sha256").update(line).digest("hex").slice(0, 16)}`;
}

function field(line: string, index: number, jsonName: string): string | undefined {
  if (looksLikeJson(line)) {
    try {
      const value = (JSON.parse(line) as Record<string, unknown>)[jsonName];
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }
  return csvFields(line)[index];
}
