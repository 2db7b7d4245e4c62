import type { Resource } from "../cloudformation/assembly.js";
import type { AlarmRunner } from "../cloudwatch/alarms.js";
import { type Dimension, isStatistic, type MetricStore, type Statistic } from "../cloudwatch/metric-store.js";
import { querySeries, type SeriesQuery } from "../cloudwatch/query.js";

// The template's dashboards as data for the local page: each widget of the dashboard body — graphs
// and single values of metrics (and metric math), text, alarm status — with its series read from
// the local metrics, beside the alarms' states and, per function, its mapping's shards and figures.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html

interface RawWidget {
  readonly type: string;
  readonly x?: number;
  readonly y?: number;
  readonly width?: number;
  readonly height?: number;
  readonly properties?: Record<string, unknown>;
}

export interface Series {
  readonly label: string;
  readonly yAxis: "left" | "right";
  /** [period start (ms), value] for each period with a data point. */
  readonly points: readonly (readonly [number, number])[];
}

export type Widget = {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly title: string;
} & (
  | { readonly type: "graph"; readonly series: readonly Series[] }
  | { readonly type: "value"; readonly values: readonly { label: string; value: number | null }[] }
  | { readonly type: "text"; readonly markdown: string }
  | { readonly type: "alarms"; readonly alarms: readonly { name: string; state: string }[] }
  | { readonly type: "unsupported"; readonly why: string }
);

export interface FunctionPanel {
  readonly functionName: string;
  readonly streamName: string;
  readonly shards: { readonly reading: number; readonly finished: number };
  readonly invocations: number;
  readonly errors: number;
  /** The age of the last batch's last record when the function got it (Lambda's IteratorAge), ms. */
  readonly iteratorAgeMs: number | null;
  readonly concurrency: { readonly now: number; readonly peak: number };
}

export interface DashboardData {
  readonly name: string;
  readonly periodSeconds: number;
  readonly rangeMinutes: number;
  /** The range drawn (ms since the epoch): the last RANGE_MINUTES, or the stack's lifetime while it is younger. */
  readonly from: number;
  readonly to: number;
  readonly widgets: readonly Widget[];
  readonly alarms: readonly { name: string; state: string; reason: string }[];
  readonly functions: readonly FunctionPanel[];
}

export interface DashboardSources {
  readonly store: MetricStore;
  readonly alarms: AlarmRunner | undefined;
  readonly functions: () => FunctionPanel[];
  /** When the stack started (ms since the epoch): a younger stack is drawn from then, not squeezed to the right. */
  readonly startedAt?: number;
}

/** The page draws the last 15 minutes in 10-second periods: a local run is minutes long, not days. */
export const RANGE_MINUTES = 15;
export const PERIOD_SECONDS = 10;

export function dashboardData(dashboard: Resource, sources: DashboardSources, now = Date.now()): DashboardData {
  const body = JSON.parse(String(dashboard.properties.DashboardBody ?? "{}")) as { widgets?: RawWidget[] };
  const periodMs = PERIOD_SECONDS * 1000;
  // From the start of the period the stack started in: every period drawn is one it lived through.
  const lifetime = sources.startedAt === undefined ? undefined : sources.startedAt - (sources.startedAt % periodMs);
  const start = Math.max(now - RANGE_MINUTES * 60_000, lifetime ?? Number.NEGATIVE_INFINITY);
  const alarmStates = [...(sources.alarms?.alarms.values() ?? [])];
  return {
    name: dashboard.name,
    periodSeconds: PERIOD_SECONDS,
    rangeMinutes: RANGE_MINUTES,
    from: start,
    to: now,
    widgets: (body.widgets ?? []).map((w) => {
      const place = { x: w.x ?? 0, y: w.y ?? 0, width: w.width ?? 6, height: w.height ?? 6 };
      const p = w.properties ?? {};
      const title = String(p.title ?? "");
      if (w.type === "text") return { ...place, title, type: "text", markdown: String(p.markdown ?? "") };
      if (w.type === "alarm") {
        const arns = (p.alarms as string[] | undefined) ?? [];
        return {
          ...place,
          title,
          type: "alarms",
          alarms: arns.map((arn) => {
            const status = alarmStates.find((a) => a.def.arn === arn);
            return { name: status?.def.name ?? arn, state: status?.state ?? "unknown" };
          }),
        };
      }
      if (w.type !== "metric") return { ...place, title, type: "unsupported", why: `${w.type} widgets are not drawn` };
      let series: Series[];
      try {
        series = metricSeries(
          sources.store,
          (p.metrics as unknown[][] | undefined) ?? [],
          String(p.stat ?? "Average"),
          periodMs,
          start,
          now,
        );
      } catch (err) {
        return { ...place, title, type: "unsupported", why: (err as Error).message };
      }
      if (p.view === "singleValue") {
        return {
          ...place,
          title,
          type: "value",
          values: series.map((s) => ({ label: s.label, value: s.points.at(-1)?.[1] ?? null })),
        };
      }
      return { ...place, title, type: "graph", series };
    }),
    alarms: alarmStates.map((a) => ({ name: a.def.name, state: a.state, reason: a.reason })),
    functions: sources.functions(),
  };
}

