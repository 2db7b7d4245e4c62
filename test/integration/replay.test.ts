import { CreateQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { KinesisStreamEvent } from "aws-lambda";
import { expect, test } from "vitest";
import { replay } from "../../cli/replay.js";
import { DEFAULT_EVENT_SOURCE } from "../../infra/event-sources.js";
import { EventSourceRunner } from "../../local/lambda/kinesis-poller.js";
import { putRecords } from "../../shared/producer.js";
import { createStream, emulatorsForFile, testMapping } from "../helpers/emulators.js";

const file = emulatorsForFile();

test("records in the failure destination are reported, then put back and processed once the fault is fixed", async () => {
  await createStream(file.clients.kinesis, "replay-test", 2);
  const failureQueueUrl = (await file.clients.sqs.send(new CreateQueueCommand({ QueueName: "replay-failures" })))
    .QueueUrl as string;
  const lines = Array.from({ length: 30 }, (_, i) => (i % 10 === 3 ? `poison-${i}` : `ok-${i}`));
  await putRecords(
    file.clients.kinesis,
    "replay-test",
    lines.map((line, i) => ({ data: Buffer.from(line), partitionKey: `key-${i % 4}` })),
  );
  let fixed = false;
  const processed: string[] = [];
  const handler = async (event: KinesisStreamEvent) => {
    const texts = event.Records.map((r) => Buffer.from(r.kinesis.data, "base64").toString());
    if (!fixed && texts.some((t) => t.startsWith("poison"))) throw new Error("cannot handle poison yet");
    processed.push(...texts);
  };
  const runner = new EventSourceRunner(
    [
      testMapping(file.clients, {
        functionName: "replay",
        streamName: "replay-test",
        handler,
        settings: { ...DEFAULT_EVENT_SOURCE, retryAttempts: 1, maxBatchingWindowSeconds: 0 },
        failureQueueUrl,
      }),
    ],
    { pollIntervalMs: 50, retryDelayMs: 10, discoverIntervalMs: 100 },
  );
  await runner.start();
  await runner.drained();
  expect(processed.sort()).toEqual(lines.filter((l) => l.startsWith("ok")).sort());

  const report: string[] = [];
  const reported = await replay(file.clients, failureQueueUrl, "replay-test", {
    reput: false,
    print: (l) => report.push(l),
  });
  expect(reported).toEqual({ ranges: 3, records: 3, reput: false });
  expect(report.join("\n")).toContain("poison-13");

  fixed = true;
  const replayed = await replay(file.clients, failureQueueUrl, "replay-test", { reput: true, print: () => undefined });
  expect(replayed).toEqual({ ranges: 3, records: 3, reput: true });
  await runner.drained();
  await runner.stop();
  expect(processed.filter((t) => t.startsWith("poison")).sort()).toEqual(["poison-13", "poison-23", "poison-3"]);
  const left = await file.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: failureQueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  expect(left.Attributes?.ApproximateNumberOfMessages).toBe("0");
});
