// The local stack's CloudWatch metrics: every datum recorded with its namespace, name, dimensions,
// unit and time, kept for a few hours in memory, and read back as CloudWatch reads it — a metric is
// its namespace, name and exact set of dimensions; a statistic is taken over the data points whose
// time falls in each period.

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

export interface MetricId {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: readonly Dimension[];
}

/** One datum: a value, or a statistic set (PutMetricData's StatisticValues) standing for many. */
export interface Sample {
  readonly t: number;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** The values themselves, when known: percentiles need them. */
  readonly values?: readonly number[];
}

/** The statistics CloudWatch computes; `pNN` (or `pNN.N`) for percentiles. */
export type Statistic = "Sum" | "SampleCount" | "Average" | "Minimum" | "Maximum" | `p${string}`;

const RETENTION_MS = 3 * 3600_000;

/** A metric as templates and API calls name it: `Namespace`, `MetricName`, `Dimensions` of `{Name, Value}`. */
export function metricIdOf(m: Readonly<Record<string, unknown>>): MetricId {
  return {
    namespace: String(m.Namespace ?? ""),
    name: String(m.MetricName ?? ""),
    dimensions: ((m.Dimensions as { Name: unknown; Value: unknown }[] | undefined) ?? []).map((d) => ({
      Name: String(d.Name),
      Value: String(d.Value),
    })),
  };
}

/** A metric's identity as CloudWatch matches it: dimension order does not matter, the set does. */
export function metricKey(m: MetricId): string {
  const dims = [...m.dimensions].sort((a, b) => a.Name.localeCompare(b.Name)).map((d) => `${d.Name}=${d.Value}`);
  return `${m.namespace}\u0000${m.name}\u0000${dims.join("\u0000")}`;
}

export class MetricStore {
  private readonly series = new Map<string, { id: MetricId; unit: string | undefined; samples: Sample[] }>();

  /** Records one value (or, with `count` > 1, a statistic set) at `t` (ms since the epoch). */
  put(id: MetricId, value: number | Omit<Sample, "t">, t = Date.now(), unit?: string): void {
    const key = metricKey(id);
    let s = this.series.get(key);
    if (!s) {
      s = { id: { ...id, dimensions: [...id.dimensions] }, unit, samples: [] };
      this.series.set(key, s);
    }
    const sample: Sample =
      typeof value === "number"
        ? { t, count: 1, sum: value, min: value, max: value, values: [value] }
        : { ...value, t };
    s.samples.push(sample);
    // Kept in time order (data points may arrive late, e.g. from a function's log).
    for (let i = s.samples.length - 1; i > 0 && (s.samples[i - 1] as Sample).t > sample.t; i--) {
      [s.samples[i - 1], s.samples[i]] = [s.samples[i] as Sample, s.samples[i - 1] as Sample];
    }
    // Aged-out samples go a minute's worth at a time, not one filter of the whole series per datum.
    const oldest = t - RETENTION_MS;
    if ((s.samples[0]?.t ?? t) < oldest - 60_000) s.samples = s.samples.filter((x) => x.t >= oldest);
  }

  /** Every metric recorded, optionally only those of a namespace, name or with given dimensions (ListMetrics). */
  list(filter: { namespace?: string; name?: string; dimensions?: readonly Partial<Dimension>[] } = {}): MetricId[] {
    return [...this.series.values()]
      .map((s) => s.id)
      .filter(
        (id) =>
          (filter.namespace === undefined || id.namespace === filter.namespace) &&
          (filter.name === undefined || id.name === filter.name) &&
          (filter.dimensions ?? []).every((want) =>
            id.dimensions.some((d) => d.Name === want.Name && (want.Value === undefined || d.Value === want.Value)),
          ),
      );
  }

  unit(id: MetricId): string | undefined {
    return this.series.get(metricKey(id))?.unit;
  }

  /** The samples of a metric with `start <= t < end`. */
  samples(id: MetricId, start: number, end: number): Sample[] {
    return (this.series.get(metricKey(id))?.samples ?? []).filter((s) => s.t >= start && s.t < end);
  }

  /**
   * A statistic per period: for each period from `start` (aligned down to the period) before `end`,
   * the statistic of its samples, or undefined where it has none (a missing data point).
   */
  query(id: MetricId, stat: Statistic, periodMs: number, start: number, end: number): Datapoint[] {
    const from = Math.floor(start / periodMs) * periodMs;
    const samples = this.samples(id, from, end);
    const points: Datapoint[] = [];
    let i = 0;
    for (let t = from; t < end; t += periodMs) {
      const inPeriod: Sample[] = [];
      while (i < samples.length && (samples[i] as Sample).t < t + periodMs) inPeriod.push(samples[i++] as Sample);
      points.push({ t, value: statistic(inPeriod, stat) });
    }
    return points;
  }
}

export interface Datapoint {
  /** The period's start. */
  readonly t: number;
  readonly value: number | undefined;
}

/** A statistic of a period's samples; undefined when there are none. */
export function statistic(samples: readonly Sample[], stat: Statistic): number | undefined {
  if (samples.length === 0) return undefined;
  const count = samples.reduce((n, s) => n + s.count, 0);
  const sum = samples.reduce((n, s) => n + s.sum, 0);
  switch (stat) {
    case "Sum":
      return sum;
    case "SampleCount":
      return count;
    case "Average":
      return count === 0 ? undefined : sum / count;
    case "Minimum":
      return Math.min(...samples.map((s) => s.min));
    case "Maximum":
      return Math.max(...samples.map((s) => s.max));
  }
  const p = percentileOf(stat);
  if (p === undefined) throw new Error(`unknown statistic ${stat}`);
  // Nearest rank over the known values; a statistic set without values stands as its maximum.
  const values = samples.flatMap((s) => (s.values ? [...s.values] : [s.max])).sort((a, b) => a - b);
  return values[Math.max(0, Math.ceil((p / 100) * values.length) - 1)];
}

/** The percentile of `p99`, `p99.9`, …; undefined for anything else. */
export function percentileOf(stat: string): number | undefined {
  const m = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  return m ? Number(m[1]) : undefined;
}

export function isStatistic(stat: string): stat is Statistic {
  return ["Sum", "SampleCount", "Average", "Minimum", "Maximum"].includes(stat) || percentileOf(stat) !== undefined;
}
