import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterEach, expect, test } from "vitest";
import { ZONE_ENV } from "#apps/zones/config.js";
import type { Alert } from "#apps/zones/zone.js";
import { TemplateError } from "../../local/cloudformation/intrinsics.js";
import { freePort } from "../../local/emulators/emulators.js";
import type { InvokeInfo } from "../../local/lambda/kinesis-poller.js";
import type { LocalStack } from "../../local/stack.js";
import { drainQueue } from "../helpers/emulators.js";
import { editedAssembly, localStackForTests, putLines, resourcesOf } from "../helpers/stack.js";

// The local stack is the synthesized template, run: what the template says is what runs, and a
// change to the template is a change to the local stack, with no second description to update.

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

test("an assembly edited to add a queue, change a batch size and an environment value changes the local stack", async () => {
  const app = editedAssembly((template) => {
    template.Resources.AuditQueue = { Type: "AWS::SQS::Queue", Properties: { VisibilityTimeout: 45 } };
    (template as unknown as { Outputs: Record<string, unknown> }).Outputs.AuditQueueUrl = {
      Value: { Ref: "AuditQueue" },
    };
    for (const [id, m] of resourcesOf(template, "AWS::Lambda::EventSourceMapping")) {
      if (id.startsWith("ReadingsFunction")) m.Properties.BatchSize = 7;
    }
    for (const [id, fn] of resourcesOf(template, "AWS::Lambda::Function")) {
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      if (id.startsWith("Readings")) vars[ZONE_ENV.rules] = JSON.stringify({ highTemperature: { thresholdF: 50 } });
    }
  });
  const invocations: InvokeInfo[] = [];
  stack = await localStackForTests({ onInvoke: (i) => invocations.push(i) }, undefined, { app });
  const { sqs, kinesis } = stack.clients;

  const url = (stack.outputs as unknown as Record<string, string>).AuditQueueUrl ?? "";
  expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/000000000000\/Tripwire-AuditQueue$/);
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["VisibilityTimeout"] }),
  );
  expect(attributes.Attributes?.VisibilityTimeout).toBe("45");

  const readings = Array.from({ length: 30 }, (_, i) => `d${i}, lobby, 60`);
  await putLines(kinesis, stack.outputs.ReadingsStreamName, "readings", readings);
  await stack.runner?.drained();
  const sizes = invocations
    .filter((i) => i.streamName === stack?.outputs.ReadingsStreamName)
    .map((i) => i.sequenceNumbers.length);
  expect(Math.max(...sizes)).toBe(7);
  // 60 °F is hot under the edited threshold of 50: the function read the template's value.
  const alerts = (await drainQueue(sqs, stack.outputs.AlertQueueUrl, 500)).map(
    (m) => JSON.parse(m.Body ?? "") as Alert,
  );
  expect(alerts.filter((a) => a.rule === "HIGH_TEMPERATURE").map((a) => a.status)).toEqual(["ALARM"]);
});

test.each([
  // SQS's concurrency cap: not a setting of a Kinesis mapping (Lambda refuses it there).
  [{ ScalingConfig: { MaximumConcurrency: 2 } }, /ScalingConfig belong to a queue's mapping, not a stream's/],
  [
    { TumblingWindowInSeconds: 60, ParallelizationFactor: 2 },
    /TumblingWindowInSeconds with a ParallelizationFactor above 1/,
  ],
  [{ ParallelizationFactor: 11 }, /ParallelizationFactor 11 must be 1 to 10/],
])(
  "an event-source mapping setting the local stack cannot honour (%o) stops the start with its name",
  async (set, said) => {
    const app = editedAssembly((template) => {
      for (const [, m] of resourcesOf(template, "AWS::Lambda::EventSourceMapping")) Object.assign(m.Properties, set);
    });
    const started = localStackForTests({}, undefined, { app });
    await expect(started).rejects.toThrow(TemplateError);
    await expect(started).rejects.toThrow(said);
  },
);

test("an alarm edited to watch a queue that does not exist is named at start as one that can never fire", async () => {
  const app = editedAssembly((template) => {
    for (const [id, alarm] of resourcesOf(template, "AWS::CloudWatch::Alarm")) {
      if (id.startsWith("RejectedRecordsAlarm"))
        alarm.Properties.Dimensions = [{ Name: "QueueName", Value: "no-such-queue" }];
    }
  });
  const stack = await localStackForTests({}, undefined, { app, runFunctions: false });
  try {
    expect(stack.notes.filter((n) => n.includes("can never fire"))).toEqual([
      expect.stringMatching(
        /^alarm RejectedRecordsAlarm\w+ can never fire: its QueueName no-such-queue names no AWS::SQS::Queue of the template$/,
      ),
    ]);
  } finally {
    await stack.stop();
  }
});

test("a start that fails at a late stage stops the stages before it: no emulator left, the endpoint's port free", async () => {
  const children = () =>
    execFileSync("ps", ["-o", "pid=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && l !== String(process.pid));
  const before = new Set(children());
  const port = await freePort();
  // The template reads well; only Kinesis, once the emulators run, refuses a stream of no shards.
  const app = editedAssembly((template) => {
    template.Resources.EmptyStream = { Type: "AWS::Kinesis::Stream", Properties: { ShardCount: 0 } };
  });
  await expect(localStackForTests({}, undefined, { app, port })).rejects.toThrow(/ShardCount|shard/i);
  // `ps` itself is a child while it runs: only processes started by the stack count.
  expect(children().filter((pid) => !before.has(pid)).length).toBeLessThanOrEqual(1);
  await expect(
    new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve("connected"));
      socket.on("error", reject);
    }),
  ).rejects.toThrow(/ECONNREFUSED/);
});
