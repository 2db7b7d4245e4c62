import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, test } from "vitest";
import { DecodeError } from "#shared/errors.js";
import { type RejectedRecord, rejectionSink } from "../../core/rejects.js";
import { handleStreamBatch } from "../../core/stream-batch.js";
import { kinesisRecord } from "../helpers/events.js";

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: "us-east-1" });
beforeEach(() => sqsMock.reset());

const decode = (text: string) => {
  if (text.startsWith("bad")) throw new DecodeError(`"${text}" is bad`);
  if (text.startsWith("bug")) throw new TypeError("cannot read properties of undefined");
  return text.toUpperCase();
};
const sentRejections = () =>
  sqsMock
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.MessageBody ?? "") as RejectedRecord);

describe("the batch pipeline every handler shares", () => {
  test("a bad record goes to the rejected queue with where it came from and why; the rest is processed", async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: "0", MessageId: "m", MD5OfMessageBody: "" }] });
    const processed: string[] = [];
    const records = [
      kinesisRecord("one", { partitionKey: "k1", stream: "tw-readings" }),
      kinesisRecord("bad two", { partitionKey: "k2", stream: "tw-readings", shardId: "shardId-000000000003" }),
      kinesisRecord("three"),
    ];
    const response = await handleStreamBatch(
      { Records: records },
      {
        functionName: "readings",
        decode,
        process: async (good) => {
          processed.push(...good.map((g) => g.event));
          return { failed: new Set() };
        },
        rejections: rejectionSink(sqs, "https://sqs/rejected"),
      },
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(processed).toEqual(["ONE", "THREE"]);
    expect(sentRejections()).toEqual([
      expect.objectContaining({
        stream: "tw-readings",
        shardId: "shardId-000000000003",
        sequenceNumber: records[1]?.kinesis.sequenceNumber,
        partitionKey: "k2",
        data: Buffer.from("bad two").toString("base64"),
        reason: '"bad two" is bad',
        function: "readings",
      }),
    ]);
  });

  test("a decoder bug rejects the record with what went wrong instead of stalling the shard", async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({});
    await handleStreamBatch(
      { Records: [kinesisRecord("bug")] },
      { functionName: "f", decode, process: async () => ({ failed: new Set() }), rejections: rejectionSink(sqs, "q") },
    );
    expect(sentRejections()[0]?.reason).toBe("could not decode: cannot read properties of undefined");
  });

  test("a rejection the queue does not take is reported failed, so that Lambda delivers it again", async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new Error("SQS down"));
    const records = [kinesisRecord("ok"), kinesisRecord("bad")];
    const errors: unknown[] = [];
    const response = await handleStreamBatch(
      { Records: records },
      {
        functionName: "f",
        decode,
        process: async () => ({ failed: new Set() }),
        rejections: rejectionSink(sqs, "q"),
        onError: (err) => errors.push(err),
      },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.kinesis.sequenceNumber }]);
    expect(errors).toHaveLength(1);
  });

  test("a rejection the queue refuses comes again, with every rejection after it", async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: "1", Code: "InternalError", SenderFault: false }] });
    const records = [kinesisRecord("bad one"), kinesisRecord("bad two"), kinesisRecord("fine"), kinesisRecord("bad 3")];
    const response = await handleStreamBatch(
      { Records: records },
      { functionName: "f", decode, process: async () => ({ failed: new Set() }), rejections: rejectionSink(sqs, "q") },
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      [records[1], records[3]].map((r) => r?.kinesis.sequenceNumber),
    );
  });

  test("when the work throws, every good record is reported failed, in sequence order", async () => {
    const records = [kinesisRecord("a"), kinesisRecord("b")];
    const response = await handleStreamBatch(
      { Records: records },
      {
        functionName: "f",
        decode,
        process: async () => {
          throw new Error("DynamoDB unreachable");
        },
        rejections: rejectionSink(sqs, "q"),
      },
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      records.map((r) => r.kinesis.sequenceNumber),
    );
  });
});
