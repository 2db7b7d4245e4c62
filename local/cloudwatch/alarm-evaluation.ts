import type { Resource } from "../cloudformation/assembly.js";
import { idsOf, parseExpression } from "./math.js";
import { isStatistic, type MetricId, type MetricStore, metricIdOf, type Statistic } from "./metric-store.js";
import { querySeries, type SeriesQuery } from "./query.js";

// An alarm of the template as CloudWatch evaluates it: its metric (or metric math) read as one data
// point per period over its last EvaluationPeriods periods; a data point breaches when it compares
// with the threshold as ComparisonOperator says; missing data points are treated as
// TreatMissingData says; DatapointsToAlarm breaching of them put it in ALARM, otherwise OK.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";
export type TreatMissingData = "missing" | "notBreaching" | "breaching" | "ignore";

const COMPARISONS = {
  GreaterThanThreshold: { test: (v: number, t: number) => v > t, words: "greater than" },
  GreaterThanOrEqualToThreshold: { test: (v: number, t: number) => v >= t, words: "greater than or equal to" },
  LessThanThreshold: { test: (v: number, t: number) => v < t, words: "less than" },
  LessThanOrEqualToThreshold: { test: (v: number, t: number) => v <= t, words: "less than or equal to" },
} as const;
export type Comparison = keyof typeof COMPARISONS;

/** One metric an alarm reads, with the statistic and period it reads it by. */
export interface MetricStat {
  readonly metric: MetricId;
  readonly stat: Statistic;
  readonly periodSeconds: number;
}

export interface AlarmDefinition {
  readonly kind: "metric";
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The template's properties, resolved (DescribeAlarms answers with them). */
  readonly properties: Readonly<Record<string, unknown>>;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly periodSeconds: number;
  readonly treatMissingData: TreatMissingData;
  readonly actionsEnabled: boolean;
  readonly actions: Readonly<Record<AlarmState, readonly string[]>>;
  /** A metric, or metric math over metrics by id. */
  readonly source:
    | { readonly kind: "metric"; readonly stat: MetricStat }
    | {
        readonly kind: "math";
        /** The id of the expression whose series the alarm is decided on. */
        readonly result: string;
        /** Every expression of the alarm by id (more than one may build the result). */
        readonly expressions: ReadonlyMap<string, string>;
        readonly metrics: ReadonlyMap<string, MetricStat>;
      };
}

