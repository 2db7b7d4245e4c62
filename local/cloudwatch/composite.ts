import type { Resource } from "../cloudformation/assembly.js";
import { type AlarmState, alarmActions } from "./alarm-evaluation.js";

// A composite alarm of the template, as CloudWatch runs one: its AlarmRule — ALARM(x), OK(x),
// INSUFFICIENT_DATA(x), TRUE, FALSE, joined by AND, OR, NOT and parentheses, x an alarm's name or
// ARN, quoted or not — is evaluated whenever one of the alarms it names changes state: ALARM when
// the rule is true, OK when it is false.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html

export const COMPOSITE = "AWS::CloudWatch::CompositeAlarm";

export type Rule =
  | { readonly kind: "const"; readonly value: boolean }
  | { readonly kind: "state"; readonly state: AlarmState; readonly alarm: string }
  | { readonly kind: "not"; readonly operand: Rule }
  | { readonly kind: "and" | "or"; readonly left: Rule; readonly right: Rule };

export interface CompositeAlarmDefinition {
  readonly kind: "composite";
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The template's properties, resolved. */
  readonly properties: Readonly<Record<string, unknown>>;
  readonly rule: Rule;
  readonly actionsEnabled: boolean;
  readonly actions: Readonly<Record<AlarmState, readonly string[]>>;
}

const STATES = new Set<string>(["ALARM", "OK", "INSUFFICIENT_DATA"]);
const TOKEN = /\s*("(?:[^"\\]|\\.)*"|\(|\)|[^\s()]+)/g;

/** Parses an AlarmRule; throws naming what it cannot read. */
export function parseAlarmRule(text: string): Rule {
  const tokens = [...text.matchAll(TOKEN)].map((m) => m[1] as string);
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`alarm rule "${text}": ${what}`);
  };
  const expect = (t: string) => {
    if (tokens[i] !== t) fail(`expected "${t}" at "${tokens[i] ?? "end"}"`);
    i++;
  };
  const factor = (): Rule => {
    const t = tokens[i++];
    if (t === undefined) return fail("unexpected end");
    if (t === "(") {
      const inner = or();
      expect(")");
      return inner;
    }
    if (t === "NOT") return { kind: "not", operand: factor() };
    if (t === "TRUE" || t === "FALSE") return { kind: "const", value: t === "TRUE" };
    if (STATES.has(t)) {
      expect("(");
      const name = tokens[i++];
      if (name === undefined || name === ")") return fail(`${t}() names no alarm`);
      expect(")");
      const alarm = name.startsWith('"') ? name.slice(1, -1).replace(/\\(.)/g, "$1") : name;
      return { kind: "state", state: t as AlarmState, alarm };
    }
    return fail(`unexpected "${t}"`);
  };
  const level = (next: () => Rule, word: "AND" | "OR") => (): Rule => {
    let left = next();
    while (tokens[i] === word) {
      i++;
      left = { kind: word === "AND" ? "and" : "or", left, right: next() };
    }
    return left;
  };
  const and = level(factor, "AND");
  const or = level(and, "OR");
  const rule = or();
  if (i < tokens.length) fail(`unexpected "${tokens[i]}"`);
  return rule;
}

/** The alarms (names or ARNs, as written) a rule reads. */
export function alarmsOfRule(rule: Rule): string[] {
  switch (rule.kind) {
    case "const":
      return [];
    case "state":
      return [rule.alarm];
    case "not":
      return alarmsOfRule(rule.operand);
    default:
      return [...alarmsOfRule(rule.left), ...alarmsOfRule(rule.right)];
  }
}

/** Whether the rule holds, each alarm's state read by `stateOf` (its name or ARN as written). */
export function ruleHolds(rule: Rule, stateOf: (alarm: string) => AlarmState): boolean {
  switch (rule.kind) {
    case "const":
      return rule.value;
    case "state":
      return stateOf(rule.alarm) === rule.state;
    case "not":
      return !ruleHolds(rule.operand, stateOf);
    case "and":
      return ruleHolds(rule.left, stateOf) && ruleHolds(rule.right, stateOf);
    case "or":
      return ruleHolds(rule.left, stateOf) || ruleHolds(rule.right, stateOf);
  }
}

/** Reads a template's composite alarm; throws naming what is not run as CloudWatch runs it. */
export function compositeDefinition(alarm: Resource): CompositeAlarmDefinition {
  const p = alarm.properties;
  const where = `composite alarm ${alarm.logicalId}`;
  let rule: Rule;
  try {
    rule = parseAlarmRule(String(p.AlarmRule ?? ""));
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  return {
    kind: "composite",
    logicalId: alarm.logicalId,
    name: alarm.name,
    arn: alarm.arn,
    properties: p,
    rule,
    ...alarmActions(p),
  };
}

/** CloudWatch's time in a composite alarm's reason: "Friday 04 August, 2023 12:54:46 UTC". */
export function reasonTime(t: number): string {
  const d = new Date(t);
  const day = d.toLocaleDateString("en-GB", { weekday: "long", timeZone: "UTC" });
  const month = d.toLocaleDateString("en-GB", { month: "long", timeZone: "UTC" });
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day} ${pad(d.getUTCDate())} ${month}, ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}
