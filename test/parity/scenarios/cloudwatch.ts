import * as cloudwatchClient from "@aws-sdk/client-cloudwatch";
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type Statistic,
} from "@aws-sdk/client-cloudwatch";
import type { ParityContext, Scenario } from "../scenario.js";
import { answer, createQueue, createTopic, errorOf, normalised, receive, sqsSubscription, uid } from "./api.js";

// CloudWatch, from LocalStack's cloudwatch/test_cloudwatch.py and its snapshot (the JSON protocol's
// recordings, as the SDK speaks it): alarms as DescribeAlarms lists them (what they set, and no more),
// SetAlarmState, a breaching alarm's state reason and the notification it sends, metric data in and
// statistics out, and CloudWatch's validation — the local CloudWatch's answers.

const FILE = "cloudwatch/test_cloudwatch.snapshot.json";
const CLASS = "TestCloudwatch";
const cw = (ctx: ParityContext) => ctx.clients.cloudwatch;

/** Dates as LocalStack's cloudwatch_api transformer keeps them: "timestamp" in an API answer. */
function recordedForm(value: unknown, key = ""): unknown {
  if (value instanceof Date) return "timestamp";
  if (key === "Timestamps") return "timestamp";
  if (Array.isArray(value)) return value.map((v) => recordedForm(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, recordedForm(v, k)]));
  }
  return value;
}

const describe = async (ctx: ParityContext, name: string) =>
  recordedForm(answer(await cw(ctx).send(new DescribeAlarmsCommand({ AlarmNames: [name] }))));

/** A minimal alarm as recorded in DescribeAlarms (INSUFFICIENT_DATA, nothing set beyond what was given). */
const recordedAlarm = (fields: Record<string, unknown>) => ({
  ActionsEnabled: true,
  AlarmActions: [],
  AlarmArn: "arn:<partition>:cloudwatch:<region>:111111111111:alarm:<alarm-name:1>",
  AlarmConfigurationUpdatedTimestamp: "timestamp",
  AlarmName: "<alarm-name:1>",
  ComparisonOperator: "GreaterThanThreshold",
  Dimensions: [],
  EvaluationPeriods: 1,
  InsufficientDataActions: [],
  OKActions: [],
  StateReason: "Unchecked: Initial alarm creation",
  StateTransitionedTimestamp: "timestamp",
  StateUpdatedTimestamp: "timestamp",
  StateValue: "INSUFFICIENT_DATA",
  ...fields,
});

