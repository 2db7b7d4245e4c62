import { describe, expect, test } from "vitest";
import type { Resource } from "../../local/cloudformation/assembly.js";
import {
  type AlarmState,
  alarmDatapoints,
  alarmDefinition,
  evaluateAlarm,
  type TreatMissingData,
} from "../../local/cloudwatch/alarm-evaluation.js";
import { MetricStore, statistic } from "../../local/cloudwatch/metric-store.js";

// CloudWatch's alarm evaluation from its documented rules: M of N data points breaching put the
// alarm in ALARM; missing data points count as TreatMissingData says (notBreaching: good,
// breaching: bad, missing: left out — none at all is INSUFFICIENT_DATA, ignore: none at all keeps
// the state); an alarm on AWS/DynamoDB always ignores missing data; statistics per period; metric math.

const FUNCTION = [{ Name: "FunctionName", Value: "fn" }];

function alarm(properties: Record<string, unknown>): Resource {
  return {
    logicalId: "A",
    type: "AWS::CloudWatch::Alarm",
    name: "a",
    arn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a",
    ref: "a",
    properties: {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: FUNCTION,
      Statistic: "Sum",
      Period: 60,
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 3,
      ...properties,
    },
  };
}

/** "X" breaching (5), "0" not (0), "-" missing: oldest first, as the documentation draws them. */
const points = (pattern: string) =>
  [...pattern].map((c, i) => ({ t: i * 60_000, value: c === "-" ? undefined : c === "X" ? 5 : 0 }));

describe("M of N with missing data", () => {
  const cases: [pattern: string, m: number, treat: TreatMissingData, from: AlarmState, want: AlarmState][] = [
    ["XXX", 3, "missing", "OK", "ALARM"],
    ["0XX", 3, "missing", "OK", "OK"],
    ["0XX", 2, "missing", "OK", "ALARM"],
    ["X-X", 3, "breaching", "OK", "ALARM"],
    ["X-X", 3, "notBreaching", "OK", "OK"],
    ["X-X", 2, "missing", "OK", "ALARM"],
    ["---", 3, "missing", "OK", "INSUFFICIENT_DATA"],
    ["---", 3, "ignore", "ALARM", "ALARM"],
    ["---", 3, "notBreaching", "ALARM", "OK"],
    ["---", 3, "breaching", "OK", "ALARM"],
    ["0--", 1, "ignore", "ALARM", "OK"],
  ];
  test.each(cases)("%s, %d to alarm, missing data %s: %s → %s", (pattern, m, treat, from, want) => {
    const def = alarmDefinition(alarm({ DatapointsToAlarm: m, EvaluationPeriods: 3, TreatMissingData: treat }));
    expect(evaluateAlarm(def, points(pattern), from).state).toBe(want);
  });

  test("the reason is worded as CloudWatch words it", () => {
    const def = alarmDefinition(alarm({ EvaluationPeriods: 1 }));
    expect(evaluateAlarm(def, [{ t: Date.UTC(2026, 11, 3, 10, 21), value: 3 }], "OK").reason).toBe(
      "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (03/12/26 10:21:00)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
    );
  });

  test("an alarm on a DynamoDB metric ignores missing data, whatever it says", () => {
    const def = alarmDefinition(
      alarm({
        Namespace: "AWS/DynamoDB",
        MetricName: "ThrottledRequests",
        Dimensions: [],
        TreatMissingData: "breaching",
      }),
    );
    expect(def.treatMissingData).toBe("ignore");
    expect(evaluateAlarm(def, points("---"), "OK").state).toBe("OK");
  });
});

describe("data points from the metrics", () => {
  test("a statistic per period over the last N whole periods, with percentiles", () => {
    const store = new MetricStore();
    const id = { namespace: "AWS/Lambda", name: "Duration", dimensions: FUNCTION };
    const base = 600_000;
    for (let v = 1; v <= 100; v++) store.put(id, v, base + v); // all in period [600 000, 660 000)
    store.put(id, 7, base + 60_000 + 5); // the next period
    const def = alarmDefinition(
      alarm({ MetricName: "Duration", Statistic: undefined, ExtendedStatistic: "p99", EvaluationPeriods: 2 }),
    );
    expect(alarmDatapoints(def, store, base + 120_000 + 1).map((p) => p.value)).toEqual([99, 7]);
    const samples = store.samples(id, base, base + 60_000);
    expect([statistic(samples, "Sum"), statistic(samples, "Average"), statistic(samples, "Maximum")]).toEqual([
      5050, 50.5, 100,
    ]);
    // Dimensions are part of the metric: the same name without them is another metric.
    expect(store.query({ ...id, dimensions: [] }, "Sum", 60_000, base, base + 60_000)).toEqual([
      { t: base, value: undefined },
    ]);
  });

  test("an alarm over metric math reads its metrics and evaluates the expression", () => {
    const store = new MetricStore();
    const metric = (MetricName: string) => ({
      MetricStat: { Metric: { Namespace: "AWS/DynamoDB", MetricName, Dimensions: [] }, Period: 60, Stat: "Sum" },
      ReturnData: false,
    });
    const def = alarmDefinition(
      alarm({
        MetricName: undefined,
        Namespace: undefined,
        Dimensions: undefined,
        Statistic: undefined,
        Period: undefined,
        EvaluationPeriods: 1,
        Metrics: [
          { Id: "r", ...metric("ReadThrottleEvents") },
          { Id: "w", ...metric("WriteThrottleEvents") },
          { Id: "expr", Expression: "FILL(r, 0) + FILL(w, 0)", Period: 60 },
        ],
      }),
    );
    store.put({ namespace: "AWS/DynamoDB", name: "WriteThrottleEvents", dimensions: [] }, 1, 30_000);
    const data = alarmDatapoints(def, store, 60_001);
    expect(data.map((p) => p.value)).toEqual([1]);
    expect(evaluateAlarm(def, data, "OK").state).toBe("ALARM");
  });
});
