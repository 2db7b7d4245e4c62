import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { streamHandler } from "../../core/handler.js";
import { dynamoDocumentClient, sqsClient } from "../../shared/aws.js";
import { requireEnv } from "../../shared/env.js";
import { CAMPAIGN_ENV, campaignConfig } from "./config.js";
import { couponCoder, couponSecret } from "./coupon.js";
import { decodeConversion, decodeLoyalty } from "./decode.js";
import { couponSink, processConversions, processLoyalty } from "./service.js";
import { DynamoCampaignStore } from "./store.js";

type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/** The loyalty function: each record upserts its member, a blank field never erasing a known one. */
export function loyaltyHandler(): Handler {
  const config = campaignConfig();
  const store = new DynamoCampaignStore(dynamoDocumentClient(), config.campaignTable);
  return streamHandler({
    service: "loyalty",
    decode: (text) => decodeLoyalty(text),
    process: (records) => processLoyalty(records, store),
    metrics: ({ processed = 0 }) => ({ RecordsProcessed: processed }),
    rejectedQueueUrl: config.rejectedQueueUrl,
  });
}

/** The conversions function; its coupon secret is read before the handler is returned (once per cold start). */
export async function conversionsHandler(): Promise<Handler> {
  const config = campaignConfig();
  const deps = {
    store: new DynamoCampaignStore(dynamoDocumentClient(), config.campaignTable),
    coupons: couponSink(sqsClient(), config.promoQueueUrl),
    // The deployment's coupon secret, read once per cold start, before the first batch.
    codeOf: couponCoder(await couponSecret(new SecretsManagerClient({}), requireEnv(CAMPAIGN_ENV.couponSecretArn))),
  };
  return streamHandler({
    service: "conversions",
    decode: (text, ref) => decodeConversion(text, ref.arrivalMs),
    process: (records) => processConversions(records, deps),
    metrics: (c) => ({
      RecordsProcessed: c.processed ?? 0,
      DuplicatesSkipped: (c.duplicates ?? 0) + (c.replayed ?? 0),
      CouponsIssued: c.couponIssued ?? 0,
      MembersEnrolled: c.enrolled ?? 0,
      ConditionalWriteConflicts: c.conflicts ?? 0,
    }),
    rejectedQueueUrl: config.rejectedQueueUrl,
  });
}
