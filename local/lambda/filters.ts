import type { KinesisStreamRecord } from "aws-lambda";
import { TemplateError } from "../cloudformation/intrinsics.js";

// Lambda's event filtering for Kinesis (FilterCriteria): up to five patterns, OR-ed; a record that
// matches none is never sent to the function, and the checkpoint moves past it. A pattern's keys
// other than `data` name the record's metadata (partitionKey, sequenceNumber,
// approximateArrivalTimestamp, kinesisSchemaVersion); `data` names the record's data read as JSON —
// a record whose data is not a JSON object matches no pattern that filters on `data`.
// The rule syntax is EventBridge's as Lambda documents it: a list of values (equals, OR-ed), null,
// "" (empty), {equals-ignore-case}, {anything-but} (a value, a list, or {prefix}/{suffix}),
// {numeric: [op, n, …]}, {exists}, {prefix}, {suffix}, and $or over fields.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html

/** Lambda's default limit of filters per event-source mapping. */
export const MAX_FILTERS = 5;

type Pattern = { readonly [key: string]: unknown };

/** Reads a mapping's FilterCriteria into patterns, refusing what Lambda would refuse. */
export function parseFilterCriteria(criteria: unknown, where: string): Pattern[] {
  if (criteria === undefined) return [];
  const filters = (criteria as { Filters?: unknown }).Filters;
  if (!Array.isArray(filters)) throw new TemplateError(`${where}: FilterCriteria needs a Filters list`);
  if (filters.length > MAX_FILTERS) {
    throw new TemplateError(`${where}: ${filters.length} filters; Lambda takes at most ${MAX_FILTERS} per mapping`);
  }
  return filters.map((f, i) => {
    const text = (f as { Pattern?: unknown }).Pattern;
    let pattern: unknown;
    try {
      pattern = typeof text === "string" ? JSON.parse(text) : undefined;
    } catch {
      pattern = undefined;
    }
    if (pattern === null || typeof pattern !== "object" || Array.isArray(pattern)) {
      throw new TemplateError(`${where}: filter ${i + 1}'s Pattern is not a JSON object`);
    }
    checkPattern(pattern as Pattern, `${where}: filter ${i + 1}`);
    return pattern as Pattern;
  });
}

const OPERATORS = new Set(["equals-ignore-case", "anything-but", "numeric", "exists", "prefix", "suffix"]);

function checkPattern(pattern: Pattern, where: string): void {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!Array.isArray(rule) || rule.length < 2) throw new TemplateError(`${where}: $or needs a list of patterns`);
      for (const p of rule) checkPattern(p as Pattern, where);
    } else if (Array.isArray(rule)) {
      for (const value of rule) {
        if (value !== null && typeof value === "object") {
          const [op, ...more] = Object.keys(value);
          if (op === undefined || more.length > 0 || !OPERATORS.has(op)) {
            throw new TemplateError(`${where}: ${key}: unknown comparison ${JSON.stringify(value)}`);
          }
          if (op === "numeric") numericTest((value as { numeric: unknown }).numeric, `${where}: ${key}`);
        }
      }
    } else if (rule !== null && typeof rule === "object") {
      checkPattern(rule as Pattern, where);
    } else {
      throw new TemplateError(`${where}: ${key}: a rule must be a list of values or an object of rules`);
    }
  }
}

/** What a Kinesis record looks like to a filter: its metadata, and its data parsed when it is JSON. */
export function filterView(record: KinesisStreamRecord): Record<string, unknown> {
  const { kinesis } = record;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(kinesis.data, "base64").toString("utf8"));
  } catch {
    data = undefined;
  }
  return {
    kinesisSchemaVersion: kinesis.kinesisSchemaVersion,
    partitionKey: kinesis.partitionKey,
    sequenceNumber: kinesis.sequenceNumber,
    approximateArrivalTimestamp: kinesis.approximateArrivalTimestamp,
    ...(data !== null && typeof data === "object" && !Array.isArray(data) ? { data } : {}),
  };
}

/** Whether a record passes the mapping's filters (any of them); every record passes no filters. */
export function passes(patterns: readonly Pattern[], record: KinesisStreamRecord): boolean {
  if (patterns.length === 0) return true;
  const view = filterView(record);
  return patterns.some((p) => matches(p, view));
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
      return typeof value === "number" && numericTest(arg, "")(value);
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

/** `["<", 10]`, `[">", 0, "<=", 5]`: every comparison holds. */
function numericTest(spec: unknown, where: string): (x: number) => boolean {
  const list = Array.isArray(spec) ? spec : [];
  const tests: ((x: number) => boolean)[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const op = NUMERIC_OPS[String(list[i])];
    const n = list[i + 1];
    if (op === undefined || typeof n !== "number") break;
    tests.push((x) => op(x, n));
  }
  if (tests.length === 0 || tests.length * 2 !== list.length) {
    if (where) throw new TemplateError(`${where}: numeric needs pairs of an operator (= < <= > >=) and a number`);
    return () => false;
  }
  return (x) => tests.every((t) => t(x));
}
