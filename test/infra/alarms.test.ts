import { describe, expect, test } from "vitest";
import { deployStack } from "../../local/cloudformation/assembly.js";
import { unreachableAlarms } from "../../local/cloudwatch/reachability.js";
import { synthesize } from "../helpers/template.js";

// The CI check on the synthesized template: every alarm watches a metric the stack emits — its
// metric name is one its service publishes, its dimensions are that service's, and the resource
// they name is in the template. An alarm with a wrong name, namespace or dimension never fires.

describe.each(["dev", "prod"])("the %s template's alarms", (stage) => {
  const stack = deployStack(
    "Tripwire",
    synthesize(stage).toJSON() as never,
    { region: "us-east-1", endpoint: "http://127.0.0.1" },
    (key) => `/assets/${key}`,
  );

  test("can all fire: none watches a metric nothing emits", () => {
    expect(stack.alarms.length).toBeGreaterThanOrEqual(25);
    expect(unreachableAlarms(stack)).toEqual([]);
  });
});

test("an alarm on a queue that does not exist, a metric its service does not publish, or a dimension it does not have is named", () => {
  const template = synthesize("dev").toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const edited = structuredClone(template);
  const alarms = Object.entries(edited.Resources).filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm");
  const [queueAlarm] = alarms.filter(([id]) => id.startsWith("RejectedRecordsAlarm"));
  const [lambdaAlarm] = alarms.filter(([id]) => id.startsWith("CpuErrorsAlarm"));
  const [kinesisAlarm] = alarms.filter(([id]) => id.startsWith("ReadingsIteratorAgeAlarm"));
  if (!queueAlarm || !lambdaAlarm || !kinesisAlarm) throw new Error("the template lacks the alarms this test edits");
  queueAlarm[1].Properties.Dimensions = [{ Name: "QueueName", Value: "no-such-queue" }];
  // The errors alarm is metric math over Lambda's Errors and the function's own retried records.
  const metrics = lambdaAlarm[1].Properties.Metrics as {
    Id: string;
    MetricStat?: { Metric: { MetricName: string } };
  }[];
  const errors = metrics.find((m) => m.MetricStat?.Metric.MetricName === "Errors");
  if (!errors?.MetricStat) throw new Error("the errors alarm does not read Lambda's Errors");
  errors.MetricStat.Metric.MetricName = "Error";
  kinesisAlarm[1].Properties.Dimensions = [{ Name: "Stream", Value: { Ref: "ReadingsStreamC38C6CEB" } }];
  const stack = deployStack(
    "Tripwire",
    edited as never,
    { region: "us-east-1", endpoint: "http://127.0.0.1" },
    (key) => `/assets/${key}`,
  );
  expect(unreachableAlarms(stack)).toEqual(
    [
      { alarm: lambdaAlarm[0], why: "AWS/Lambda publishes no metric Error" },
      { alarm: kinesisAlarm[0], why: "AWS/Kinesis GetRecords.IteratorAgeMilliseconds has no dimension Stream" },
      { alarm: queueAlarm[0], why: "its QueueName no-such-queue names no AWS::SQS::Queue of the template" },
    ].sort(
      (a, b) => Object.keys(template.Resources).indexOf(a.alarm) - Object.keys(template.Resources).indexOf(b.alarm),
    ),
  );
});