const minimal = (name: string, fields: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput => ({
  AlarmName: name,
  MetricName: uid("m"),
  Namespace: uid("n-sp"),
  EvaluationPeriods: 1,
  Period: 10,
  Statistic: "Sum",
  ComparisonOperator: "GreaterThanThreshold",
  Threshold: 30,
  ...fields,
});

const STATS = ["Sum", "SampleCount", "Minimum", "Maximum", "Average"] as const;
const STAT_VALUES: Record<(typeof STATS)[number], number> = {
  Sum: 66,
  SampleCount: 11,
  Minimum: 1,
  Maximum: 11,
  Average: 6,
};

export const CLOUDWATCH_SCENARIOS: readonly Scenario[] = [
  ...(
    [
      ["test_describe_minimal_metric_alarm", "describe_minimal_metric_alarm", 10, "Sum", {}],
      ["test_describe_alarms_converts_date_format_correctly", "describe-alarms", 60, "Sum", {}],
      ["test_delete_alarm", "describe-alarm", 60, "Sum", { MetricName: "metric1" }],
    ] as const
  ).map(
    ([test, key, period, stat, given]): Scenario => ({
      family: "cloudwatch",
      name: `a metric alarm put with the least (${test.replace(/^test_/, "")}): DescribeAlarms lists what it set and no more`,
      source: {
        file: FILE,
        test: `${CLASS}::${test}[json]`,
        keys: test === "test_delete_alarm" ? [key, "delete-alarm", "describe-after-delete"] : [key],
      },
      async run(ctx) {
        const name = uid("a");
        const input = minimal(name, { Period: period, Statistic: stat, ...given });
        await cw(ctx).send(new PutMetricAlarmCommand(input));
        const out: Record<string, unknown> = { [key]: await describe(ctx, name) };
        if (test === "test_delete_alarm") {
          out["delete-alarm"] = answer(await cw(ctx).send(new DeleteAlarmsCommand({ AlarmNames: [name] })));
          out["describe-after-delete"] = await describe(ctx, name);
        }
        return out;
      },
      recorded: {
        [key]: {
          CompositeAlarms: [],
          MetricAlarms: [
            recordedAlarm({
              MetricName: "MetricName" in given ? given.MetricName : "<metric-name:1>",
              Namespace: "<namespace:1>",
              Period: period,
              Statistic: stat,
              Threshold: 30,
            }),
          ],
        },
        ...(test === "test_delete_alarm"
          ? { "delete-alarm": {}, "describe-after-delete": { CompositeAlarms: [], MetricAlarms: [] } }
          : {}),
      },
    }),
  ),
  {
    family: "cloudwatch",
    name: "an alarm's description with a character XML escapes",
    source: {
      file: FILE,
      test: `${CLASS}::test_put_metric_alarm_escape_character[json]`,
      keys: ["describe-alarms-escaped-character"],
    },
    async run(ctx) {
      const name = uid("cpu-mon");
      await cw(ctx).send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          AlarmDescription: "<",
          MetricName: "CPUUtilization-2",
          Namespace: "AWS/EC2",
          Statistic: "Sum",
          Period: 600,
          Threshold: 1,
          ComparisonOperator: "GreaterThanThreshold",
          EvaluationPeriods: 1,
          AlarmActions: ["arn:aws:sns:us-east-1:111122223333:MyTopic"],
        }),
      );
      return { "describe-alarms-escaped-character": await describe(ctx, name) };
    },
    recorded: {
      "describe-alarms-escaped-character": {
        CompositeAlarms: [],
        MetricAlarms: [
          recordedAlarm({
            AlarmActions: ["arn:<partition>:sns:<region>:111122223333:MyTopic"],
            AlarmDescription: "<",
            MetricName: "<metric-name:1>",
            Namespace: "<namespace:1>",
            Period: 600,
            Statistic: "Sum",
            Threshold: 1,
          }),
        ],
      },
    },
  },
  {
    family: "cloudwatch",
    name: "SetAlarmState to ALARM and back to OK: the reason it was given, and no reason data",
    source: { file: FILE, test: `${CLASS}::test_set_alarm[json]`, keys: ["triggered-alarm", "reset-alarm"] },
    async run(ctx) {
      const alarmTopic = await createTopic(ctx);
      const okTopic = await createTopic(ctx);
      await sqsSubscription(ctx, alarmTopic, await createQueue(ctx));
      await sqsSubscription(ctx, okTopic, await createQueue(ctx));
      const name = uid("test-alarm");
      await cw(ctx).send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          AlarmDescription: "Test Alarm when CPU exceeds 50 percent",
          MetricName: "CPUUtilization-3",
          Namespace: "AWS/EC2",
          ActionsEnabled: true,
          Period: 300,
          Threshold: 50,
          Dimensions: [{ Name: "InstanceId", Value: "i-0317828c84edbe100" }],
          Unit: "Percent",
          Statistic: "Average",
          OKActions: [okTopic],
          AlarmActions: [alarmTopic],
          EvaluationPeriods: 2,
          ComparisonOperator: "GreaterThanThreshold",
          TreatMissingData: "ignore",
        }),
      );
      await cw(ctx).send(
        new SetAlarmStateCommand({ AlarmName: name, StateValue: "ALARM", StateReason: "testing alarm" }),
      );
      const triggered = await describe(ctx, name);
      await cw(ctx).send(
        new SetAlarmStateCommand({ AlarmName: name, StateValue: "OK", StateReason: "resetting alarm" }),
      );
      return { "triggered-alarm": triggered, "reset-alarm": await describe(ctx, name) };
    },
    recorded: Object.fromEntries(
      (
        [
          ["triggered-alarm", "ALARM", "testing alarm"],
          ["reset-alarm", "OK", "resetting alarm"],
        ] as const
      ).map(([key, state, reason]) => [
        key,
        {
          CompositeAlarms: [],
          MetricAlarms: [
            recordedAlarm({
              AlarmActions: ["arn:<partition>:sns:<region>:111111111111:<topic_alarm>"],
              AlarmDescription: "Test Alarm when CPU exceeds 50 percent",
              Dimensions: [{ Name: "InstanceId", Value: "i-0317828c84edbe100" }],
              EvaluationPeriods: 2,
              MetricName: "CPUUtilization-3",
              Namespace: "<namespace:1>",
              OKActions: ["<topic_ok>"],
              Period: 300,
              StateReason: reason,
              StateValue: state,
              Statistic: "Average",
              Threshold: 50,
              TreatMissingData: "ignore",
              Unit: "Percent",
            }),
          ],
        },
      ]),
    ),
  },
  {
    family: "cloudwatch",
    name: "SetAlarmState of a state that is none, and of an alarm that is not there",
    source: {
      file: FILE,
      test: `${CLASS}::test_set_alarm_invalid_input[json]`,
      keys: ["error-invalid-state", "error-resource-not-found"],
    },
    async run(ctx) {
      const name = uid("a");
      return {
        "error-invalid-state": await errorOf(
          cw(ctx).send(
            new SetAlarmStateCommand({ AlarmName: name, StateValue: "INVALID" as never, StateReason: "test" }),
          ),
          "json",
          cloudwatchClient,
        ),
        "error-resource-not-found": await errorOf(
          cw(ctx).send(
            new SetAlarmStateCommand({ AlarmName: `${name}-nonexistent`, StateValue: "OK", StateReason: "test" }),
          ),
          "json",
          cloudwatchClient,
        ),
      };
    },
    recorded: {
      "error-invalid-state": {
        Error: {
          Code: "ValidationError",
          Message:
            "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]",
          QueryErrorCode: "ValidationException",
          Type: "Sender",
        },
      },
      "error-resource-not-found": {
        Error: { Code: "ResourceNotFound", Message: "", QueryErrorCode: "ResourceNotFound", Type: "Sender" },
      },
    },
  },
  {
    family: "cloudwatch",
    name: "a high-resolution alarm whose missing data breaches: ALARM, its notification and its state reason data",
    source: {
      file: FILE,
      test: `${CLASS}::test_breaching_alarm_actions[json]`,
      keys: ["alarm-1-sqs-msg", "alarm-1-describe"],
    },
    async run(ctx) {
      const topic = await createTopic(ctx);
      const queue = await createQueue(ctx);
      await sqsSubscription(ctx, topic, queue);
      const name = uid("test-alarm");
      await cw(ctx).send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          AlarmDescription: "testing cloudwatch alarms",
          MetricName: "my-metric101",
          Namespace: "test/breaching-alarm",
          Period: 10,
          Threshold: 2,
          Dimensions: [{ Name: "InstanceId", Value: "abc" }],
          Unit: "Seconds",
          Statistic: "Average",
          OKActions: [topic],
          AlarmActions: [topic],
          EvaluationPeriods: 2,
          ComparisonOperator: "GreaterThanThreshold",
          TreatMissingData: "breaching",
        }),
      );
      const received = await receive(ctx, { QueueUrl: queue, WaitTimeSeconds: 2 }, {}, 60_000);
      const [message] = (received.Messages ?? []) as { Body: { Message: unknown } }[];
      const notification = normalised(message?.Body.Message, NOTIFICATION_NAMES);
      const described = recordedForm(answer(await cw(ctx).send(new DescribeAlarmsCommand({ AlarmNames: [name] })))) as {
        MetricAlarms: Record<string, unknown>[];
      };
      for (const alarm of described.MetricAlarms) {
        if (typeof alarm.StateReasonData === "string")
          alarm.StateReasonData = normalised(JSON.parse(alarm.StateReasonData), NOTIFICATION_NAMES);
      }
      return { "alarm-1-sqs-msg": notification, "alarm-1-describe": described };
    },
    recorded: {
      "alarm-1-sqs-msg": {
        AWSAccountId: "111111111111",
        AlarmActions: ["arn:<partition>:sns:<region>:111111111111:<topic_arn>"],
        AlarmArn: "arn:<partition>:cloudwatch:<region>:111111111111:alarm:<alarm-name:1>",
        AlarmConfigurationUpdatedTimestamp: "date",
        AlarmDescription: "testing cloudwatch alarms",
        AlarmName: "<alarm-name:1>",
        InsufficientDataActions: [],
        NewStateReason:
          "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].",
        NewStateValue: "ALARM",
        OKActions: ["arn:<partition>:sns:<region>:111111111111:<topic_arn>"],
        OldStateValue: "INSUFFICIENT_DATA",
        Region: "<region-name-full:1>",
        StateChangeTime: "date",
        Trigger: {
          ComparisonOperator: "GreaterThanThreshold",
          Dimensions: [{ name: "InstanceId", value: "abc" }],
          EvaluateLowSampleCountPercentile: "",
          EvaluationPeriods: 2,
          MetricName: "my-metric101",
          Namespace: "<namespace:1>",
          Period: 10,
          Statistic: "AVERAGE",
          StatisticType: "Statistic",
          Threshold: 2,
          TreatMissingData: "breaching",
          Unit: "Seconds",
        },
      },
      "alarm-1-describe": {
        CompositeAlarms: [],
        MetricAlarms: [
          recordedAlarm({
            AlarmActions: ["arn:<partition>:sns:<region>:111111111111:<topic_arn>"],
            AlarmDescription: "testing cloudwatch alarms",
            Dimensions: [{ Name: "InstanceId", Value: "abc" }],
            EvaluationPeriods: 2,
            MetricName: "my-metric101",
            Namespace: "<namespace:1>",
            OKActions: ["arn:<partition>:sns:<region>:111111111111:<topic_arn>"],
            Period: 10,
            StateReason:
              "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].",
            StateReasonData: {
              version: "1.0",
              queryDate: "date",
              unit: "Seconds",
              statistic: "Average",
              period: 10,
              recentDatapoints: [],
              threshold: 2,
              evaluatedDatapoints: [{ timestamp: "date" }, { timestamp: "date" }],
            },
            StateValue: "ALARM",
            Statistic: "Average",
            Threshold: 2,
            TreatMissingData: "breaching",
            Unit: "Seconds",
          }),
        ],
      },
    },
  },
  {
    family: "cloudwatch",
    name: "GetMetricData of a metric with dimensions it has no data under",
    source: { file: FILE, test: `${CLASS}::test_get_metric_with_no_results[json]`, keys: ["result"] },
    async run(ctx) {
      const now = Date.now();
      const namespace = uid("n");
      const metric = uid("m");
      await cw(ctx).send(
        new PutMetricDataCommand({ Namespace: namespace, MetricData: [{ MetricName: metric, Value: 1 }] }),
      );
      await cw(ctx).send(new ListMetricsCommand({ Namespace: namespace, MetricName: metric }));
      const out = await cw(ctx).send(
        new GetMetricDataCommand({
          MetricDataQueries: [
            {
              Id: "result",
              MetricStat: {
                Metric: { Namespace: namespace, MetricName: metric, Dimensions: [{ Name: "foo", Value: "bar" }] },
                Period: 60,
                Stat: "Sum",
              },
            },
          ],
          StartTime: new Date(now - 60_000),
          EndTime: new Date(now + 60_000),
        }),
      );
      return { result: recordedForm(answer(out)) };
    },
    recorded: {
      result: {
        Messages: [],
        MetricDataResults: [
          { Id: "result", Label: "<label:1>", StatusCode: "Complete", Timestamps: "timestamp", Values: [] },
        ],
      },
    },
  },
  {
    family: "cloudwatch",
    name: "PutMetricData of Values with Counts: the statistics over all of them",
    source: { file: FILE, test: `${CLASS}::test_put_metric_data_values_list[json]`, keys: ["get_metric_statistics"] },
    async run(ctx) {
      const now = new Date();
      const namespace = uid("ns");
      await cw(ctx).send(
        new PutMetricDataCommand({
          Namespace: namespace,
          MetricData: [{ MetricName: "test-metric", Timestamp: now, Values: [1, 10], Counts: [2, 4], Unit: "Count" }],
        }),
      );
      const out = await cw(ctx).send(
        new GetMetricStatisticsCommand({
          Namespace: namespace,
          MetricName: "test-metric",
          StartTime: new Date(now.getTime() - 60_000),
          EndTime: new Date(now.getTime() + 60_000),
          Period: 60,
          Statistics: ["SampleCount", "Sum", "Maximum"],
        }),
      );
      return { get_metric_statistics: recordedForm(answer(out)) };
    },
    recorded: {
      get_metric_statistics: {
        Datapoints: [{ Maximum: 10, SampleCount: 6, Sum: 42, Timestamp: "timestamp", Unit: "Count" }],
        Label: "test-metric",
      },
    },
  },
  ...STATS.map(
    (stat): Scenario => ({
      family: "cloudwatch",
      name: `GetMetricData's ${stat} over a value and a statistic set put together`,
      source: { file: FILE, test: `${CLASS}::test_get_metric_data_stats[json-${stat}]`, keys: ["get_metric_data"] },
      async run(ctx) {
        const now = new Date();
        const namespace = `test/${uid("s")}`;
        await cw(ctx).send(
          new PutMetricDataCommand({
            Namespace: namespace,
            MetricData: [{ MetricName: "metric1", Value: 11, Unit: "Seconds", Timestamp: now }],
          }),
        );
        await cw(ctx).send(
          new PutMetricDataCommand({
            Namespace: namespace,
            MetricData: [
              {
                MetricName: "metric1",
                StatisticValues: { SampleCount: 10, Sum: 55, Minimum: 1, Maximum: 10 },
                Unit: "Seconds",
                Timestamp: now,
              },
            ],
          }),
        );
        const out = await cw(ctx).send(
          new GetMetricDataCommand({
            MetricDataQueries: [
              {
                Id: "result1",
                MetricStat: { Metric: { Namespace: namespace, MetricName: "metric1" }, Period: 60, Stat: stat },
              },
            ],
            StartTime: new Date(now.getTime() - 60_000),
            EndTime: new Date(now.getTime() + 60_000),
          }),
        );
        return { get_metric_data: recordedForm(answer(out)) };
      },
      recorded: {
        get_metric_data: {
          Messages: [],
          MetricDataResults: [
            {
              Id: "result1",
              Label: "metric1",
              StatusCode: "Complete",
              Timestamps: "timestamp",
              Values: [STAT_VALUES[stat]],
            },
          ],
        },
      },
    }),
  ),
  {
    family: "cloudwatch",
    name: "GetMetricStatistics of too many data points, and of an empty time range",
    source: {
      file: FILE,
      test: `${CLASS}::test_invalid_amount_of_datapoints[json]`,
      keys: ["error-invalid-amount-datapoints", "error-invalid-time-frame", "get-metric-statitics"],
    },
    async run(ctx) {
      const now = new Date();
      const day = new Date(now.getTime() + 86_400_000);
      const stats = (input: { Namespace: string; StartTime: Date; EndTime: Date; Period: number }) =>
        cw(ctx).send(
          new GetMetricStatisticsCommand({
            ...input,
            MetricName: "metric_name",
            Statistics: ["SampleCount" as Statistic],
          }),
        );
      return {
        "error-invalid-amount-datapoints": await errorOf(
          stats({ Namespace: "namespace", StartTime: now, EndTime: day, Period: 1 }),
          "json",
          cloudwatchClient,
        ),
        "error-invalid-time-frame": await errorOf(
          stats({ Namespace: "namespace", StartTime: now, EndTime: now, Period: 1 }),
          "json",
          cloudwatchClient,
        ),
        "get-metric-statitics": recordedForm(
          answer(await stats({ Namespace: uid("namespace"), StartTime: now, EndTime: day, Period: 60 })),
        ),
      };
    },
    recorded: {
      "error-invalid-amount-datapoints": {
        Error: {
          Code: "InvalidParameterCombination",
          Message:
            "You have requested up to 86400 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
          QueryErrorCode: "InvalidParameterCombinationException",
          Type: "Sender",
        },
        message:
          "You have requested up to 86400 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
      },
      "error-invalid-time-frame": {
        Error: {
          Code: "InvalidParameterValue",
          Message: "The parameter StartTime must be less than the parameter EndTime.",
          QueryErrorCode: "InvalidParameterValueException",
          Type: "Sender",
        },
        message: "The parameter StartTime must be less than the parameter EndTime.",
      },
      "get-metric-statitics": { Datapoints: [], Label: "metric_name" },
    },
  },
  {
    family: "cloudwatch",
    name: "PutMetricData refused: Value with Values, Values and Counts of two sizes, Value with StatisticValues",
    source: {
      file: FILE,
      test: `${CLASS}::test_put_metric_data_validation[json]`,
      keys: ["invalid-param-combination", "invalid-param-value", "invalid-param-combination-2"],
    },
    async run(ctx) {
      const namespace = uid("ns");
      const put = (datum: Record<string, unknown>) =>
        errorOf(
          cw(ctx).send(
            new PutMetricDataCommand({
              Namespace: namespace,
              MetricData: [{ MetricName: "mymetric", Timestamp: new Date(), Unit: "Count", ...datum }],
            }),
          ),
          "json",
          cloudwatchClient,
        );
      return {
        "invalid-param-combination": await put({ Value: 1.5, Values: [1, 10] }),
        "invalid-param-value": await put({ Values: [1, 10], Counts: [2, 4, 5] }),
        "invalid-param-combination-2": await put({
          Value: 1.5,
          StatisticValues: { SampleCount: 10, Sum: 55, Minimum: 1, Maximum: 10 },
        }),
      };
    },
    recorded: Object.fromEntries(
      (
        [
          [
            "invalid-param-combination",
            "InvalidParameterCombination",
            "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.",
          ],
          [
            "invalid-param-value",
            "InvalidParameterValue",
            "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.",
          ],
          [
            "invalid-param-combination-2",
            "InvalidParameterCombination",
            "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both.",
          ],
        ] as const
      ).map(([key, code, message]) => [
        key,
        { Error: { Code: code, Message: message, QueryErrorCode: `${code}Exception`, Type: "Sender" }, message },
      ]),
    ),
  },
];

/** An alarm notification's times as test_cloudwatch.py keeps them: "date". */
const NOTIFICATION_NAMES: Readonly<Record<string, string>> = {
  AlarmConfigurationUpdatedTimestamp: "date",
  StateChangeTime: "date",
  queryDate: "date",
  timestamp: "date",
};
