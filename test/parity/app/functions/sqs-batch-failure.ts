// LocalStack's lambda_sqs_batch_item_failure.py: a record whose body's fail_attempts is at least its
// receive count is reported failed; the event and the result go to DESTINATION_QUEUE_URL; the result
// may be overwritten by OVERWRITE_RESULT (JSON where it parses) to provoke Lambda's handling of it.
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";

const sqs = new SQSClient({});

export const handler = async (event: SQSEvent) => {
  console.log("incoming event:");
  console.log(JSON.stringify(event));
  if (!event.Records?.length) throw new Error("no records passed to event");
  const failed: string[] = [];
  for (const record of event.Records) {
    const message = JSON.parse(record.body) as { fail_attempts?: number };
    if (message.fail_attempts === undefined) throw new Error("no fail_attempts for the event given");
    if (message.fail_attempts >= Number(record.attributes.ApproximateReceiveCount)) failed.push(record.messageId);
  }
  let result: unknown = { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  const overwrite = process.env.OVERWRITE_RESULT;
  if (overwrite !== undefined) {
    try {
      result = JSON.parse(overwrite);
    } catch {
      result = overwrite;
    }
  }
  const destination = process.env.DESTINATION_QUEUE_URL;
  if (destination) {
    await sqs.send(new SendMessageCommand({ QueueUrl: destination, MessageBody: JSON.stringify({ event, result }) }));
  }
  return result;
};
