import { createHash } from "node:crypto";
import { DecodeError } from "./errors.js";

// Deliberately permissive about the local part (plus signs, dots, apostrophes are real addresses)
// and strict about what cannot be one: spaces, a missing @ or a domain without a dot.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Trims and lower-cases an e-mail address, throwing a DecodeError when it is not one. */
export function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email === "") throw new DecodeError("e-mail is missing");
  if (email.length > 254) throw new DecodeError("e-mail is longer than 254 characters");
  const local = email.slice(0, email.lastIndexOf("@"));
  if (!EMAIL.test(email) || local.length > 64 || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    throw new DecodeError(`"${raw.trim().slice(0, 80)}" is not a valid e-mail address`);
  }
  return email;
}

/** A stable pseudonym for an e-mail, for logs and metrics: addresses never appear in the clear. */
export function emailHash(email: string): string {
  return createHash("sha256").update(email).digest("hex").slice(0, 16);
}
