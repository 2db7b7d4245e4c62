import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { campaignConfig } from "#apps/campaign/config.js";
import { decodeLoyalty } from "#apps/campaign/decode.js";
import { processLoyalty } from "#apps/campaign/service.js";
import { DynamoCampaignStore } from "#apps/campaign/store.js";
import { dynamoDocumentClient, sqsClient } from "#shared/aws.js";
import { observability } from "#shared/observability.js";
import { handleStreamBatch } from "#shared/stream-batch.js";

const config = campaignConfig();
const sqs = sqsClient();
const store = new DynamoCampaignStore(dynamoDocumentClient(), config.campaignTable);
const obs = observability("loyalty");

/** The loyalty list: each record upserts its member, a blank field never erasing a known one. */
export async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
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
}
