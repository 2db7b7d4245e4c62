// LocalStack's lambda_integration.py, as the stream tests use it: a record whose data holds
// "raise_error" makes the invocation fail.
import type { KinesisStreamEvent } from "aws-lambda";

export const handler = async (event: KinesisStreamEvent) => {
  console.log("Lambda log message - print function");
  for (const record of event.Records ?? []) {
    const data = Buffer.from(record.kinesis.data, "base64").toString("utf8");
    if (data.includes("raise_error")) throw new Error("Test exception (this is intentional)");
  }
  return {};
};
