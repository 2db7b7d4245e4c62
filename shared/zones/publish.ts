import { createHash } from "node:crypto";
import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import { asciiJson } from "../ascii-json.js";
import type { Alert } from "./zone.js";

/**
 * Publishes alerts to the FIFO alert topic. Exactly-once rests on two things: the alerts are
 * written to the zone item (the outbox) in the same conditional write as the state that raised
 * them, so a crash before publishing cannot lose them; and each carries a deduplication id
 * derived from (zone, record, rule), so publishing them again after a crash cannot double them.
 */
export async function publishAlerts(sns: SNSClient, topicArn: string, alerts: readonly Alert[]): Promise<void> {
  for (let start = 0; start < alerts.length; start += 10) {
    const chunk = alerts.slice(start, start + 10);
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: chunk.map((alert, i) => ({
          Id: String(i),
          Message: asciiJson(alert),
          MessageGroupId: groupId(alert.zone),
          MessageDeduplicationId: alertId(alert),
          MessageAttributes: {
            zone: { DataType: "String", StringValue: alert.zone },
            rule: { DataType: "String", StringValue: alert.rule },
            status: { DataType: "String", StringValue: alert.status },
          },
        })),
      }),
    );
    if (out.Failed && out.Failed.length > 0) {
      const first = out.Failed[0];
      throw new Error(`SNS refused ${out.Failed.length} alerts: ${first?.Code ?? ""} ${first?.Message ?? ""}`);
    }
  }
}

/** Unique to (zone, record, rule): the same transition always gets the same id. */
export function alertId(alert: Alert): string {
  return createHash("sha256").update(`${alert.zone}\u0000${alert.sequenceNumber}\u0000${alert.rule}`).digest("hex");
}

function groupId(zone: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(zone) ? zone : createHash("sha256").update(zone).digest("hex");
}
