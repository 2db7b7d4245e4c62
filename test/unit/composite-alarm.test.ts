import { expect, test } from "vitest";
import type { Resource } from "../../local/cloudformation/assembly.js";
import { type AlarmState, alarmDefinition } from "../../local/cloudwatch/alarm-evaluation.js";
import { AlarmRunner, type StateChange } from "../../local/cloudwatch/alarms.js";
import { cloudWatchApi } from "../../local/cloudwatch/api.js";
import {
  alarmsOfRule,
  compositeDefinition,
  parseAlarmRule,
  reasonTime,
  ruleHolds,
} from "../../local/cloudwatch/composite.js";
import { MetricStore } from "../../local/cloudwatch/metric-store.js";

// Composite alarms as CloudWatch runs them: the rule (PutCompositeAlarm's grammar) decided whenever
// an alarm it names changes state, ALARM when it holds and OK when not, and the SNS message with the
// rule and the child that triggered it.

const ARN = (name: string) => `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${name}`;
const OPS = "arn:aws:sns:us-east-1:000000000000:ops";

const resource = (type: string, name: string, properties: Record<string, unknown>): Resource =>
  ({ logicalId: name, type, name, arn: ARN(name), ref: name, properties }) as unknown as Resource;

const metricAlarm = (name: string) =>
  alarmDefinition(
    resource("AWS::CloudWatch::Alarm", name, {
      Namespace: "Shop",
      MetricName: name,
      Dimensions: [],
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
    }),
  );

test("the rule's grammar: states of alarms by name or ARN, quoted or not, TRUE/FALSE, NOT, AND before OR, parentheses", () => {
  // As CDK's AlarmRule.anyOf / allOf / not render it.
  const cdk = parseAlarmRule(`((ALARM("${ARN("a")}") OR ALARM("${ARN("b")}")) AND (NOT (OK("c"))))`);
  expect(alarmsOfRule(cdk)).toEqual([ARN("a"), ARN("b"), "c"]);
  const rule = parseAlarmRule("ALARM(a) OR ALARM(b) AND NOT INSUFFICIENT_DATA(c) OR FALSE");
  const holds = (states: Record<string, AlarmState>) => ruleHolds(rule, (alarm) => states[alarm] ?? "OK");
  // AND binds tighter: a OR (b AND NOT c) OR FALSE.
  expect(holds({ a: "OK", b: "ALARM", c: "OK" })).toBe(true);
  expect(holds({ a: "OK", b: "ALARM", c: "INSUFFICIENT_DATA" })).toBe(false);
  expect(holds({ a: "ALARM", b: "OK", c: "INSUFFICIENT_DATA" })).toBe(true);
  expect(() => parseAlarmRule("ALARM(a) OR")).toThrow(/unexpected end/);
  expect(() => parseAlarmRule("ALARM()")).toThrow(/names no alarm/);
  expect(() => parseAlarmRule("ALARMED(a)")).toThrow(/unexpected "ALARMED\(a\)"|unexpected "ALARMED"/);
  expect(reasonTime(Date.UTC(2023, 7, 4, 12, 54, 46))).toBe("Friday 04 August, 2023 12:54:46 UTC");
});

test("a composite alarm follows its children: decided at start, again on each change, its SNS message CloudWatch's", async () => {
  const store = new MetricStore();
  const published: { subject: string; message: string }[] = [];
  const changes: StateChange[] = [];
  const composite = compositeDefinition(
    resource("AWS::CloudWatch::CompositeAlarm", "shop-down", {
      AlarmRule: `ALARM("${ARN("orders")}") AND NOT ALARM(payments)`,
      AlarmActions: [OPS],
      OKActions: [OPS],
    }),
  );
  const runner = new AlarmRunner([metricAlarm("orders"), metricAlarm("payments"), composite], store, {
    region: "us-east-1",
    account: "000000000000",
    onChange: (c) => changes.push(c),
    publish: async (_topic, subject, message) => void published.push({ subject, message }),
  });
  runner.start();
  await runner.stop();
  // Children still INSUFFICIENT_DATA: the rule is false, so OK (and its OK action is carried out).
  expect(runner.alarms.get("shop-down")?.state).toBe("OK");

  const t = Date.UTC(2026, 11, 3, 10, 0);
  store.put({ namespace: "Shop", name: "orders", dimensions: [] }, 3, t + 1000);
  await runner.evaluateAll(t + 60_001);
  expect(runner.alarms.get("orders")?.state).toBe("ALARM");
  const alarmed = runner.alarms.get("shop-down");
  expect(alarmed?.state).toBe("ALARM");
  expect(alarmed?.reason).toMatch(
    new RegExp(`^${ARN("orders")} transitioned to ALARM at \\w+day \\d\\d December, 2026 10:01:00 UTC$`),
  );
  const message = JSON.parse(published.find((p) => p.subject.startsWith("ALARM"))?.message ?? "{}");
  expect(published.map((p) => p.subject)).toEqual([
    'OK: "shop-down" in US East (N. Virginia)',
    'ALARM: "shop-down" in US East (N. Virginia)',
  ]);
  expect(message).toMatchObject({
    AlarmName: "shop-down",
    NewStateValue: "ALARM",
    OldStateValue: "OK",
    AlarmRule: `ALARM("${ARN("orders")}") AND NOT ALARM(payments)`,
    TriggeringChildren: [{ Arn: ARN("orders"), State: { Value: "ALARM" } }],
  });
  expect(message.Trigger).toBeUndefined();

  // The other child in ALARM makes the rule false: OK, triggered by payments.
  store.put({ namespace: "Shop", name: "payments", dimensions: [] }, 1, t + 61_000);
  store.put({ namespace: "Shop", name: "orders", dimensions: [] }, 1, t + 61_000);
  await runner.evaluateAll(t + 120_001);
  expect(runner.alarms.get("shop-down")?.state).toBe("OK");
  expect(runner.alarms.get("shop-down")?.reason).toMatch(new RegExp(`^${ARN("payments")} transitioned to ALARM`));
  expect(changes.filter((c) => c.alarm.name === "shop-down").map((c) => c.to)).toEqual(["OK", "ALARM", "OK"]);

  // DescribeAlarms lists it among the composite alarms only, with its rule.
  const api = cloudWatchApi(store, () => runner, { region: "us-east-1", account: "000000000000" });
  const listed = (await api("DescribeAlarms", { AlarmTypes: ["CompositeAlarm"] })) as {
    MetricAlarms: unknown[];
    CompositeAlarms: { AlarmName: string; AlarmRule: string; StateValue: string }[];
  };
  expect(listed.MetricAlarms).toEqual([]);
  expect(listed.CompositeAlarms).toMatchObject([
    { AlarmName: "shop-down", AlarmRule: composite.properties.AlarmRule, StateValue: "OK" },
  ]);
  const byDefault = (await api("DescribeAlarms", {})) as { MetricAlarms: { AlarmName: string }[]; CompositeAlarms: [] };
  expect(byDefault.MetricAlarms.map((a) => a.AlarmName).sort()).toEqual(["orders", "payments"]);
  expect(byDefault.CompositeAlarms).toEqual([]);
});
