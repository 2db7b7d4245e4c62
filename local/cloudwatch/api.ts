import { type AlarmDefinition, type AlarmState, alarmDefinition } from "./alarm-evaluation.js";
import type { AlarmRunner, AlarmStatus } from "./alarms.js";
import { type Dimension, isStatistic, type MetricStore, metricIdOf } from "./metric-store.js";
import { querySeries, type SeriesQuery, type SeriesResult } from "./query.js";

// CloudWatch's API on the local endpoint, as data in and data out: the wire (JSON 1.0 for the SDK,
// RPC v2 CBOR for the AWS CLI, whichever a client speaks) is the gateway's. Times come in as Dates
// (CBOR), epoch seconds (JSON) or ISO strings, and go out as Dates.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Operations.html

export class CloudWatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** The error's code in the query protocol (CloudWatch's JSON is query-compatible), when it differs. */
    readonly queryCode = code,
    /** Coral's validation errors say `Message`; CloudWatch's own `message`. */
    readonly messageKey: "message" | "Message" = "message",
  ) {
    super(message);
  }
}

const ALARM_STATES = ["INSUFFICIENT_DATA", "ALARM", "OK"];

/** CloudWatch's JSON errors are query-compatible: an exception type on the wire, the query code beside it. */
const invalidValue = (message: string) =>
  new CloudWatchError("InvalidParameterValueException", message, 400, "InvalidParameterValue");
const invalidCombination = (message: string) =>
  new CloudWatchError("InvalidParameterCombinationException", message, 400, "InvalidParameterCombination");

/** How many data points one GetMetricStatistics may ask for. */
const MAX_DATAPOINTS = 1440;

type Input = Record<string, unknown>;

