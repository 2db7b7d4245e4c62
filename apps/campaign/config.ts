import { COMMON_ENV } from "../../shared/config.js";
import { requireEnv } from "../../shared/env.js";

/** The campaign functions' environment. */
export const CAMPAIGN_ENV = {
  campaignTable: "CAMPAIGN_TABLE",
  promoQueueUrl: "PROMO_QUEUE_URL",
  couponSecretArn: "COUPON_SECRET_ARN",
} as const;

export interface CampaignConfig {
  readonly campaignTable: string;
  readonly promoQueueUrl: string;
  readonly rejectedQueueUrl: string;
}

export function campaignConfig(env: NodeJS.ProcessEnv = process.env): CampaignConfig {
  return {
    campaignTable: requireEnv(CAMPAIGN_ENV.campaignTable, env),
    promoQueueUrl: requireEnv(CAMPAIGN_ENV.promoQueueUrl, env),
    rejectedQueueUrl: requireEnv(COMMON_ENV.rejectedQueueUrl, env),
  };
}
