// CloudWatch metric math as its user guide defines it (Metric math syntax and functions):
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
// Values are scalars (S), time series (TS: a value or none per period) and arrays of them (TS[]).
// - Arithmetic (+ - * / ^, unary minus) and comparisons (== != < <= > >=, giving 1 or 0) between
//   two series treat a missing value as 0 where the other has one; a period where neither has a
//   value has none. Between a series and a scalar, only the series' periods have values. A division
//   by zero drops the data point.
// - Logical AND (&&), OR (||); IF(condition, trueValue[, falseValue]) as the guide's tables give it.
// - ABS, CEIL, FLOOR, LOG, LOG10 per data point; FILL(series, scalar | series); DIFF, RATE;
//   SUM, AVG, MIN, MAX (of a series: a scalar over its data points; of an array: a series, missing
//   values as 0), DATAPOINT_COUNT, METRIC_COUNT, METRICS([substring]), FIRST, LAST, PERIOD,
//   TIME_SERIES, and arrays written [a, b].
// Anything else (SEARCH, ANOMALY_DETECTION_BAND, SORT, FILL's REPEAT/LINEAR, …) is refused by name
// when the expression is read, so an alarm that needs it is named at start as not run.

export type Series = readonly (number | undefined)[];
/** A scalar, one time series, or an array of them. */
export type Value = number | Series | SeriesArray;
export interface SeriesArray {
  readonly array: readonly Series[];
}

type BinaryOp = "+" | "-" | "*" | "/" | "^" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "AND" | "OR";

export type Node =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "id"; readonly id: string }
  | { readonly kind: "neg"; readonly operand: Node }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: Node; readonly right: Node }
  | { readonly kind: "array"; readonly items: readonly Node[] }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Node[] };

/** What an expression is evaluated against. */
export interface MathContext {
  /** The series of a query of the request (a metric, or another expression), by id. */
  series(id: string): Series;
  /** The ids of the request's metrics (not expressions), in order: what METRICS() returns. */
  readonly metricIds: readonly string[];
  /** Periods in every series. */
  readonly length: number;
  readonly periodSeconds: number;
}

const isArray = (v: Value): v is SeriesArray => typeof v === "object" && "array" in v;
const isSeries = (v: Value): v is Series => Array.isArray(v);
const defined = (x: number | undefined): x is number => x !== undefined && !Number.isNaN(x);
const clean = (x: number | undefined) => (defined(x) && Number.isFinite(x) ? x : undefined);

function describe(v: Value): string {
  return typeof v === "number" ? "a scalar" : isArray(v) ? "an array of time series" : "a time series";
}

/** Applies `f` per data point to a series or to each series of an array (a scalar: to it). */
function perPoint(v: Value, f: (x: number) => number | undefined): Value {
  if (typeof v === "number") return f(v) ?? Number.NaN;
  if (isArray(v)) return { array: v.array.map((s) => s.map((x) => (defined(x) ? clean(f(x)) : undefined))) };
  return v.map((x) => (defined(x) ? clean(f(x)) : undefined));
}

function binary(a: Value, b: Value, f: (x: number, y: number) => number | undefined, length: number): Value {
  if (isArray(a) && isArray(b)) throw new Error("an operator between two arrays of time series");
  if (isArray(a)) return { array: a.array.map((s) => binary(s, b, f, length) as Series) };
  if (isArray(b)) return { array: b.array.map((s) => binary(a, s, f, length) as Series) };
  if (typeof a === "number" && typeof b === "number") return f(a, b) ?? Number.NaN;
  return Array.from({ length }, (_, i) => {
    const x = typeof a === "number" ? a : a[i];
    const y = typeof b === "number" ? b : b[i];
    // Series against series: a missing value is 0 where the other has one. Against a scalar: none.
    if (!defined(x) && !defined(y)) return undefined;
    if ((typeof a === "number" && !defined(y)) || (typeof b === "number" && !defined(x))) return undefined;
    return clean(f(x ?? 0, y ?? 0));
  });
}

const OPERATORS: Readonly<Record<BinaryOp, (x: number, y: number) => number | undefined>> = {
  "+": (x, y) => x + y,
  "-": (x, y) => x - y,
  "*": (x, y) => x * y,
  "/": (x, y) => (y === 0 ? undefined : x / y),
  "^": (x, y) => x ** y,
  "==": (x, y) => Number(x === y),
  "!=": (x, y) => Number(x !== y),
  "<": (x, y) => Number(x < y),
  "<=": (x, y) => Number(x <= y),
  ">": (x, y) => Number(x > y),
  ">=": (x, y) => Number(x >= y),
  AND: (x, y) => Number(x !== 0 && y !== 0),
  OR: (x, y) => Number(x !== 0 || y !== 0),
};

type Aggregate = (xs: readonly number[]) => number;
const AGGREGATES: Readonly<Record<string, Aggregate>> = {
  SUM: (xs) => xs.reduce((s, x) => s + x, 0),
  AVG: (xs) => (xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length),
  MIN: (xs) => (xs.length === 0 ? Number.NaN : Math.min(...xs)),
  MAX: (xs) => (xs.length === 0 ? Number.NaN : Math.max(...xs)),
};