/** The API over the store and the alarms being run (read per call: they start after the API is up). */
export function cloudWatchApi(
  store: MetricStore,
  runner: () => AlarmRunner | undefined,
  where: { readonly region: string; readonly account: string },
) {
  const alarms = () => [...(runner()?.alarms.values() ?? [])];
  const operations: Record<string, (input: Input) => Promise<unknown> | unknown> = {
    DescribeAlarms: (input) => {
      const names = input.AlarmNames as string[] | undefined;
      const prefix = input.AlarmNamePrefix as string | undefined;
      const state = input.StateValue as AlarmState | undefined;
      const types = (input.AlarmTypes as string[] | undefined) ?? ["MetricAlarm"];
      const matching = alarms().filter(
        (a) =>
          (names === undefined || names.length === 0 || names.includes(a.def.name)) &&
          (prefix === undefined || a.def.name.startsWith(prefix)) &&
          (state === undefined || a.state === state),
      );
      const ofKind = (kind: string, type: string) =>
        types.includes(type) ? matching.filter((a) => a.def.kind === kind).map(describedAlarm) : [];
      return { MetricAlarms: ofKind("metric", "MetricAlarm"), CompositeAlarms: ofKind("composite", "CompositeAlarm") };
    },
    DescribeAlarmHistory: (input) => {
      const name = input.AlarmName as string | undefined;
      return {
        AlarmHistoryItems: alarms()
          .filter((a) => name === undefined || a.def.name === name)
          .flatMap((a) =>
            a.history.map((h) => ({
              AlarmName: a.def.name,
              AlarmType: a.def.kind === "composite" ? "CompositeAlarm" : "MetricAlarm",
              Timestamp: new Date(h.t),
              HistoryItemType: "StateUpdate",
              HistorySummary: `Alarm updated from ${h.from} to ${h.to}`,
              HistoryData: JSON.stringify({
                oldState: { stateValue: h.from },
                newState: { stateValue: h.to, stateReason: h.reason },
              }),
            })),
          )
          .sort((x, y) => y.Timestamp.getTime() - x.Timestamp.getTime()),
      };
    },
    SetAlarmState: async (input) => {
      const name = String(input.AlarmName ?? "");
      const state = String(input.StateValue ?? "") as AlarmState;
      const running = runner();
      if (!ALARM_STATES.includes(state)) {
        throw new CloudWatchError(
          "ValidationException",
          `1 validation error detected: Value '${state}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [${ALARM_STATES.join(", ")}]`,
          400,
          "ValidationError",
          "Message",
        );
      }
      // CloudWatch says nothing more of an alarm that is not there.
      if (!running?.alarms.has(name)) throw new CloudWatchError("ResourceNotFound", "", 404);
      const data = typeof input.StateReasonData === "string" ? (JSON.parse(input.StateReasonData) as Input) : {};
      await running.setState(name, state, String(input.StateReason ?? ""), data);
      return {};
    },
    PutMetricAlarm: (input) => {
      const running = runner();
      if (!running) throw new CloudWatchError("ServiceUnavailable", "the alarms are not running yet", 503);
      const name = String(input.AlarmName ?? "");
      const resource = {
        logicalId: name,
        type: "AWS::CloudWatch::Alarm",
        properties: input,
        name,
        arn: `arn:aws:cloudwatch:${where.region}:${where.account}:alarm:${name}`,
        ref: name,
      };
      try {
        running.put(alarmDefinition(resource));
      } catch (err) {
        throw new CloudWatchError("ValidationError", (err as Error).message);
      }
      return {};
    },
    DeleteAlarms: (input) => {
      for (const name of (input.AlarmNames as string[] | undefined) ?? []) runner()?.delete(name);
      return {};
    },
    PutMetricData: (input) => {
      const namespace = String(input.Namespace ?? "");
      if (namespace === "" || namespace.startsWith("AWS/")) {
        throw invalidValue(`The value ${namespace} for parameter Namespace is invalid.`);
      }
      for (const [i, datum] of ((input.MetricData as Input[] | undefined) ?? []).entries()) {
        const member = `MetricData.member.${i + 1}`;
        if (datum.Value !== undefined && datum.Values !== undefined) {
          throw invalidCombination(
            `The parameters ${member}.Value and ${member}.Values are mutually exclusive and you have specified both.`,
          );
        }
        if (datum.Value !== undefined && datum.StatisticValues !== undefined) {
          throw invalidCombination(
            `The parameters ${member}.Value and ${member}.StatisticValues are mutually exclusive and you have specified both.`,
          );
        }
        const counts = datum.Counts as unknown[] | undefined;
        if (counts !== undefined && Array.isArray(datum.Values) && counts.length !== datum.Values.length) {
          throw invalidValue(`The parameters ${member}.Values and ${member}.Counts must be of the same size.`);
        }
      }
      for (const datum of (input.MetricData as Input[] | undefined) ?? []) {
        const id = { ...metricIdOf(datum), namespace };
        const t = datum.Timestamp === undefined ? Date.now() : toMs(datum.Timestamp);
        const unit = datum.Unit as string | undefined;
        const sv = datum.StatisticValues as Record<string, number> | undefined;
        if (sv) {
          store.put(
            id,
            { count: sv.SampleCount ?? 0, sum: sv.Sum ?? 0, min: sv.Minimum ?? 0, max: sv.Maximum ?? 0 },
            t,
            unit,
          );
        } else if (Array.isArray(datum.Values)) {
          const counts = (datum.Counts as number[] | undefined) ?? [];
          (datum.Values as number[]).forEach((v, i) => {
            for (let n = 0; n < (counts[i] ?? 1); n++) store.put(id, v, t, unit);
          });
        } else {
          store.put(id, Number(datum.Value), t, unit);
        }
      }
      return {};
    },
    ListMetrics: (input) => {
      const filter = {
        ...(input.Namespace === undefined ? {} : { namespace: String(input.Namespace) }),
        ...(input.MetricName === undefined ? {} : { name: String(input.MetricName) }),
        dimensions: ((input.Dimensions as Partial<Dimension>[] | undefined) ?? []).map((d) => ({
          Name: String(d.Name),
          ...(d.Value === undefined ? {} : { Value: String(d.Value) }),
        })),
      };
      return {
        Metrics: store
          .list(filter)
          .map((m) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: m.dimensions })),
      };
    },
    GetMetricStatistics: (input) => {
      const id = metricIdOf(input);
      const periodMs = Number(input.Period) * 1000;
      const start = toMs(input.StartTime);
      const end = toMs(input.EndTime);
      if (start >= end) throw invalidValue("The parameter StartTime must be less than the parameter EndTime.");
      const requested = Math.ceil((end - start) / periodMs);
      if (requested > MAX_DATAPOINTS) {
        throw invalidCombination(
          `You have requested up to ${requested} datapoints, which exceeds the limit of ${MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
        );
      }
      const stats = ((input.Statistics as string[] | undefined) ?? []).filter(isStatistic);
      const extended = ((input.ExtendedStatistics as string[] | undefined) ?? []).filter(isStatistic);
      const unit = store.unit(id) ?? "None";
      const byPeriod = new Map<number, Record<string, unknown>>();
      for (const stat of [...stats, ...extended]) {
        for (const point of store.query(id, stat, periodMs, start, end)) {
          if (point.value === undefined) continue;
          const row = byPeriod.get(point.t) ?? { Timestamp: new Date(point.t), Unit: unit };
          if (extended.includes(stat))
            row.ExtendedStatistics = { ...(row.ExtendedStatistics as Input), [stat]: point.value };
          else row[stat] = point.value;
          byPeriod.set(point.t, row);
        }
      }
      return { Label: id.name, Datapoints: [...byPeriod.values()] };
    },
    GetMetricData: (input) => {
      const start = toMs(input.StartTime);
      const end = toMs(input.EndTime);
      const queries = (input.MetricDataQueries as Input[] | undefined) ?? [];
      return { MetricDataResults: metricData(store, queries, start, end), Messages: [] };
    },
  };
  return async (operation: string, input: Input): Promise<unknown> => {
    const op = operations[operation];
    if (!op) throw new CloudWatchError("InvalidAction", `${operation} is not emulated by the local stack`);
    return op(input);
  };
}

/**
 * GetMetricData's answer: each query that returns data — a metric's statistic per period, or an
 * expression over the others — with its periods that have a value, newest first.
 */
export function metricData(store: MetricStore, queries: readonly Input[], start: number, end: number) {
  const periodOf = (q: Input) => Number((q.MetricStat as Input | undefined)?.Period ?? q.Period ?? 60) * 1000;
  const periodMs = Math.min(...queries.map(periodOf));
  const series: SeriesQuery[] = queries.map((q) => {
    const id = String(q.Id);
    if (typeof q.Expression === "string") return { id, expression: q.Expression };
    const stat = String((q.MetricStat as Input | undefined)?.Stat);
    if (!isStatistic(stat))
      throw new CloudWatchError("InvalidParameterValue", `The statistic ${stat} is not supported`);
    return { id, metric: metricIdOf((q.MetricStat as Input).Metric as Input), stat };
  });
  let result: SeriesResult;
  try {
    result = querySeries(store, series, periodMs, start, end);
  } catch (err) {
    throw new CloudWatchError("ValidationError", (err as Error).message);
  }
  return queries
    .filter((q) => q.ReturnData !== false)
    .map((q) => {
      const values = result.values.get(String(q.Id)) ?? [];
      const kept = result.times
        .map((t, i) => [t, values[i]] as const)
        .filter((x): x is readonly [number, number] => x[1] !== undefined)
        .reverse();
      return {
        Id: q.Id,
        Label:
          q.Label ?? (q.MetricStat as { Metric?: { MetricName?: string } } | undefined)?.Metric?.MetricName ?? q.Id,
        Timestamps: kept.map(([t]) => new Date(t)),
        Values: kept.map(([, v]) => v),
        StatusCode: "Complete",
      };
    });
}

/** An alarm as DescribeAlarms lists it: a metric alarm's metric and thresholds, a composite alarm's rule. */
function describedAlarm(a: AlarmStatus) {
  const { def } = a;
  const p = def.properties;
  return {
    AlarmName: def.name,
    AlarmArn: def.arn,
    AlarmDescription: p.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: new Date(a.history[0]?.t ?? a.updated),
    ActionsEnabled: def.actionsEnabled,
    OKActions: def.actions.OK,
    AlarmActions: def.actions.ALARM,
    InsufficientDataActions: def.actions.INSUFFICIENT_DATA,
    StateValue: a.state,
    StateReason: a.reason,
    // None on a new alarm, nor after SetAlarmState without it.
    ...(Object.keys(a.reasonData).length === 0 ? {} : { StateReasonData: JSON.stringify(a.reasonData) }),
    StateUpdatedTimestamp: new Date(a.updated),
    StateTransitionedTimestamp: new Date(a.updated),
    ...(def.kind === "metric" ? definitionFields(def) : { AlarmRule: p.AlarmRule }),
  };
}

/** The alarm's metric (or metrics) and thresholds as DescribeAlarms lists them. */
function definitionFields(def: AlarmDefinition) {
  const p = def.properties;
  const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
  // What the alarm sets, as it set it: DatapointsToAlarm and TreatMissingData only when given; a
  // metric alarm's Dimensions even when empty.
  return {
    ...pick(["MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit", "Metrics"]),
    ...(typeof p.MetricName === "string" ? { Dimensions: p.Dimensions ?? [] } : {}),
    EvaluationPeriods: def.evaluationPeriods,
    ...pick(["DatapointsToAlarm", "TreatMissingData"]),
    Threshold: def.threshold,
    ComparisonOperator: def.comparison,
  };
}

/** A time as a client sends it: a Date (CBOR), epoch seconds (JSON) or an ISO string. */
export function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "number") return value * 1000;
  if (typeof value === "string") {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  }
  throw new CloudWatchError("InvalidParameterValue", `not a time: ${String(value)}`);
}
