// CloudWatch metric math, the part alarms use: arithmetic (+ - * /, parentheses, unary minus) on
// time series and numbers, and FILL(series, value). Arithmetic between series is done period by
// period; a period where an operand has no data point has none in the result — which is why an
// alarm on `r + w` of sparse metrics needs FILL to see a period where only one of them has data.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html

/** A series of values per period (undefined: no data point), or a number. */
export type Value = readonly (number | undefined)[] | number;

type Node =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "id"; readonly id: string }
  | { readonly kind: "neg"; readonly operand: Node }
  | { readonly kind: "binary"; readonly op: "+" | "-" | "*" | "/"; readonly left: Node; readonly right: Node }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Node[] };

const FUNCTIONS = new Set(["FILL"]);

/** Parses an expression; throws, naming what it cannot read, for anything beyond this grammar. */
export function parseExpression(text: string): Node {
  const tokens = text.match(/\s*(\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),]|\S)/g)?.map((t) => t.trim()) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const expect = (t: string) => {
    if (tokens[i] !== t) throw new Error(`metric math "${text}": expected "${t}" at "${tokens[i] ?? "end"}"`);
    i++;
  };
  const primary = (): Node => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`metric math "${text}": unexpected end`);
    if (t === "(") {
      const inner = sum();
      expect(")");
      return inner;
    }
    if (t === "-") return { kind: "neg", operand: primary() };
    if (/^\d/.test(t)) return { kind: "number", value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() !== "(") return { kind: "id", id: t };
      const name = t.toUpperCase();
      if (!FUNCTIONS.has(name)) throw new Error(`metric math "${text}": the function ${t} is not evaluated locally`);
      i++;
      const args: Node[] = [sum()];
      while (peek() === ",") {
        i++;
        args.push(sum());
      }
      expect(")");
      return { kind: "call", name, args };
    }
    throw new Error(`metric math "${text}": unexpected "${t}"`);
  };
  const product = (): Node => {
    let left = primary();
    while (peek() === "*" || peek() === "/") {
      const op = tokens[i++] as "*" | "/";
      left = { kind: "binary", op, left, right: primary() };
    }
    return left;
  };
  const sum = (): Node => {
    let left = product();
    while (peek() === "+" || peek() === "-") {
      const op = tokens[i++] as "+" | "-";
      left = { kind: "binary", op, left, right: product() };
    }
    return left;
  };
  const node = sum();
  if (i < tokens.length) throw new Error(`metric math "${text}": unexpected "${tokens[i]}"`);
  return node;
}

/** The ids an expression reads. */
export function idsOf(node: Node): string[] {
  switch (node.kind) {
    case "id":
      return [node.id];
    case "neg":
      return idsOf(node.operand);
    case "binary":
      return [...idsOf(node.left), ...idsOf(node.right)];
    case "call":
      return node.args.flatMap(idsOf);
    default:
      return [];
  }
}

/** Evaluates an expression over series of `length` periods. */
export function evaluateExpression(node: Node, series: (id: string) => Value, length: number): Value {
  const at = (v: Value, i: number) => (typeof v === "number" ? v : v[i]);
  const map = (values: Value[], f: (xs: number[]) => number | undefined): Value => {
    if (values.every((v) => typeof v === "number")) return f(values as number[]) as number;
    return Array.from({ length }, (_, i) => {
      const xs = values.map((v) => at(v, i));
      return xs.every((x) => x !== undefined) ? f(xs as number[]) : undefined;
    });
  };
  switch (node.kind) {
    case "number":
      return node.value;
    case "id":
      return series(node.id);
    case "neg":
      return map([evaluateExpression(node.operand, series, length)], ([x]) => -(x as number));
    case "binary": {
      const l = evaluateExpression(node.left, series, length);
      const r = evaluateExpression(node.right, series, length);
      return map([l, r], ([a, b]) => {
        const x = a as number;
        const y = b as number;
        if (node.op === "+") return x + y;
        if (node.op === "-") return x - y;
        if (node.op === "*") return x * y;
        return y === 0 ? undefined : x / y;
      });
    }
    case "call": {
      const [target, fill] = node.args.map((a) => evaluateExpression(a, series, length));
      if (target === undefined || typeof fill !== "number")
        throw new Error("FILL(series, value) takes a series and a number");
      if (typeof target === "number") return target;
      return target.map((x) => x ?? fill);
    }
  }
}
