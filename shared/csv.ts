import { DecodeError } from "./errors.js";

/** Splits one CSV line as the marketing team writes it: commas, optional spaces, empty fields. */
export function csvFields(line: string): string[] {
  return line.split(",").map((field) => field.trim());
}

/** Parses a JSON object record, or throws a DecodeError saying why it is not one. */
export function jsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DecodeError("record starts like JSON but is not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DecodeError("JSON record must be an object");
  }
  return value as Record<string, unknown>;
}

const ID = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;

/** An identifier field (a device, zone or server id): 1–128 printable ASCII characters, trimmed. */
export function identifier(value: unknown, what: string): string {
  if (typeof value !== "string") throw new DecodeError(`${what} must be a string`);
  const id = value.trim();
  if (id === "") throw new DecodeError(`${what} is missing`);
  if (!ID.test(id)) throw new DecodeError(`${what} must be 1–128 printable ASCII characters`);
  return id;
}

/** A record that starts like JSON is read as JSON (and must then be an object). */
export function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === "{" || first === "[";
}