/** Reads a template alarm; throws naming what CloudWatch would evaluate that is not evaluated here. */
export function alarmDefinition(alarm: Resource): AlarmDefinition {
  const p = alarm.properties;
  const where = `alarm ${alarm.logicalId}`;
  const comparison = String(p.ComparisonOperator) as Comparison;
  if (!(comparison in COMPARISONS)) {
    throw new Error(`${where}: ComparisonOperator ${comparison} (anomaly detection) is not evaluated locally`);
  }
  const evaluationPeriods = Number(p.EvaluationPeriods);
  const statOf = (stat: unknown, extended: unknown): Statistic => {
    const s = String(extended ?? stat ?? "");
    if (!isStatistic(s)) throw new Error(`${where}: the statistic ${s} is not evaluated locally`);
    return s;
  };
  let source: AlarmDefinition["source"];
  let periodSeconds: number;
  if (typeof p.MetricName === "string") {
    periodSeconds = Number(p.Period);
    source = {
      kind: "metric",
      stat: {
        metric: metricIdOf(p),
        stat: statOf(p.Statistic, p.ExtendedStatistic),
        periodSeconds,
      },
    };
  } else {
    type Query = {
      Id: string;
      Expression?: string;
      ReturnData?: boolean;
      Period?: number;
      MetricStat?: { Metric: Record<string, unknown>; Stat: string; Period: number };
    };
    const queries = (p.Metrics as Query[] | undefined) ?? [];
    const returned = queries.filter((q) => q.ReturnData !== false);
    const result = returned.length === 1 ? returned[0] : undefined;
    if (result?.Expression === undefined) {
      throw new Error(`${where}: exactly one metric math expression must return data`);
    }
    const metrics = new Map<string, MetricStat>();
    const expressions = new Map<string, string>();
    for (const q of queries) {
      if (q.Expression !== undefined) expressions.set(q.Id, q.Expression);
      if (!q.MetricStat) continue;
      metrics.set(q.Id, {
        metric: metricIdOf(q.MetricStat.Metric),
        stat: statOf(q.MetricStat.Stat, undefined),
        periodSeconds: Number(q.MetricStat.Period),
      });
    }
    for (const [id, expression] of expressions) {
      let read: string[];
      try {
        read = idsOf(parseExpression(expression));
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
      const unknown = read.find((r) => !metrics.has(r) && !expressions.has(r));
      if (unknown !== undefined) throw new Error(`${where}: ${id} reads ${unknown}, which is no query of the alarm`);
    }
    periodSeconds = Number(result.Period ?? [...metrics.values()][0]?.periodSeconds ?? 60);
    source = { kind: "math", result: result.Id, expressions, metrics };
  }
  return {
    kind: "metric",
    logicalId: alarm.logicalId,
    name: alarm.name,
    arn: alarm.arn,
    properties: p,
    comparison,
    threshold: Number(p.Threshold),
    evaluationPeriods,
    datapointsToAlarm: Number(p.DatapointsToAlarm ?? evaluationPeriods),
    periodSeconds,
    source,
    // "Alarms that evaluate metrics in the AWS/DynamoDB namespace always ignore missing data even if
    // you choose a different option" (PutMetricAlarm, TreatMissingData).
    treatMissingData: readsDynamoDb(source)
      ? "ignore"
      : ((p.TreatMissingData as TreatMissingData | undefined) ?? "missing"),
    ...alarmActions(p),
  };
}

/** Whether an alarm (metric or composite) acts, and on which state what it does, from its properties. */
export function alarmActions(p: Readonly<Record<string, unknown>>): {
  actionsEnabled: boolean;
  actions: Readonly<Record<AlarmState, readonly string[]>>;
} {
  const list = (v: unknown) => ((v as unknown[] | undefined) ?? []).map(String);
  return {
    actionsEnabled: p.ActionsEnabled !== false,
    actions: { ALARM: list(p.AlarmActions), OK: list(p.OKActions), INSUFFICIENT_DATA: list(p.InsufficientDataActions) },
  };
}

function readsDynamoDb(source: AlarmDefinition["source"]): boolean {
  const stats = source.kind === "metric" ? [source.stat] : [...source.metrics.values()];
  return stats.some((m) => m.metric.namespace === "AWS/DynamoDB");
}

/** The metrics an alarm reads. */
export function metricsRead(def: AlarmDefinition): MetricStat[] {
  return def.source.kind === "metric" ? [def.source.stat] : [...def.source.metrics.values()];
}

/**
 * The alarm's data points over its last EvaluationPeriods whole periods before `now`, oldest first
 * (undefined: missing). `timeScale` > 1 shrinks every period by that factor (tests).
 */
export function alarmDatapoints(
  def: AlarmDefinition,
  store: MetricStore,
  now: number,
  timeScale = 1,
): { t: number; value: number | undefined }[] {
  const periodMs = (def.periodSeconds * 1000) / timeScale;
  const end = Math.floor(now / periodMs) * periodMs;
  const start = end - def.evaluationPeriods * periodMs;
  const asQuery = (id: string, m: MetricStat): SeriesQuery => ({ id, metric: m.metric, stat: m.stat });
  const { source } = def;
  const [resultId, queries]: [string, SeriesQuery[]] =
    source.kind === "metric"
      ? ["m", [asQuery("m", source.stat)]]
      : [
          source.result,
          [
            ...[...source.metrics].map(([id, m]) => asQuery(id, m)),
            ...[...source.expressions].map(([id, expression]) => ({ id, expression })),
          ],
        ];
  const { times, values } = querySeries(store, queries, periodMs, start, end, def.periodSeconds);
  const result = values.get(resultId) ?? [];
  return times.map((t, i) => ({ t, value: result[i] }));
}

export interface Evaluation {
  readonly state: AlarmState;
  readonly reason: string;
  /** CloudWatch's StateReasonData: the data points the decision was taken on. */
  readonly reasonData: Record<string, unknown>;
}

/** The state the data points put the alarm in, with the reason CloudWatch gives. */
export function evaluateAlarm(
  def: AlarmDefinition,
  points: readonly { t: number; value: number | undefined }[],
  current: AlarmState,
): Evaluation {
  const { test, words } = COMPARISONS[def.comparison];
  const present = points.filter((p): p is { t: number; value: number } => p.value !== undefined);
  const missing = points.length - present.length;
  const treat = def.treatMissingData;
  // CloudWatch's StateReasonData: the query's time, the metric's unit (when the alarm names one),
  // the statistic, period and threshold, and the data points read.
  const reasonData = {
    version: "1.0",
    queryDate: new Date().toISOString(),
    ...(typeof def.properties.Unit === "string" ? { unit: def.properties.Unit } : {}),
    statistic: def.source.kind === "metric" ? def.source.stat.stat : undefined,
    period: def.periodSeconds,
    recentDatapoints: present.map((p) => p.value),
    threshold: def.threshold,
    evaluatedDatapoints: points.map((p) => ({ timestamp: new Date(p.t).toISOString(), value: p.value })),
  };
  if (present.length === 0 && (treat === "missing" || treat === "ignore")) {
    if (treat === "ignore") return { state: current, reason: "no data points; the state is kept", reasonData };
    return {
      state: "INSUFFICIENT_DATA",
      reason: `Insufficient Data: ${points.length} datapoint${points.length === 1 ? " was" : "s were"} unknown.`,
      reasonData,
    };
  }
  const missingBreach = treat === "breaching" ? missing : 0;
  const breaching = present.filter((p) => test(p.value, def.threshold)).length + missingBreach;
  const m = def.datapointsToAlarm;
  const shown = present
    .slice()
    .reverse()
    .map((p) => `${p.value.toFixed(1)} (${cloudwatchDate(p.t)})`)
    .join(", ");
  const considered = treat === "breaching" || treat === "notBreaching" ? points.length : present.length;
  const treated =
    missing > 0 && (treat === "breaching" || treat === "notBreaching")
      ? ` and ${missing} missing datapoint${missing === 1 ? " was" : "s were"} treated as [${treat === "breaching" ? "Breaching" : "NonBreaching"}]`
      : "";
  if (present.length === 0) {
    const state: AlarmState = breaching >= m ? "ALARM" : "OK";
    return {
      state,
      reason: `Threshold Crossed: no datapoints were received for ${points.length} period${points.length === 1 ? "" : "s"}${treated}.`,
      reasonData,
    };
  }
  if (breaching >= m) {
    return {
      state: "ALARM",
      reason:
        `Threshold Crossed: ${breaching} out of the last ${considered} datapoints [${shown}] ${breaching === 1 ? "was" : "were"} ` +
        `${words} the threshold (${def.threshold.toFixed(1)})${treated} (minimum ${m} datapoint${m === 1 ? "" : "s"} for OK -> ALARM transition).`,
      reasonData,
    };
  }
  const good = considered - breaching;
  return {
    state: "OK",
    reason:
      `Threshold Crossed: ${good} out of the last ${considered} datapoints [${shown}] ${good === 1 ? "was" : "were"} not ` +
      `${words} the threshold (${def.threshold.toFixed(1)})${treated} (minimum ${m} datapoint${m === 1 ? "" : "s"} for ALARM -> OK transition).`,
    reasonData,
  };
}

/** CloudWatch's date in a reason: dd/MM/yy HH:mm:ss, UTC. */
function cloudwatchDate(t: number): string {
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
