import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "vitest";
import { snsSigner } from "../../local/sns/envelope.js";
import { LocalSns, type QueueDelivery } from "../../local/sns/sns.js";

// SNS FIFO keeps order within a message group, not across the topic: a slow group does not hold
// the others back, and within a group each message waits for the one before it.

test("a FIFO topic delivers in order within each group, the groups side by side", async () => {
  const received: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const sns = new LocalSns({
    region: "us-east-1",
    account: "000000000000",
    signer: await snsSigner(),
    origin: () => "https://127.0.0.1",
    deliveries: {
      async toQueue(_queue: string, m: QueueDelivery) {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        // Group "slow" takes longer per message than "fast".
        await sleep(m.groupId === "slow" ? 20 : 2);
        received.push(`${m.groupId}:${m.body}`);
        inFlight--;
      },
      toFunction: async () => {},
      metric: () => {},
    },
  });
  const topic = sns.createTopic("alerts.fifo", { FifoTopic: "true", ContentBasedDeduplication: "true" });
  sns.subscribe(topic.arn, "sqs", "arn:aws:sqs:us-east-1:000000000000:alerts.fifo", { RawMessageDelivery: "true" });
  for (let i = 0; i < 5; i++) {
    for (const groupId of ["slow", "fast"]) {
      sns.publish({
        topicArn: topic.arn,
        message: `${i}`,
        subject: undefined,
        messageStructure: undefined,
        attributes: {},
        groupId,
        deduplicationId: `${groupId}-${i}`,
      });
    }
  }
  await sns.delivered();
  const of = (group: string) => received.filter((r) => r.startsWith(`${group}:`));
  expect(of("slow")).toEqual(["slow:0", "slow:1", "slow:2", "slow:3", "slow:4"]);
  expect(of("fast")).toEqual(["fast:0", "fast:1", "fast:2", "fast:3", "fast:4"]);
  // The fast group finished before the slow one got far: it did not wait behind it.
  expect(received.indexOf("fast:4")).toBeLessThan(received.indexOf("slow:2"));
  expect(mostInFlight).toBe(2);
});
