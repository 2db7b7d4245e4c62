import { inCidr } from "../cidr.js";
import { glob } from "./glob.js";

// A policy statement's Condition block, decided against a request's context as IAM decides it:
// every operator of the block must hold, and within an operator every key; a key's policy values
// are alternatives. A key missing from the context makes the condition false — true for the negated
// operators (StringNotEquals, ArnNotLike, NotIpAddress, …) — except under …IfExists (true when
// missing) and Null (which tests exactly that). ForAllValues/ForAnyValue qualify multi-valued keys.
// Condition keys are matched without regard to case; policy variables (${aws:username}, …) are
// replaced from the context.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html

/** A request's condition keys (lower-cased names) and their values; a key absent is not in the request. */
export type RequestContext = ReadonlyMap<string, readonly string[]>;

/** A Condition block as written: operator → key → value or values. */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

type Test = (value: string, policy: string) => boolean;

const number = (s: string) => (s.trim() === "" ? Number.NaN : Number(s));
/** A date as IAM reads one: ISO 8601, or epoch seconds. */
const date = (s: string) => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));
const numeric =
  (compare: (a: number, b: number) => boolean, read: (s: string) => number): Test =>
  (value, policy) => {
    const a = read(value);
    const b = read(policy);
    return !Number.isNaN(a) && !Number.isNaN(b) && compare(a, b);
  };

/**
 * ArnLike: each of the six colon-separated parts matched on its own, with * and ? (the last part
 * keeps its colons).
 */
function arnLike(value: string, policy: string): boolean {
  if (policy === "*") return true;
  const split = (arn: string) => {
    const parts = arn.split(":");
    return [...parts.slice(0, 5), parts.slice(5).join(":")];
  };
  const v = split(value);
  const p = split(policy);
  if (value.split(":").length < 6 || policy.split(":").length < 6) return false;
  return p.every((part, i) => glob(part, false).test(v[i] ?? ""));
}

/** The positive operators; a negated one is its positive's opposite. */
const OPERATORS: Readonly<Record<string, Test>> = {
  StringEquals: (v, p) => v === p,
  StringEqualsIgnoreCase: (v, p) => v.toLowerCase() === p.toLowerCase(),
  StringLike: (v, p) => glob(p, false).test(v),
  NumericEquals: numeric((a, b) => a === b, number),
  NumericLessThan: numeric((a, b) => a < b, number),
  NumericLessThanEquals: numeric((a, b) => a <= b, number),
  NumericGreaterThan: numeric((a, b) => a > b, number),
  NumericGreaterThanEquals: numeric((a, b) => a >= b, number),
  DateEquals: numeric((a, b) => a === b, date),
  DateLessThan: numeric((a, b) => a < b, date),
  DateLessThanEquals: numeric((a, b) => a <= b, date),
  DateGreaterThan: numeric((a, b) => a > b, date),
  DateGreaterThanEquals: numeric((a, b) => a >= b, date),
  Bool: (v, p) => v.toLowerCase() === p.toLowerCase(),
  BinaryEquals: (v, p) => v === p,
  IpAddress: (v, p) => inCidr(v, p),
  ArnEquals: (v, p) => v === p,
  ArnLike: arnLike,
};

/** Negated operators and the positive they deny. */
const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: "StringEquals",
  StringNotEqualsIgnoreCase: "StringEqualsIgnoreCase",
  StringNotLike: "StringLike",
  NumericNotEquals: "NumericEquals",
  DateNotEquals: "DateEquals",
  NotIpAddress: "IpAddress",
  ArnNotEquals: "ArnEquals",
  ArnNotLike: "ArnLike",
};

interface Operator {
  readonly test: Test;
  readonly negated: boolean;
  readonly ifExists: boolean;
  readonly set: "all" | "any" | undefined;
}

/** Reads an operator as written (`ForAnyValue:StringLikeIfExists`); undefined when IAM has no such operator. */
export function readOperator(written: string): Operator | "Null" | undefined {
  const [qualifier, name] = written.includes(":") ? written.split(":", 2) : [undefined, written];
  const set = qualifier === "ForAllValues" ? "all" : qualifier === "ForAnyValue" ? "any" : undefined;
  if (qualifier !== undefined && set === undefined) return undefined;
  if (name === "Null") return set === undefined ? "Null" : undefined;
  const ifExists = name?.endsWith("IfExists") ?? false;
  const base = ifExists ? (name ?? "").slice(0, -"IfExists".length) : (name ?? "");
  const positive = NEGATED[base] ?? base;
  const test = OPERATORS[positive];
  if (test === undefined) return undefined;
  return { test, negated: base in NEGATED, ifExists, set };
}

/** Replaces ${key} policy variables from the context (${*}, ${?}, ${$} are the characters). */
function substitute(value: string, context: RequestContext): string | undefined {
  let missing = false;
  const out = value.replace(/\$\{([^}]+)\}/g, (_, inner: string) => {
    if (inner === "*" || inner === "?" || inner === "$") return inner;
    const [key = "", fallback] = inner.split(/\s*,\s*/);
    const found = context.get(key.toLowerCase())?.[0];
    if (found !== undefined) return found;
    const literal = fallback === undefined ? undefined : /^'(.*)'$/.exec(fallback)?.[1];
    if (literal !== undefined) return literal;
    missing = true;
    return "";
  });
  return missing ? undefined : out;
}

function decideKey(operator: Operator, values: readonly string[] | undefined, policy: readonly string[]): boolean {
  const matchesOne = (v: string) => policy.some((p) => operator.test(v, p));
  // Per value: a positive operator holds when some policy value matches; a negated one when none does.
  const holds = (v: string) => (operator.negated ? !matchesOne(v) : matchesOne(v));
  if (values === undefined || values.length === 0) {
    if (operator.set === "all") return true;
    if (operator.set === "any") return false;
    return operator.ifExists || operator.negated;
  }
  if (operator.set === "all") return values.every(holds);
  if (operator.set === "any") return values.some(holds);
  return operator.negated ? values.every(holds) : values.some(holds);
}

/** Whether a statement's Condition block holds for a request. */
export function conditionHolds(block: ConditionBlock | undefined, context: RequestContext): boolean {
  if (block === undefined) return true;
  for (const [written, keys] of Object.entries(block)) {
    const operator = readOperator(written);
    if (operator === undefined) return false;
    for (const [key, raw] of Object.entries(keys)) {
      const values = context.get(key.toLowerCase());
      const policy = [raw]
        .flat()
        .map((v) => substitute(String(v), context))
        .filter((v): v is string => v !== undefined);
      if (operator === "Null") {
        const absent = values === undefined || values.length === 0;
        if (!policy.some((p) => (p.toLowerCase() === "true") === absent)) return false;
        continue;
      }
      if (!decideKey(operator, values, policy)) return false;
    }
  }
  return true;
}

/** The keys a Condition block reads (lower-cased), and the operators IAM does not have. */
export function conditionKeys(block: ConditionBlock | undefined): { keys: string[]; unknownOperators: string[] } {
  const keys: string[] = [];
  const unknownOperators: string[] = [];
  for (const [written, entries] of Object.entries(block ?? {})) {
    if (readOperator(written) === undefined) unknownOperators.push(written);
    keys.push(...Object.keys(entries).map((k) => k.toLowerCase()));
  }
  return { keys, unknownOperators };
}
