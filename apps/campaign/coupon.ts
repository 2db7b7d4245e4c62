import { createHmac } from "node:crypto";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { couponKey } from "./logic.js";

/** Makes coupon codes for (campaign, e-mail). */
export type CouponCoder = (campaign: string, email: string) => string;

/**
 * Coupon codes are worth money: a keyed MAC (HMAC-SHA256) of (campaign, e-mail) under the
 * deployment's secret, so nobody without it can mint a code for an e-mail; within a deployment the
 * same pair always gets the same code (the promo queue's deduplication id relies on it), and two
 * deployments — two secrets — give the same member different codes.
 */
export function couponCoder(secret: string): CouponCoder {
  if (secret.length < 16) throw new Error("the coupon secret must be at least 16 characters");
  return (campaign, email) => {
    const mac = createHmac("sha256", secret).update(couponKey(campaign, email)).digest("hex");
    return `TW10-${mac.slice(0, 16).toUpperCase()}`;
  };
}

/** Reads the deployment's coupon secret (once, at cold start). */
export async function couponSecret(client: SecretsManagerClient, secretId: string): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (out.SecretString === undefined) throw new Error(`the secret ${secretId} has no string value`);
  return out.SecretString;
}
