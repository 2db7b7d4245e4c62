import { createHash } from "node:crypto";
import { expect, test } from "vitest";
import { couponCoder } from "#apps/campaign/coupon.js";
import { couponKey } from "#apps/campaign/logic.js";

const SECRET = "f3b1c0ffee-deployment-secret-9a7d";

test("a coupon code is stable within a deployment and unique to (campaign, e-mail)", () => {
  const codeOf = couponCoder(SECRET);
  expect(codeOf("Hoodie", "m@x.co")).toBe(couponCoder(SECRET)("Hoodie", "m@x.co"));
  expect(codeOf("Hoodie", "m@x.co")).toMatch(/^TW10-[0-9A-F]{16}$/);
  expect(new Set(["A", "B"].flatMap((c) => ["m@x.co", "n@x.co"].map((e) => codeOf(c, e)))).size).toBe(4);
});

test("a coupon code cannot be recomputed without the secret: it is no hash of what a customer knows", () => {
  const code = couponCoder(SECRET)("Hoodie", "m@x.co");
  const key = couponKey("Hoodie", "m@x.co");
  // The old unkeyed code, and any plain digest of the pair, give something else.
  for (const algorithm of ["sha256", "sha1", "md5", "sha512"]) {
    const digest = createHash(algorithm).update(key).digest("hex").toUpperCase();
    expect(code).not.toContain(digest.slice(0, 12));
  }
  // Another secret (another deployment, or a guess) gives another code for the same member.
  const guesses = ["", "secret", "tripwire", "0123456789abcdef", SECRET.slice(0, -1)].filter((g) => g.length >= 16);
  for (const guess of [...guesses, `${SECRET}x`]) expect(couponCoder(guess)("Hoodie", "m@x.co")).not.toBe(code);
  expect(() => couponCoder("short")).toThrow(/at least 16 characters/);
});