interface Row {
  readonly id: string;
  readonly label: string;
  readonly yAxis: "left" | "right";
  readonly visible: boolean;
  readonly metric?: { namespace: string; name: string; dimensions: Dimension[]; stat: Statistic };
  readonly expression?: string;
}

/**
 * A widget's metrics rows — `[Namespace, MetricName, DimName, DimValue, …, {options}]`, "." for the
 * previous row's value at that place, or `[{expression, id, label}]` — read per period.
 */
function metricSeries(
  store: MetricStore,
  rows: readonly unknown[][],
  defaultStat: string,
  periodMs: number,
  start: number,
  end: number,
): Series[] {
  const parsed: Row[] = [];
  let previous: unknown[] = [];
  rows.forEach((raw, i) => {
    const last = raw.at(-1);
    const options = (last !== null && typeof last === "object" ? last : {}) as Record<string, unknown>;
    const values = (options === last ? raw.slice(0, -1) : raw).map((v, j) => (v === "." ? previous[j] : v));
    previous = values;
    const common = {
      id: String(options.id ?? `m${i + 1}`),
      yAxis: options.yAxis === "right" ? ("right" as const) : ("left" as const),
      visible: options.visible !== false,
    };
    if (typeof options.expression === "string") {
      parsed.push({ ...common, label: String(options.label ?? options.expression), expression: options.expression });
      return;
    }
    const [namespace, name, ...dims] = values.map(String);
    const stat = String(options.stat ?? defaultStat);
    if (!isStatistic(stat)) throw new Error(`the statistic ${stat} is not drawn`);
    const dimensions: Dimension[] = [];
    for (let d = 0; d + 1 < dims.length; d += 2)
      dimensions.push({ Name: dims[d] as string, Value: dims[d + 1] as string });
    const label = String(options.label ?? [name, ...dimensions.map((d) => d.Value)].join(" "));
    parsed.push({ ...common, label, metric: { namespace: namespace ?? "", name: name ?? "", dimensions, stat } });
  });
  const queries: SeriesQuery[] = parsed.map((row) =>
    row.metric
      ? { id: row.id, metric: row.metric, stat: row.metric.stat }
      : { id: row.id, expression: row.expression ?? "" },
  );
  const { times, values } = querySeries(store, queries, periodMs, start, end);
  return parsed
    .filter((row) => row.visible)
    .map((row) => {
      const v = values.get(row.id) ?? [];
      const points = times.flatMap((t, i) => (v[i] === undefined ? [] : [[t, v[i] as number] as const]));
      return { label: row.label, yAxis: row.yAxis, points };
    });
}

/** Per function: its mapping's shards, and its invocations, errors and iterator age from the local metrics. */
export function functionPanels(
  store: MetricStore,
  hosts: Iterable<{
    readonly spec: { readonly functionName: string };
    readonly concurrency: FunctionPanel["concurrency"];
  }>,
  shards: ReadonlyMap<string, { streamName: string; reading: number; finished: number }>,
  now = Date.now(),
): FunctionPanel[] {
  const start = now - RANGE_MINUTES * 60_000;
  return [...hosts].map((host) => {
    const { functionName } = host.spec;
    const id = (name: string) => ({
      namespace: "AWS/Lambda",
      name,
      dimensions: [{ Name: "FunctionName", Value: functionName }],
    });
    const sum = (name: string) => store.samples(id(name), start, now + 1).reduce((n, s) => n + s.sum, 0);
    const mapping = shards.get(functionName);
    return {
      functionName,
      streamName: mapping?.streamName ?? "–",
      shards: { reading: mapping?.reading ?? 0, finished: mapping?.finished ?? 0 },
      invocations: sum("Invocations"),
      errors: sum("Errors"),
      iteratorAgeMs: store.samples(id("IteratorAge"), start, now + 1).at(-1)?.max ?? null,
      concurrency: host.concurrency,
    };
  });
}
