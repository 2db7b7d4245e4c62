import { setTimeout as sleep } from "node:timers/promises";
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { StateChange } from "../../local/cloudwatch/alarms.js";
import type { LocalStack } from "../../local/stack.js";
import { dataLines } from "../helpers/data.js";
import { drainQueue } from "../helpers/queues.js";
import { awsCli, editedAssembly, localStackForTests, putLines, resourcesOf } from "../helpers/stack.js";

// The template's alarms run on the local stack as CloudWatch runs them (a minute lasts three seconds
// here: --alarm-time-scale 20; at 60 a one-second period could fall between two failing polls of a
// loaded CI machine, and the errors alarm — three failing periods in a row — cleared mid-test). The readings role lacks dynamodb:PutItem, as the grant that once
// hid did: its errors alarm and its failure-destination alarm go to ALARM — printed, listed by the
// AWS CLI and the SDK, published to an SNS action — and back to OK when the condition clears. Bad
// input fires the rejected-records alarm as its threshold and period say.

const SCALE = 20;
let stack: LocalStack;
const changes: StateChange[] = [];

beforeAll(async () => {
  const app = editedAssembly((template) => {
    for (const [id, policy] of resourcesOf(template, "AWS::IAM::Policy")) {
      if (!id.startsWith("ReadingsRole")) continue;
      const doc = policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
      for (const s of doc.Statement) s.Action = [s.Action].flat().filter((a) => a !== "dynamodb:PutItem");
    }
    // An operator's topic on the errors alarm, and a queue subscribed to it to read what is published.
    template.Resources.OpsTopic = { Type: "AWS::SNS::Topic", Properties: {} };
    template.Resources.OpsQueue = { Type: "AWS::SQS::Queue", Properties: {} };
    template.Resources.OpsSubscription = {
      Type: "AWS::SNS::Subscription",
      Properties: { Protocol: "sqs", TopicArn: { Ref: "OpsTopic" }, Endpoint: { "Fn::GetAtt": ["OpsQueue", "Arn"] } },
    };
    // SNS delivers to a queue only as its policy lets sns.amazonaws.com send, for this topic (as in an account).
    template.Resources.OpsQueuePolicy = {
      Type: "AWS::SQS::QueuePolicy",
      Properties: {
        Queues: [{ Ref: "OpsQueue" }],
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "sns.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: { "Fn::GetAtt": ["OpsQueue", "Arn"] },
              Condition: { ArnEquals: { "aws:SourceArn": { Ref: "OpsTopic" } } },
            },
          ],
        },
      },
    };
    const [errorsAlarm] = resourcesOf(template, "AWS::CloudWatch::Alarm").filter(([id]) =>
      id.startsWith("ReadingsErrorsAlarm"),
    );
    if (!errorsAlarm) throw new Error("the template has no readings errors alarm");
    errorsAlarm[1].Properties.AlarmActions = [{ Ref: "OpsTopic" }];
    errorsAlarm[1].Properties.OKActions = [{ Ref: "OpsTopic" }];
  });
  stack = await localStackForTests({}, undefined, {
    app,
    alarmTimeScale: SCALE,
    onAlarm: (change) => changes.push(change),
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const alarmNamed = (prefix: string) => {
  const name = [...(stack.cloudwatch.alarms?.alarms.keys() ?? [])].find((n) => n.startsWith(`Tripwire-${prefix}`));
  if (name === undefined) throw new Error(`no alarm ${prefix}`);
  return name;
};

async function untilState(names: readonly string[], state: string, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  const stateOf = (n: string) => stack.cloudwatch.alarms?.alarms.get(n)?.state;
  while (names.some((n) => stateOf(n) !== state)) {
    if (Date.now() > deadline) {
      throw new Error(`not all ${state} within ${withinMs} ms: ${names.map((n) => `${n}=${stateOf(n)}`).join(", ")}`);
    }
    await sleep(200);
  }
}

/** `aws cloudwatch describe-alarms --state-value STATE` as a user runs it against the local endpoint. */
async function cliAlarmNames(state: string): Promise<string[]> {
  const stdout = await awsCli(stack, [
    "cloudwatch",
    "describe-alarms",
    "--state-value",
    state,
    "--query",
    "MetricAlarms[].AlarmName",
    "--output",
    "json",
  ]);
  return JSON.parse(stdout) as string[];
}

test("a role without dynamodb:PutItem: the errors and failure-destination alarms go to ALARM, are listed and published, and clear", async () => {
  const errors = alarmNamed("ReadingsErrorsAlarm");
  const failures = alarmNamed("ReadingsFailureDestinationAlarm");
  await untilState([errors, failures], "OK");

  // Readings keep coming, as they do: every batch fails for as long as they do. The errors alarm wants
  // three periods in a row with failures (a passing burst that a retry absorbs is not worth a page).
  const lines = dataLines("readings.csv");
  // (They keep coming while the alarms are read below: with a minute lasting a second, the errors
  // alarm would otherwise clear before the AWS CLI has started.)
  let feed = true;
  const feeding = (async () => {
    for (let i = 0; feed && i < 400; i++) {
      await putLines(
        stack.clients.kinesis,
        stack.outputs.ReadingsStreamName,
        "readings",
        lines.slice((i * 5) % 2995, ((i * 5) % 2995) + 5),
      );
      await sleep(250);
    }
  })();
  try {
    await untilState([errors, failures], "ALARM");
    await whileFailing(errors, failures);
  } finally {
    feed = false;
    await feeding;
  }

  // The readings stop; the records gave up to the failure destination; once it is read, both clear.
  await stack.runner?.drained();
  await drainQueue(stack.clients.sqs, stack.outputs.ReadingsFailureQueueUrl, 500);
  await untilState([errors, failures], "OK");
  expect(await cliAlarmNames("ALARM")).toEqual([]);
  const cleared = await drainQueue(stack.clients.sqs, opsQueueUrl(), 1000);
  expect(cleared.map((m) => (JSON.parse(m.Body ?? "{}") as { Subject: string }).Subject)).toContain(
    `OK: "${errors}" in US East (N. Virginia)`,
  );
  await expectMetricsOfFailingReadings();
}, 120_000);

/** What holds while the readings fail: who fired, why, what the CLI, the SDK and the SNS action say. */
async function whileFailing(errors: string, failures: string): Promise<void> {
  const toAlarm = changes.filter((c) => c.to === "ALARM").map((c) => c.alarm.name);
  expect(toAlarm).toEqual(expect.arrayContaining([errors, failures]));
  // Nothing else is wrong with this stack: no other alarm fired.
  const seen = changes.map((c) => `${c.alarm.name}: ${c.from} → ${c.to} (${c.reason})`).join("\n");
  expect(
    toAlarm.filter((n) => n !== errors && n !== failures),
    seen,
  ).toEqual([]);
  expect(changes.find((c) => c.alarm.name === errors && c.to === "ALARM")?.reason).toMatch(
    /^Threshold Crossed: \d out of the last 3 datapoints \[.*\] (was|were) greater than the threshold \(0\.0\)/,
  );

  // The AWS CLI (RPC v2 CBOR) and the SDK (JSON 1.0) list them, through AWS_ENDPOINT_URL.
  expect((await cliAlarmNames("ALARM")).sort()).toEqual([errors, failures].sort());
  const listed = await cloudwatchClient().send(new DescribeAlarmsCommand({ StateValue: "ALARM" }));
  expect((listed.MetricAlarms ?? []).map((a) => a.AlarmName).sort()).toEqual([errors, failures].sort());
  expect(listed.MetricAlarms?.[0]?.StateUpdatedTimestamp).toBeInstanceOf(Date);

  // The alarm's SNS action got CloudWatch's message.
  const published = (await drainQueue(stack.clients.sqs, opsQueueUrl(), 1000)).map(
    (m) => JSON.parse(m.Body ?? "{}") as { Subject: string; Message: string },
  );
  const alarmed = published.find((p) => p.Subject.startsWith("ALARM"));
  expect(alarmed?.Subject).toBe(`ALARM: "${errors}" in US East (N. Virginia)`);
  expect(JSON.parse(alarmed?.Message ?? "{}")).toMatchObject({
    AlarmName: errors,
    NewStateValue: "ALARM",
    AWSAccountId: "000000000000",
    Trigger: { ComparisonOperator: "GreaterThanThreshold", Threshold: 0, EvaluationPeriods: 3 },
  });
}

async function expectMetricsOfFailingReadings(): Promise<void> {
  // The graphs' data, as GetMetricData answers it: the function was invoked again and again, and
  // not one invocation was a Lambda error — a partial batch response hands records back instead —
  // which is why the errors alarm adds the records handed back (RecordsRetried, from the function's
  // own embedded metrics). On Errors alone it never left OK.
  const fn = [...stack.hosts.values()].find((h) => h.spec.logicalId.startsWith("Readings"))?.spec.functionName;
  const lambda = (MetricName: string) => ({
    Metric: { Namespace: "AWS/Lambda", MetricName, Dimensions: [{ Name: "FunctionName", Value: fn }] },
    Period: 60,
    Stat: "Sum",
  });
  const data = await cloudwatchClient().send(
    new GetMetricDataCommand({
      StartTime: new Date(Date.now() - 10 * 60_000),
      EndTime: new Date(Date.now() + 60_000),
      MetricDataQueries: [
        { Id: "invocations", MetricStat: lambda("Invocations") },
        { Id: "errors", MetricStat: lambda("Errors") },
        {
          // Sampled while the failure queue filled: its oldest record's age (in scaled seconds).
          Id: "age",
          MetricStat: {
            Metric: {
              Namespace: "AWS/SQS",
              MetricName: "ApproximateAgeOfOldestMessage",
              Dimensions: [{ Name: "QueueName", Value: stack.outputs.ReadingsFailureQueueUrl.split("/").pop() }],
            },
            Period: 60,
            Stat: "Maximum",
          },
        },
        {
          Id: "retried",
          MetricStat: {
            Metric: {
              Namespace: "Tripwire",
              MetricName: "RecordsRetried",
              Dimensions: [{ Name: "service", Value: "readings" }],
            },
            Period: 60,
            Stat: "Sum",
          },
        },
      ],
    }),
  );
  const total = (id: string) =>
    (data.MetricDataResults?.find((r) => r.Id === id)?.Values ?? []).reduce((a, b) => a + b, 0);
  expect(total("invocations")).toBeGreaterThan(5);
  expect(total("errors"), JSON.stringify(data.MetricDataResults)).toBe(0);
  expect(total("retried")).toBeGreaterThan(0);
  expect(Math.max(...(data.MetricDataResults?.find((r) => r.Id === "age")?.Values ?? []))).toBeGreaterThan(0);
}

test("bad input fires the rejected-records alarm as its threshold and period say", async () => {
  const rejected = alarmNamed("RejectedRecordsAlarm");
  await untilState([rejected], "OK");
  await putLines(stack.clients.kinesis, stack.outputs.CpuStreamName, "cpu", ["not a cpu reading"]);
  await untilState([rejected], "ALARM");
  const change = changes.find((c) => c.alarm.name === rejected && c.to === "ALARM");
  expect(change?.reason).toMatch(
    /^Threshold Crossed: 1 out of the last 1 datapoints \[1\.0 .*\] was greater than the threshold \(0\.0\)/,
  );
  await drainQueue(stack.clients.sqs, stack.outputs.RejectedQueueUrl, 500);
  // A five-minute period (five seconds here) with the queue empty clears it.
  await untilState([rejected], "OK", (3 * 5 * 60_000) / SCALE);
}, 120_000);

function cloudwatchClient(): CloudWatchClient {
  return new CloudWatchClient(stack.gateway.clientConfig());
}

function opsQueueUrl(): string {
  const queue = stack.stacks[0]?.resources.find((r) => r.logicalId === "OpsQueue");
  if (!queue) throw new Error("no OpsQueue");
  return queue.ref;
}
