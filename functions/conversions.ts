import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { CAMPAIGN_ENV, campaignConfig } from "#apps/campaign/config.js";
import { couponCoder, couponSecret } from "#apps/campaign/coupon.js";
import { decodeConversion } from "#apps/campaign/decode.js";
import { type ConversionCounts, processConversions } from "#apps/campaign/service.js";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import { dynamoDocumentClient, sqsClient } from "#shared/aws.js";
import { requireEnv } from "#shared/env.js";
import { observability } from "#shared/observability.js";
import { handleStreamBatch } from "#shared/stream-batch.js";

const config = campaignConfig();
const sqs = sqsClient();
const store = new DynamoCampaignStore(dynamoDocumentClient(), config.campaignTable);
const obs = observability("conversions");
// The deployment's coupon secret, read once per cold start (module initialisation, before any batch).
const codeOf = couponCoder(await couponSecret(new SecretsManagerClient({}), requireEnv(CAMPAIGN_ENV.couponSecretArn)));

/** Ad conversions: clicks earn members a coupon, purchases enrol, every campaign's figures add up. */
export async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  const counts: ConversionCounts = {
    processed: 0,
    duplicates: 0,
    replayed: 0,
    coupons: 0,
    enrolled: 0,
    conflicts: 0,
  };
  try {
    return await handleStreamBatch(event, {
      functionName: "conversions",
      decode: (text, ref) => decodeConversion(text, ref.arrivalMs),
      process: (records) =>
        processConversions(records, { store, sqs, promoQueueUrl: config.promoQueueUrl, codeOf }, counts),
      sqs,
      rejectedQueueUrl: config.rejectedQueueUrl,
      onSummary: obs.summary,
      onError: obs.error,
    });
  } finally {
    obs.count("RecordsProcessed", counts.processed);
    obs.count("DuplicatesSkipped", counts.duplicates + counts.replayed);
    obs.count("CouponsIssued", counts.coupons);
    obs.count("MembersEnrolled", counts.enrolled);
    obs.count("ConditionalWriteConflicts", counts.conflicts);
    obs.metrics.publishStoredMetrics();
  }
}
