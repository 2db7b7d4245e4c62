import { UpdateShardCountCommand } from "@aws-sdk/client-kinesis";
import { afterEach, expect, test } from "vitest";
import type { Alert } from "#apps/zones/zone.js";
import { Ledger } from "../../local/accounting.js";
import { streamActive } from "../../local/cloudformation/deploy.js";
import type { LocalStack } from "../../local/stack.js";
import { dataLines } from "../helpers/data.js";
import { drainQueue } from "../helpers/emulators.js";
import { demoAlerts } from "../helpers/readings-scenario.js";
import { localStackForTests, putLines } from "../helpers/stack.js";

// Streams reshard: by UpdateShardCount, or by themselves in on-demand mode. The event-source runner
// must find the child shards, read a child only after its parents are read to their end (so a
// zone's readings stay in order), and lose nothing.

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

test.each([
  ["2 → 4 halfway", [4]],
  ["2 → 4 at a third, then 4 → 2 at two thirds", [4, 2]],
])(
  "readings put while the stream reshards (%s): every expected alert exactly once, nothing lost",
  async (_, counts) => {
    const ledger = new Ledger();
    stack = await localStackForTests({ onInvoke: ledger.onInvoke, onFailureDestination: ledger.onFailureDestination });
    const { kinesis, sqs } = stack.clients;
    const stream = stack.outputs.ReadingsStreamName;
    const lines = dataLines("readings.csv");
    const part = Math.ceil(lines.length / (counts.length + 1));
    for (let i = 0; i <= counts.length; i++) {
      await putLines(kinesis, stream, "readings", lines.slice(i * part, (i + 1) * part));
      const target = counts[i];
      if (target === undefined) continue;
      // While the runner is busy with what was just put, as a reshard under load would be.
      await kinesis.send(
        new UpdateShardCountCommand({ StreamName: stream, TargetShardCount: target, ScalingType: "UNIFORM_SCALING" }),
      );
      await streamActive(kinesis, stream);
    }
    await stack.runner?.drained(300_000);

    const { expected, asExpected, byZoneThenOrder } = demoAlerts();
    const alerts = (await drainQueue(sqs, stack.outputs.AlertQueueUrl)).map((m) => JSON.parse(m.Body ?? "") as Alert);
    expect(byZoneThenOrder(alerts.map(asExpected))).toEqual(byZoneThenOrder(expected));
    expect(await drainQueue(sqs, stack.outputs.ReadingsFailureQueueUrl, 200)).toEqual([]);
    expect(ledger.account(stream, [])).toEqual({
      processed: lines.length,
      rejected: 0,
      failureDestination: 0,
      total: lines.length,
    });
  },
);
