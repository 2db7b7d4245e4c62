import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { dynamoDocumentClient, snsClient, sqsClient } from "#shared/aws.js";
import { zoneConfig } from "#shared/config.js";
import { observability } from "#shared/observability.js";
import { handleStreamBatch } from "#shared/stream-batch.js";
import { decodeReading } from "#shared/zones/reading.js";
import { processReadings, type ZoneBatchCounts } from "#shared/zones/service.js";
import { DynamoZoneStore } from "#shared/zones/store.js";

const config = zoneConfig();
const sqs = sqsClient();
const deps = {
  store: new DynamoZoneStore(dynamoDocumentClient(), config.zoneTable),
  sns: snsClient(),
  topicArn: config.alertTopicArn,
  rules: config.rules,
};
const obs = observability("readings");

/** Zone temperatures: a window of the last 500 readings per zone, four rules, ALARM and OK on SNS. */
export async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  const counts: ZoneBatchCounts = { applied: 0, replayed: 0, stale: 0, alarms: 0, oks: 0, conflicts: 0 };
  try {
    return await handleStreamBatch(event, {
      functionName: "readings",
      decode: (text, ref) => decodeReading(text, ref.arrivalMs),
      process: (records) => processReadings(records, deps, counts),
      sqs,
      rejectedQueueUrl: config.rejectedQueueUrl,
      onSummary: obs.summary,
      onError: obs.error,
    });
  } finally {
    obs.count("RecordsProcessed", counts.applied + counts.stale + counts.replayed);
    obs.count("ReadingsIgnoredStale", counts.stale);
    obs.count("DuplicatesSkipped", counts.replayed);
    obs.count("AlertsRaised", counts.alarms);
    obs.count("AlertsCleared", counts.oks);
    obs.count("ConditionalWriteConflicts", counts.conflicts);
    obs.metrics.publishStoredMetrics();
  }
}
