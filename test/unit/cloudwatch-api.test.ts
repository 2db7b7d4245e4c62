import { expect, test } from "vitest";
import { alarmDefinition } from "../../local/cloudwatch/alarm-evaluation.js";
import { AlarmRunner } from "../../local/cloudwatch/alarms.js";
import { CloudWatchError, cloudWatchApi } from "../../local/cloudwatch/api.js";
import { MetricStore } from "../../local/cloudwatch/metric-store.js";

// CloudWatch's operations as the local endpoint answers them, on the data a client sends (the wire
// protocols are the gateway's, tested end to end with the SDK and the AWS CLI in alarms.test.ts).

const T = Date.UTC(2026, 11, 3, 10, 0);
const dims = [{ Name: "service", Value: "orders" }];

function setup() {
  const store = new MetricStore();
  const published: { topic: string; subject: string; message: string }[] = [];
  const def = alarmDefinition({
    logicalId: "OrdersFailing",
    type: "AWS::CloudWatch::Alarm",
    name: "orders-failing",
    arn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:orders-failing",
    ref: "orders-failing",
    properties: {
      Namespace: "Shop",
      MetricName: "Failures",
      Dimensions: dims,
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: ["arn:aws:sns:us-east-1:000000000000:ops"],
    },
  });
  const runner = new AlarmRunner([def], store, {
    region: "us-east-1",
    account: "000000000000",
    publish: async (topic, subject, message) => void published.push({ topic, subject, message }),
  });
  return {
    store,
    runner,
    api: cloudWatchApi(store, () => runner, { region: "us-east-1", account: "000000000000" }),
    published,
  };
}

test("PutMetricData's values and statistic sets are read back by GetMetricStatistics and ListMetrics", async () => {
  const { api } = setup();
  await api("PutMetricData", {
    Namespace: "Shop",
    MetricData: [
      { MetricName: "Failures", Dimensions: dims, Value: 2, Timestamp: new Date(T + 1000), Unit: "Count" },
      { MetricName: "Failures", Dimensions: dims, Values: [1, 5], Counts: [1, 2], Timestamp: T / 1000 + 2 },
      {
        MetricName: "Latency",
        Dimensions: dims,
        StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 5, Maximum: 20 },
        Timestamp: new Date(T + 61_000).toISOString(),
      },
    ],
  });
  const failures = (await api("GetMetricStatistics", {
    Namespace: "Shop",
    MetricName: "Failures",
    Dimensions: dims,
    StartTime: new Date(T),
    EndTime: new Date(T + 120_000),
    Period: 60,
    Statistics: ["Sum", "SampleCount", "Maximum"],
    ExtendedStatistics: ["p50"],
  })) as { Datapoints: Record<string, unknown>[] };
  expect(failures.Datapoints).toEqual([
    {
      Timestamp: new Date(T),
      Unit: "Count",
      Sum: 13,
      SampleCount: 4,
      Maximum: 5,
      ExtendedStatistics: { p50: 2 },
    },
  ]);
  const latency = (await api("GetMetricStatistics", {
    Namespace: "Shop",
    MetricName: "Latency",
    Dimensions: dims,
    StartTime: new Date(T),
    EndTime: new Date(T + 120_000),
    Period: 60,
    Statistics: ["Average", "Minimum"],
  })) as { Datapoints: Record<string, unknown>[] };
  expect(latency.Datapoints).toMatchObject([{ Timestamp: new Date(T + 60_000), Average: 10, Minimum: 5 }]);
  const listed = (await api("ListMetrics", { Namespace: "Shop", Dimensions: [{ Name: "service" }] })) as {
    Metrics: { MetricName: string }[];
  };
  expect(listed.Metrics.map((m) => m.MetricName).sort()).toEqual(["Failures", "Latency"]);
  await expect(api("PutMetricData", { Namespace: "AWS/Lambda", MetricData: [] })).rejects.toBeInstanceOf(
    CloudWatchError,
  );
});

test("SetAlarmState changes the state, carries out its actions, and shows in DescribeAlarms and the history", async () => {
  const { api, published } = setup();
  await api("SetAlarmState", { AlarmName: "orders-failing", StateValue: "ALARM", StateReason: "testing the pager" });
  const described = (await api("DescribeAlarms", { StateValue: "ALARM" })) as {
    MetricAlarms: { AlarmName: string; StateReason: string; Threshold: number }[];
  };
  expect(described.MetricAlarms).toMatchObject([
    { AlarmName: "orders-failing", StateReason: "testing the pager", Threshold: 0 },
  ]);
  expect(published).toHaveLength(1);
  expect(published[0]?.subject).toBe('ALARM: "orders-failing" in US East (N. Virginia)');
  expect(JSON.parse(published[0]?.message ?? "{}")).toMatchObject({
    OldStateValue: "INSUFFICIENT_DATA",
    NewStateValue: "ALARM",
    NewStateReason: "testing the pager",
    Trigger: { MetricName: "Failures", Namespace: "Shop", Statistic: "SUM", Period: 60 },
  });
  const history = (await api("DescribeAlarmHistory", { AlarmName: "orders-failing" })) as {
    AlarmHistoryItems: { HistorySummary: string }[];
  };
  expect(history.AlarmHistoryItems.map((h) => h.HistorySummary)).toEqual([
    "Alarm updated from INSUFFICIENT_DATA to ALARM",
  ]);
  await expect(api("SetAlarmState", { AlarmName: "nope", StateValue: "OK", StateReason: "" })).rejects.toMatchObject({
    code: "ResourceNotFound",
  });
});

test("the evaluation after SetAlarmState decides again from the data", async () => {
  const { api, runner } = setup();
  await api("SetAlarmState", { AlarmName: "orders-failing", StateValue: "ALARM", StateReason: "by hand" });
  await api("PutMetricData", {
    Namespace: "Shop",
    MetricData: [{ MetricName: "Failures", Dimensions: dims, Value: 0, Timestamp: new Date(T + 1000) }],
  });
  await runner.evaluateAll(T + 60_000 + 1);
  expect(runner.alarms.get("orders-failing")?.state).toBe("OK");
});
