import { createHash } from "node:crypto";
import { csvFields, looksLikeJson } from "./csv.js";

export type RecordKind = "loyalty" | "conversions" | "readings";

/**
 * The partition key a record goes under: the normalised e-mail for loyalty and conversion
 * records, the zone for readings, so that everything about one customer or zone stays in order
 * on one shard. A record whose key cannot be found still goes in (its consumer rejects it with a
 * reason), under a key derived from its bytes.
 */
export function partitionKeyOf(kind: RecordKind, line: string): string {
  const key = kind === "readings" ? field(line, 1, "zoneId") : field(line, kind === "loyalty" ? 0 : 2, "email");
  const normalised = kind === "readings" ? key?.trim() : key?.trim().toLowerCase();
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
