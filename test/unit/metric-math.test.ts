import { describe, expect, test } from "vitest";
import type { Resource } from "../../local/cloudformation/assembly.js";
import { alarmDatapoints, alarmDefinition, evaluateAlarm } from "../../local/cloudwatch/alarm-evaluation.js";
import { evaluateExpression, parseExpression, type Series, type Value } from "../../local/cloudwatch/math.js";
import { MetricStore } from "../../local/cloudwatch/metric-store.js";

// Metric math against the examples of CloudWatch's user guide ("Metric math syntax and functions",
// "Using IF expressions"): its tables are the expected values, `-` there is `_` here (no data point).

const _ = undefined;

function run(expression: string, series: Record<string, Series>, periodSeconds = 60): Value {
  const length = Math.max(...Object.values(series).map((s) => s.length));
  return evaluateExpression(parseExpression(expression), {
    series: (id) => {
      const s = series[id];
      if (!s) throw new Error(`no series ${id}`);
      return s;
    },
    metricIds: Object.keys(series),
    length,
    periodSeconds,
  });
}

describe("the user guide's examples", () => {
  test("comparison and logical operators: a missing value against a series is 0", () => {
    const series = { metric1: [30, 20, 0, 0], metric2: [20, _, 20, _] };
    expect(run("(metric1 < metric2)", series)).toEqual([0, 0, 1, 0]);
    expect(run("(metric1 >= 30)", series)).toEqual([1, 0, 0, 0]);
    expect(run("(metric1 > 15 AND metric2 > 15)", series)).toEqual([1, 0, 0, 0]);
    expect(run("metric1 > 15 && metric2 > 15 || metric1 == 0", series)).toEqual([1, 0, 1, 1]);
  });

  test("IF(metric1, metric2, metric3)", () => {
    const series = { metric1: [1, 1, 0, 0, _], metric2: [30, _, 0, 0, 30], metric3: [0, 0, 20, _, 20] };
    expect(run("IF(metric1, metric2, metric3)", series)).toEqual([30, 0, 20, _, _]);
    expect(run("IF(metric1, 5, metric3)", series)).toEqual([5, 5, 20, _, _]);
    expect(run("IF(metric1, metric2, 5)", series)).toEqual([30, 0, 5, 5, _]);
    // Without a false value the false periods are dropped; a scalar condition picks a whole series.
    expect(run("IF(metric1, metric2)", series)).toEqual([30, 0, _, _, _]);
    expect(run("IF(1, metric2, metric3)", series)).toEqual(series.metric2);
    expect(run("IF(0, metric2)", series)).toEqual([_, _, _, _, _]);
    expect(run("IF(metric2 < 20, 1, 0)", series)).toEqual([0, _, 1, 1, 0]);
  });

  test("arithmetic: a missing value is 0 where the other series has one, none where neither has; a division by zero is dropped", () => {
    const series = { r: [1, _, _, 4], w: [_, 2, _, 0] };
    expect(run("r + w", series)).toEqual([1, 2, _, 4]);
    expect(run("r / w", series)).toEqual([_, 0, _, _]);
    expect(run("100 * (r - -1) / 2", series)).toEqual([100, _, _, 250]);
    expect(run("2 ^ 3 * r", series)).toEqual([8, _, _, 32]);
    expect(run("FILL(r, 0) + FILL(w, 0)", series)).toEqual([1, 2, 0, 4]);
    expect(run("FILL(r, w)", series)).toEqual([1, 2, _, 4]);
  });

  test("SUM, AVG, MIN, MAX of a series are scalars; of an array, a series with missing values as 0", () => {
    const series = { errors4xx: [1, 2, _], errors5xx: [3, _, _], requests: [10, 10, 10] };
    expect(run('SUM(METRICS("errors"))', series)).toEqual([4, 2, _]);
    // (No errors at all in the third period: 0 of the requests, a missing value against a series being 0.)
    expect(run("SUM([errors4xx, errors5xx]) / requests * 100", series)).toEqual([40, 20, 0]);
    expect(run("AVG([errors4xx, errors5xx])", series)).toEqual([2, 1, _]);
    expect(run("MAX(METRICS())", series)).toEqual([10, 10, 10]);
    expect(run("errors4xx - AVG(errors4xx)", series)).toEqual([-0.5, 0.5, _]);
    expect(run("requests / SUM(requests)", series)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(run("m / METRIC_COUNT(METRICS())", { m: [6, 3], n: [1, 1], o: [_, _] })).toEqual([2, 1]);
    expect(run("DATAPOINT_COUNT(METRICS())", series)).toEqual([3, 2, 1]);
    expect(run("SUM(errors4xx) / DATAPOINT_COUNT(errors4xx)", series)).toBe(1.5);
  });

  test("per-point functions, DIFF, RATE, PERIOD, TIME_SERIES, FIRST and LAST", () => {
    const series = { m1: [-1.5, 2.5, _, 6.5], m2: [100, 1000, 10, 1] };
    expect(run("ABS(m1)", series)).toEqual([1.5, 2.5, _, 6.5]);
    expect(run("CEIL(m1)", series)).toEqual([-1, 3, _, 7]);
    expect(run("FLOOR(METRICS())", series)).toEqual({
      array: [
        [-2, 2, _, 6],
        [100, 1000, 10, 1],
      ],
    });
    expect(run("LOG10(m2)", series)).toEqual([2, 3, 1, 0]);
    expect(run("DIFF(m1)", series)).toEqual([_, 4, _, 4]);
    expect(run("RATE(m1)", series)).toEqual([_, 4 / 60, _, 4 / 120]);
    expect(run("m2 / PERIOD(m2)", series, 10)).toEqual([10, 100, 1, 0.1]);
    expect(run("TIME_SERIES(5 * AVG(m2))", series)).toEqual([1388.75, 1388.75, 1388.75, 1388.75]);
    expect(run("LAST(METRICS()) - FIRST(METRICS())", series)).toEqual([101.5, 997.5, 10, -5.5]);
  });

  test("what is not evaluated here is refused by name when read, and so is a malformed expression", () => {
    expect(() => parseExpression("ANOMALY_DETECTION_BAND(m1, 2)")).toThrow(
      /ANOMALY_DETECTION_BAND is not evaluated locally/,
    );
    expect(() => parseExpression("SEARCH('{AWS/Lambda} Errors', \"Sum\", 60)")).toThrow(
      /SEARCH is not evaluated locally/,
    );
    expect(() => parseExpression("m1 +")).toThrow(/unexpected end/);
    expect(() => parseExpression("(m1")).toThrow(/expected "\)"/);
    expect(() => run("FILL(m1, REPEAT)", { m1: [1] })).toThrow(/no series REPEAT/);
    expect(() => run("ABS(m1, m2)", { m1: [1], m2: [2] })).toThrow(/ABS\(a time series, a time series\) is not a form/);
  });
});

describe("an alarm over metric math", () => {
  const resource = (properties: Record<string, unknown>): Resource =>
    ({
      logicalId: "RateAlarm",
      type: "AWS::CloudWatch::Alarm",
      name: "RateAlarm",
      arn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:RateAlarm",
      ref: "RateAlarm",
      properties,
    }) as unknown as Resource;
  const lambda = (Id: string, MetricName: string) => ({
    Id,
    MetricStat: {
      Metric: { Namespace: "AWS/Lambda", MetricName, Dimensions: [{ Name: "FunctionName", Value: "f" }] },
      Period: 60,
      Stat: "Sum",
    },
    ReturnData: false,
  });

  test("an error rate built of two expressions, as users write it, goes to ALARM on the rate", () => {
    const def = alarmDefinition(
      resource({
        ComparisonOperator: "GreaterThanThreshold",
        Threshold: 10,
        EvaluationPeriods: 2,
        Metrics: [
          lambda("errors", "Errors"),
          lambda("invocations", "Invocations"),
          { Id: "rate", Expression: "IF(invocations > 0, 100 * errors / invocations, 0)", ReturnData: false },
          { Id: "alarmed", Expression: "rate", Period: 60 },
        ],
      }),
    );
    const store = new MetricStore();
    const put = (name: string, value: number, t: number) =>
      store.put({ namespace: "AWS/Lambda", name, dimensions: [{ Name: "FunctionName", Value: "f" }] }, value, t);
    // Minute 1: 1 error in 20 invocations (5 %); minute 2: 4 in 20 (20 %).
    for (let i = 0; i < 20; i++) {
      put("Invocations", 1, 1_000 + i);
      put("Errors", i < 1 ? 1 : 0, 1_000 + i);
      put("Invocations", 1, 61_000 + i);
      put("Errors", i < 4 ? 1 : 0, 61_000 + i);
    }
    const points = alarmDatapoints(def, store, 120_001);
    expect(points.map((p) => p.value)).toEqual([5, 20]);
    expect(evaluateAlarm(def, points, "OK").state).toBe("OK");
    for (let i = 0; i < 10; i++) put("Errors", 1, 1_100 + i);
    expect(evaluateAlarm(def, alarmDatapoints(def, store, 120_001), "OK").state).toBe("ALARM");
  });

  test("an expression reading a query the alarm does not have, or a function not evaluated here, is refused by name", () => {
    const props = (expression: string) => ({
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
      EvaluationPeriods: 1,
      Metrics: [lambda("errors", "Errors"), { Id: "e", Expression: expression, Period: 60 }],
    });
    expect(() => alarmDefinition(resource(props("errors + throttles")))).toThrow(
      /alarm RateAlarm: e reads throttles, which is no query of the alarm/,
    );
    expect(() => alarmDefinition(resource(props("ANOMALY_DETECTION_BAND(errors)")))).toThrow(
      /alarm RateAlarm: .*ANOMALY_DETECTION_BAND is not evaluated locally/,
    );
  });
});
