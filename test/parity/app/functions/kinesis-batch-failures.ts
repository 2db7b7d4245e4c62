// LocalStack's lambda_report_batch_item_failures_kinesis.py: a record whose JSON says should_fail is
// reported failed by its sequence number.
import type { KinesisStreamEvent } from "aws-lambda";

export const handler = async (event: KinesisStreamEvent) => {
  console.log(JSON.stringify(event));
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records ?? []) {
    const payload = JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8")) as {
      should_fail?: boolean;
    };
    if (payload.should_fail) batchItemFailures.push({ itemIdentifier: record.kinesis.sequenceNumber });
  }
  return { batchItemFailures };
};
