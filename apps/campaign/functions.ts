import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { dynamoDocumentClient, sqsClient } from "../../shared/aws.js";
import { requireEnv } from "../../shared/env.js";
import { observability } from "../../shared/observability.js";
import { handleStreamBatch } from "../../shared/stream-batch.js";
import { CAMPAIGN_ENV, campaignConfig } from "./config.js";
import { couponCoder, couponSecret } from "./coupon.js";
import { decodeConversion, decodeLoyalty } from "./decode.js";
import { type ConversionCounts, processConversions, processLoyalty } from "./service.js";
import { DynamoCampaignStore } from "./store.js";

type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/** The loyalty function: each record upserts its member, a blank field never erasing a known one. */
export function loyaltyHandler(): Handler {
  const config = campaignConfig();
  const sqs = sqsClient();
  const store = new DynamoCampaignStore(dynamoDocumentClient(), config.campaignTable);
  const obs = observability("loyalty");

  return async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    let processed = 0;
    try {
      return await handleStreamBatch(event, {
        functionName: "loyalty",
        decode: (text) => decodeLoyalty(text),
        process: async (records) => {
          const outcome = await processLoyalty(records, store);
          processed = records.length - outcome.failed.size;
          return outcome;
        },
        sqs,
        rejectedQueueUrl: config.rejectedQueueUrl,
        onSummary: obs.summary,
        onError: obs.error,
      });
    } finally {
      obs.count("RecordsProcessed", processed);
      obs.metrics.publishStoredMetrics();
    }
  };
}

/** The conversions function; its coupon secret is read before the handler is returned (once per cold start). */
export async function conversionsHandler(): Promise<Handler> {
  const config = campaignConfig();
  const sqs = sqsClient();
  const store = new DynamoCampaignStore(dynamoDocumentClient(), config.campaignTable);
  const obs = observability("conversions");
  // The deployment's coupon secret, read once per cold start, before the first batch.
  const codeOf = couponCoder(
    await couponSecret(new SecretsManagerClient({}), requireEnv(CAMPAIGN_ENV.couponSecretArn)),
  );

  return async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
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
  };
}