const ELEMENTWISE: Readonly<Record<string, (x: number) => number>> = {
  ABS: Math.abs,
  CEIL: Math.ceil,
  FLOOR: Math.floor,
  LOG: Math.log,
  LOG10: Math.log10,
};

const FUNCTIONS = new Set([
  ...Object.keys(AGGREGATES),
  ...Object.keys(ELEMENTWISE),
  "FILL",
  "IF",
  "DIFF",
  "RATE",
  "DATAPOINT_COUNT",
  "METRIC_COUNT",
  "METRICS",
  "FIRST",
  "LAST",
  "PERIOD",
  "TIME_SERIES",
]);

const TOKEN =
  /\s*(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|"[^"]*"|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[-+*/^()<>,[\]]|\S)/g;

/** Parses an expression; throws, naming what it cannot read, for anything beyond what is evaluated here. */
export function parseExpression(text: string): Node {
  const tokens = [...text.matchAll(TOKEN)].map((m) => m[1] as string);
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`metric math "${text}": ${what}`);
  };
  const peek = () => tokens[i];
  const expect = (t: string) => {
    if (tokens[i] !== t) fail(`expected "${t}" at "${tokens[i] ?? "end"}"`);
    i++;
  };
  const list = (close: string): Node[] => {
    const items: Node[] = [];
    if (peek() === close) {
      i++;
      return items;
    }
    items.push(or());
    while (peek() === ",") {
      i++;
      items.push(or());
    }
    expect(close);
    return items;
  };
  const primary = (): Node => {
    const t = tokens[i++];
    if (t === undefined) return fail("unexpected end");
    if (t === "(") {
      const inner = or();
      expect(")");
      return inner;
    }
    if (t === "[") return { kind: "array", items: list("]") };
    if (/^\d/.test(t)) return { kind: "number", value: Number(t) };
    if (t.startsWith('"')) return { kind: "string", value: t.slice(1, -1) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() !== "(") return { kind: "id", id: t };
      if (!FUNCTIONS.has(t)) fail(`the function ${t} is not evaluated locally`);
      i++;
      return { kind: "call", name: t, args: list(")") };
    }
    return fail(`unexpected "${t}"`);
  };
  const unary = (): Node => {
    if (peek() === "-") {
      i++;
      return { kind: "neg", operand: unary() };
    }
    const base = primary();
    if (peek() !== "^") return base;
    i++;
    return { kind: "binary", op: "^", left: base, right: unary() };
  };
  const level = (next: () => Node, ops: Readonly<Record<string, BinaryOp>>) => (): Node => {
    let left = next();
    for (let op = ops[peek() ?? ""]; op !== undefined; op = ops[peek() ?? ""]) {
      i++;
      left = { kind: "binary", op, left, right: next() };
    }
    return left;
  };
  const product = level(unary, { "*": "*", "/": "/" });
  const sum = level(product, { "+": "+", "-": "-" });
  const comparison = level(sum, { "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=" });
  const and = level(comparison, { AND: "AND", "&&": "AND" });
  const or = level(and, { OR: "OR", "||": "OR" });
  const node = or();
  if (i < tokens.length) fail(`unexpected "${tokens[i]}"`);
  return node;
}

/** The ids an expression reads (METRICS() reads every metric: not listed). */
export function idsOf(node: Node): string[] {
  switch (node.kind) {
    case "id":
      return [node.id];
    case "neg":
      return idsOf(node.operand);
    case "binary":
      return [...idsOf(node.left), ...idsOf(node.right)];
    case "array":
      return node.items.flatMap(idsOf);
    case "call":
      return node.args.flatMap(idsOf);
    default:
      return [];
  }
}

/** Evaluates an expression; throws, naming the function, on arguments of a kind it does not take. */
export function evaluateExpression(node: Node, context: MathContext): Value {
  const { length } = context;
  const evaluate = (n: Node) => evaluateExpression(n, context);
  switch (node.kind) {
    case "number":
      return node.value;
    case "string":
      throw new Error(`a string ("${node.value}") is an argument of METRICS only`);
    case "id":
      return context.series(node.id);
    case "neg":
      return perPoint(evaluate(node.operand), (x) => -x);
    case "binary":
      return binary(evaluate(node.left), evaluate(node.right), OPERATORS[node.op], length);
    case "array":
      return { array: node.items.map(evaluate).flatMap((v) => seriesOf(v, "an array", length)) };
    case "call":
      return call(node.name, node.args, context);
  }
}

/** The series a value contributes to an array (a scalar: a series of it). */
function seriesOf(v: Value, where: string, length: number): Series[] {
  if (isArray(v)) return [...v.array];
  if (isSeries(v)) return [v];
  if (Number.isNaN(v)) throw new Error(`${where}: a scalar with no value`);
  return [Array.from({ length }, () => v)];
}

