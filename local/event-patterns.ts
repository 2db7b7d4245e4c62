import { inCidr } from "./cidr.js";

// Event patterns as EventBridge defines them, which Lambda's event filtering (FilterCriteria) and
// SNS's filter policies both use: a pattern's fields hold lists of values (OR-ed) — equals, null,
// "" — or comparisons ({equals-ignore-case}, {anything-but} of a value, a list or {prefix}/{suffix},
// {numeric: [op, n, …]}, {exists}, {prefix}, {suffix}, {cidr}), nested patterns, and $or over fields.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
// https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html

export type Pattern = { readonly [key: string]: unknown };

const OPERATORS = new Set(["equals-ignore-case", "anything-but", "numeric", "exists", "prefix", "suffix", "cidr"]);

/** What is wrong with a pattern, in words; undefined when it is well formed. */
export function checkPattern(pattern: Pattern): string | undefined {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!Array.isArray(rule) || rule.length < 2) return "$or needs a list of patterns";
      for (const p of rule) {
        const problem = checkPattern(p as Pattern);
        if (problem) return problem;
      }
    } else if (Array.isArray(rule)) {
      for (const value of rule) {
        if (value !== null && typeof value === "object") {
          const [op, ...more] = Object.keys(value);
          if (op === undefined || more.length > 0 || !OPERATORS.has(op)) {
            return `${key}: unknown comparison ${JSON.stringify(value)}`;
          }
          if (op === "numeric" && numericTests((value as { numeric: unknown }).numeric) === undefined) {
            return `${key}: numeric needs pairs of an operator (= < <= > >=) and a number`;
          }
        }
      }
    } else if (rule !== null && typeof rule === "object") {
      const problem = checkPattern(rule as Pattern);
      if (problem) return problem;
    } else {
      return `${key}: a rule must be a list of values or an object of rules`;
    }
  }
  return undefined;
}

/** Whether an event (an object) matches a pattern: every field's rule holds (AND), $or any of its patterns. */
export function matches(pattern: Pattern, event: unknown): boolean {
  const object = event !== null && typeof event === "object" && !Array.isArray(event) ? (event as Pattern) : {};
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === "$or") return (rule as Pattern[]).some((p) => matches(p, object));
    const present = Object.hasOwn(object, key);
    const value = object[key];
    if (Array.isArray(rule)) return rule.some((r) => leaf(r, present, value));
    // A nested pattern needs the field to be an object that matches it.
    return present && value !== null && typeof value === "object" && matches(rule as Pattern, value);
  });
}

/** One value of a leaf rule against a field; an array field matches when any element does. */
function leaf(rule: unknown, present: boolean, value: unknown): boolean {
  if (rule !== null && typeof rule === "object" && "exists" in rule) {
    return (rule as { exists: unknown }).exists === true ? present : !present;
  }
  if (!present) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => compare(rule, v));
}

function compare(rule: unknown, value: unknown): boolean {
  if (rule === null) return value === null;
  if (typeof rule !== "object") {
    // Equals: strings to strings, numbers to numbers (a number rule matches the number, "1" does not).
    if (typeof rule === "number") return typeof value === "number" && value === rule;
    return value === rule;
  }
  const [op, arg] = Object.entries(rule as Record<string, unknown>)[0] ?? [];
  switch (op) {
    case "equals-ignore-case":
      return typeof value === "string" && typeof arg === "string" && value.toLowerCase() === arg.toLowerCase();
    case "prefix":
      return typeof value === "string" && typeof arg === "string" && value.startsWith(arg);
    case "suffix":
      return typeof value === "string" && typeof arg === "string" && value.endsWith(arg);
    case "numeric":
      return typeof value === "number" && (numericTests(arg)?.(value) ?? false);
    case "cidr":
      return typeof value === "string" && typeof arg === "string" && inCidr(value, arg);
    case "anything-but": {
      if (arg !== null && typeof arg === "object" && !Array.isArray(arg)) {
        // {anything-but: {prefix: …}} and {anything-but: {suffix: …}}.
        return !compare(arg, value) && typeof value === "string";
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.some((x) => compare(x, value));
    }
    default:
      return false;
  }
}

const NUMERIC_OPS: Record<string, (a: number, b: number) => boolean> = {
  "=": (a, b) => a === b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};

/** `["<", 10]`, `[">", 0, "<=", 5]`: every comparison holds; undefined when the list is not such pairs. */
function numericTests(spec: unknown): ((x: number) => boolean) | undefined {
  const list = Array.isArray(spec) ? spec : [];
  const tests: ((x: number) => boolean)[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const op = NUMERIC_OPS[String(list[i])];
    const n = list[i + 1];
    if (op === undefined || typeof n !== "number") return undefined;
    tests.push((x) => op(x, n));
  }
  if (tests.length === 0 || tests.length * 2 !== list.length) return undefined;
  return (x) => tests.every((t) => t(x));
}
