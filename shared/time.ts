import { DecodeError } from "./errors.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
// Beyond these a timestamp is a producer bug (seconds sent as ms, a zero clock), not a reading.
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/** A reading's time: its own timestamp field (ISO-8601 or epoch ms), or the record's arrival time without one. */
export function readingTime(value: unknown, arrivalMs: number): number {
  if (value === undefined || value === null || value === "") return arrivalMs;
  if (typeof value !== "string" && typeof value !== "number") {
    throw new DecodeError("timestamp must be an ISO-8601 string or epoch milliseconds");
  }
  return parseTimestamp(value);
}

/** Parses an ISO-8601 time (with a zone) or epoch milliseconds into epoch milliseconds. */
export function parseTimestamp(raw: string | number): number {
  let ms: number;
  if (typeof raw === "number" || /^\d+(\.\d+)?$/.test(raw.trim())) {
    ms = typeof raw === "number" ? raw : Number(raw.trim());
  } else {
    const trimmed = raw.trim();
    if (!ISO.test(trimmed)) {
      // A local time without a zone is ambiguous by hours: say what is missing, not just "invalid".
      if (ISO.test(`${trimmed}Z`)) {
        throw new DecodeError(`timestamp "${trimmed.slice(0, 40)}" has no time zone: it needs Z or ±hh:mm`);
      }
      throw new DecodeError(`timestamp "${trimmed.slice(0, 40)}" is not ISO-8601 or epoch ms`);
    }
    ms = Date.parse(trimmed);
  }
  if (!Number.isFinite(ms)) throw new DecodeError(`timestamp "${String(raw).slice(0, 40)}" is not a valid time`);
  if (ms < EARLIEST || ms >= LATEST) {
    throw new DecodeError(`timestamp ${raw} is outside the years 2000–2100 (epoch milliseconds expected)`);
  }
  return Math.round(ms);
}
