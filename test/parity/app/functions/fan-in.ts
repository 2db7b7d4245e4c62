// Many streams' function: prints each record's data (JSON) on a line of its own, and fails a batch
// holding a record that says raise_error.
import type { KinesisStreamEvent } from "aws-lambda";

export const handler = async (event: KinesisStreamEvent) => {
  for (const record of event.Records ?? []) {
    const data = Buffer.from(record.kinesis.data, "base64").toString("utf8");
    console.log(data);
    if (data.includes("raise_error")) throw new Error("Test exception (this is intentional)");
  }
  return {};
};
