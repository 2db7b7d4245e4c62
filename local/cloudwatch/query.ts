import { asSeries, evaluateExpression, parseExpression, type Series } from "./math.js";
import type { MetricId, MetricStore, Statistic } from "./metric-store.js";

// One way to read metrics as time series, for everything that does: an alarm's data points,
// GetMetricData, the dashboard's widgets. Each query is a metric's statistic per period or an
// expression over the other queries (in any order; one that reads itself is refused); every series
// has one value (or none) per period.

export type SeriesQuery =
  | { readonly id: string; readonly metric: MetricId; readonly stat: Statistic }
  | { readonly id: string; readonly expression: string };

export interface SeriesResult {
  /** Each period's start, from `start` aligned down to the period, before `end`. */
  readonly times: readonly number[];
  /** Per query id, a value per period (undefined: no data point). */
  readonly values: ReadonlyMap<string, readonly (number | undefined)[]>;
}

export function querySeries(
  store: MetricStore,
  queries: readonly SeriesQuery[],
  periodMs: number,
  start: number,
  end: number,
  /** The period as metric math's PERIOD and RATE read it (the alarms' time scale shrinks periodMs). */
  periodSeconds = periodMs / 1000,
): SeriesResult {
  const from = Math.floor(start / periodMs) * periodMs;
  const times: number[] = [];
  for (let t = from; t < end; t += periodMs) times.push(t);
  const values = new Map<string, Series>();
  const metricIds: string[] = [];
  for (const q of queries) {
    if (!("metric" in q)) continue;
    metricIds.push(q.id);
    values.set(
      q.id,
      store.query(q.metric, q.stat, periodMs, from, end).map((p) => p.value),
    );
  }
  const expressions = new Map(queries.flatMap((q) => ("expression" in q ? [[q.id, q.expression] as const] : [])));
  const evaluating = new Set<string>();
  const series = (id: string): Series => {
    const known = values.get(id);
    if (known) return known;
    const expression = expressions.get(id);
    if (expression === undefined) throw new Error(`the expression reads ${id}, which no query of the request is`);
    if (evaluating.has(id)) throw new Error(`the expression ${id} reads itself`);
    evaluating.add(id);
    const result = asSeries(
      evaluateExpression(parseExpression(expression), {
        series,
        metricIds,
        length: times.length,
        periodSeconds,
      }),
      times.length,
    );
    values.set(id, result);
    return result;
  };
  for (const id of expressions.keys()) series(id);
  return { times, values };
}