function call(name: string, args: readonly Node[], context: MathContext): Value {
  const { length } = context;
  const values = () => args.map((a) => evaluateExpression(a, context));
  const wrong = (v: readonly Value[]): never => {
    throw new Error(`${name}(${v.map(describe).join(", ")}) is not a form CloudWatch takes`);
  };
  const elementwise = ELEMENTWISE[name];
  if (elementwise) {
    const [v, ...rest] = values();
    if (v === undefined || rest.length > 0) return wrong(values());
    return perPoint(v, elementwise);
  }
  const aggregate = AGGREGATES[name];
  if (aggregate) {
    const v = values();
    const [first] = v;
    if (v.length === 1 && first !== undefined && isSeries(first)) return aggregate(first.filter(defined));
    const array = v.flatMap((x) => seriesOf(x, name, length));
    return acrossArray(array, length, aggregate);
  }
  switch (name) {
    case "METRICS": {
      const [filter] = args;
      if (args.length > 1 || (filter !== undefined && filter.kind !== "string")) return wrong(values());
      const ids = context.metricIds.filter((id) => filter === undefined || id.includes(filter.value));
      return { array: ids.map((id) => context.series(id)) };
    }
    case "FILL": {
      const [target, filler] = values();
      if (target === undefined || filler === undefined || isArray(filler) || typeof target === "number")
        return wrong(values());
      const fill = (s: Series) => s.map((x, i) => (defined(x) ? x : typeof filler === "number" ? filler : filler[i]));
      return isArray(target) ? { array: target.array.map(fill) } : fill(target);
    }
    case "IF":
      return conditional(values(), length, wrong);
    case "DIFF":
    case "RATE": {
      const [v] = values();
      if (v === undefined || typeof v === "number" || args.length > 1) return wrong(values());
      const change = (s: Series): Series => {
        let previous: number | undefined;
        return s.map((x, i) => {
          if (!defined(x)) return undefined;
          const before = previous;
          previous = i;
          if (before === undefined) return undefined;
          const diff = x - (s[before] as number);
          return name === "DIFF" ? diff : diff / ((i - before) * context.periodSeconds);
        });
      };
      return isArray(v) ? { array: v.array.map(change) } : change(v);
    }
    case "DATAPOINT_COUNT": {
      const [v] = values();
      if (v === undefined || typeof v === "number") return wrong(values());
      if (isSeries(v)) return v.filter(defined).length;
      return Array.from({ length }, (_, i) => v.array.filter((s) => defined(s[i])).length || undefined);
    }
    case "METRIC_COUNT": {
      const [v] = values();
      if (v === undefined || !isArray(v)) return wrong(values());
      return v.array.length;
    }
    case "FIRST":
    case "LAST": {
      const [v] = values();
      if (v === undefined || !isArray(v)) return wrong(values());
      return (name === "FIRST" ? v.array[0] : v.array[v.array.length - 1]) ?? Array.from({ length }, () => undefined);
    }
    case "PERIOD": {
      const [v] = values();
      if (v === undefined || !isSeries(v)) return wrong(values());
      return context.periodSeconds;
    }
    case "TIME_SERIES": {
      const [v] = values();
      if (typeof v !== "number") return wrong(values());
      return Array.from({ length }, () => clean(v));
    }
  }
  throw new Error(`the function ${name} is not evaluated locally`);
}

/** An aggregate per period across an array's series, a missing value as 0; no value where none has one. */
function acrossArray(array: readonly Series[], length: number, aggregate: Aggregate): Series {
  return Array.from({ length }, (_, i) => {
    const xs = array.map((s) => s[i]);
    return xs.some(defined) ? clean(aggregate(xs.map((x) => (defined(x) ? x : 0)))) : undefined;
  });
}

/** IF(condition, trueValue[, falseValue]), as the guide's "Using IF expressions" tables give it. */
function conditional(v: readonly Value[], length: number, wrong: (v: readonly Value[]) => never): Value {
  const [condition, whenTrue, whenFalse] = v;
  if (condition === undefined || whenTrue === undefined || v.length > 3) return wrong(v);
  if ([condition, whenTrue, whenFalse].some((x) => x !== undefined && isArray(x))) return wrong(v);
  const at = (x: Value | undefined, i: number) => (x === undefined || typeof x === "number" ? x : (x as Series)[i]);
  if (typeof condition === "number") {
    const chosen = condition !== 0 ? whenTrue : whenFalse;
    if (chosen === undefined) return Array.from({ length }, () => undefined);
    if (typeof chosen === "number") return Array.from({ length }, () => clean(chosen));
    return chosen;
  }
  const series = condition as Series;
  return Array.from({ length }, (_, i) => {
    const c = series[i];
    if (!defined(c)) return undefined;
    // True: the true value, 0 where that series has none. False: the false value, dropped where none.
    if (c !== 0) return clean(at(whenTrue, i)) ?? 0;
    return clean(at(whenFalse, i));
  });
}

/** An expression's final value as one series of `length` periods; an array cannot be one. */
export function asSeries(v: Value, length: number): Series {
  if (isArray(v)) throw new Error("the expression gives an array of time series; one is read here");
  if (typeof v === "number") return Array.from({ length }, () => clean(v));
  return v.map(clean);
}
