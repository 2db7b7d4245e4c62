import { PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, test } from "vitest";
import { deduplicationId, SendError, snsSink, sqsSink } from "../../core/sinks.js";

// The one send convention every destination keeps: all sent, or a SendError saying how many, from
// the first on, were. The AWS clients are stood in for; the chunking and the convention are real.

const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);
beforeEach(() => {
  sqsMock.reset();
  snsMock.reset();
});

const message = (n: number) => ({ body: { n }, group: `g${n % 2}`, identity: ["out", String(n)] });
const outputs = (count: number) => Array.from({ length: count }, (_, i) => i);
const sentBodies = () =>
  sqsMock.commandCalls(SendMessageBatchCommand).map((c) => (c.args[0].input.Entries ?? []).map((e) => e.MessageBody));

describe("sinks", () => {
  test("outputs go in order, ten to a call, with their group and a deduplication id from their identity", async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({});
    await sqsSink(new SQSClient({}), "q", message).send(outputs(23));
    expect(sentBodies().map((chunk) => chunk.length)).toEqual([10, 10, 3]);
    expect(sentBodies().flat()).toEqual(outputs(23).map((n) => JSON.stringify({ n })));
    const first = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[1];
    expect(first).toMatchObject({ MessageGroupId: "g1", MessageDeduplicationId: deduplicationId(["out", "1"]) });
  });

  test("a call is cut short of the services' 256 KiB", async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({});
    const big = (n: number) => ({ body: { n, pad: "x".repeat(60_000) } });
    await sqsSink(new SQSClient({}), "q", big).send(outputs(7));
    expect(sentBodies().map((chunk) => chunk.length)).toEqual([3, 3, 1]);
  });

  test("a refused entry stops the send: the error says how many went before it", async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({})
      .resolvesOnce({
        Failed: [
          { Id: "6", Code: "InternalError", SenderFault: false },
          { Id: "4", SenderFault: false, Code: "x" },
        ],
      });
    const sent = await sqsSink(new SQSClient({}), "q", message)
      .send(outputs(25))
      .catch((err: unknown) => err);
    expect(sent).toBeInstanceOf(SendError);
    expect((sent as SendError).sent).toBe(14);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });

  test("a call that fails outright is a SendError too, with its cause", async () => {
    const down = new Error("connect ECONNREFUSED");
    snsMock.on(PublishBatchCommand).rejects(down);
    const sent = await snsSink(new SNSClient({}), "arn:aws:sns:us-east-1:1:t.fifo", message)
      .send(outputs(3))
      .catch((err: unknown) => err);
    expect(sent).toMatchObject({ name: "SendError", sent: 0, cause: down });
  });
});
