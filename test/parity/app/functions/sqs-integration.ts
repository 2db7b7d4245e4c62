// LocalStack's lambda_sqs_integration.py: one record, whose body names a destination queue and how
// many attempts to fail; each attempt's outcome and the event go to that queue.
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";

const sqs = new SQSClient({});

export const handler = async (event: SQSEvent) => {
  if (event.Records?.length !== 1) throw new Error("the payload must consist of exactly one record");
  const record = event.Records[0] as SQSEvent["Records"][number];
  const message = JSON.parse(record.body) as { destination?: string; fail_attempts: number };
  if (!message.destination) throw new Error("no destination for the event given");
  let error: Error | undefined;
  try {
    if (message.fail_attempts >= Number(record.attributes.ApproximateReceiveCount)) throw new Error("failed attempt");
  } catch (err) {
    error = err as Error;
    throw err;
  } finally {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: message.destination,
        MessageBody: JSON.stringify({ error: error ? String(error.message) : null, event }),
      }),
    );
  }
};
