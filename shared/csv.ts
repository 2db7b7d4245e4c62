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

/** A record that starts like JSON is read as JSON (and must then be an object). */
export function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === "{" || first === "[";
}
