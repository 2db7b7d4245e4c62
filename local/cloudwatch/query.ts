import { evaluateExpression, parseExpression } from "./math.js";
import type { MetricId, MetricStore, Statistic } from "./metric-store.js";

// One way to read metrics as time series, for everything that does: an alarm's data points,
// GetMetricData, the dashboard's widgets. Each query is a metric's statistic per period or an
// expression over the queries before it; every series has one value (or none) per period.

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
): SeriesResult {
  const from = Math.floor(start / periodMs) * periodMs;
  const times: number[] = [];
  for (let t = from; t < end; t += periodMs) times.push(t);
  const values = new Map<string, (number | undefined)[]>();
  for (const q of queries) {
    if ("metric" in q)
      values.set(
        q.id,
        store.query(q.metric, q.stat, periodMs, from, end).map((p) => p.value),
      );
  }
  for (const q of queries) {
    if (!("expression" in q)) continue;
    const result = evaluateExpression(parseExpression(q.expression), (id) => values.get(id) ?? [], times.length);
    values.set(q.id, typeof result === "number" ? times.map(() => result) : [...result]);
  }
  return { times, values };
}
