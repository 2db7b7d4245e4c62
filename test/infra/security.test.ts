import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, Validations } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, test } from "vitest";
import { TripwireStack } from "../../infra/stack.js";
import { stageConfig } from "../../infra/stage.js";
import { synthesize } from "../helpers/template.js";

type Statement = { Action: string | string[]; Resource: unknown };
type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

test("cdk-nag's AWS Solutions pack finds nothing that is not acknowledged with a reason", () => {
  const outdir = mkdtempSync(path.join(tmpdir(), "tripwire-nag-"));
  const app = new App({ outdir });
  new TripwireStack(app, "Tripwire", { config: stageConfig("prod") });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).not.toThrow();
  const report = JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")) as {
    pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
  };
  expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);

  // The same check fails a stack with one plain, unencrypted, DLQ-less queue in it.
  const control = new App({ outdir: mkdtempSync(path.join(tmpdir(), "tripwire-nag-")) });
  const stack = new TripwireStack(control, "Tripwire", { config: stageConfig("prod") });
  new sqs.Queue(stack, "Careless");
  Validations.of(control).addPlugins(new AwsSolutionsChecks(control));
  expect(() => control.synth()).toThrow(/AwsSolutions-SQS3/);
});

describe("least privilege", () => {
  const template = synthesize();
  const policies = Object.entries(template.findResources("AWS::IAM::Policy")) as [string, Resource][];

  test("no action is a wildcard, and only X-Ray (which has no resource-level permissions) gets Resource *", () => {
    for (const [, policy] of policies) {
      for (const s of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        for (const action of [s.Action].flat()) expect(action).not.toMatch(/^\*$|:\*$/);
        if (s.Resource === "*") expect([s.Action].flat().every((a) => a.startsWith("xray:"))).toBe(true);
      }
    }
  });

  // Which calls each role allows is checked against the calls the functions make, with IAM enforced
  // locally: test/integration/iam.test.ts. A list here would only restate the grants.

  test("functions do not use the AWS managed basic execution policy", () => {
    for (const role of Object.values(template.findResources("AWS::IAM::Role"))) {
      expect(JSON.stringify(role.Properties.ManagedPolicyArns ?? [])).not.toContain("AWSLambdaBasicExecutionRole");
    }
  });

  test("queues and the topic refuse requests without TLS", () => {
    const denies = [
      ...Object.values(template.findResources("AWS::SQS::QueuePolicy")),
      ...Object.values(template.findResources("AWS::SNS::TopicPolicy")),
    ].flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    const tlsDenies = denies.filter(
      (s) => s.Effect === "Deny" && JSON.stringify(s.Condition ?? {}).includes('"aws:SecureTransport":"false"'),
    );
    const queues = Object.keys(template.findResources("AWS::SQS::Queue")).length;
    expect(tlsDenies.length).toBe(queues + 1);
  });

  test("the data key lets SNS use it once, for the one queue SNS delivers to, and nothing else of SNS's", () => {
    const keyStatements = Object.values(template.findResources("AWS::KMS::Key")).flatMap(
      (k) =>
        (k.Properties.KeyPolicy as { Statement: { Principal?: { Service?: string }; Action: string[] }[] }).Statement,
    );
    const forSns = keyStatements.filter((s) => s.Principal?.Service === "sns.amazonaws.com");
    expect(forSns).toHaveLength(1);
    // What SNS needs to write into an encrypted queue (the grant SqsSubscription adds); deciding it is resource-policies.test.ts's.
    expect([forSns[0]?.Action].flat().sort()).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
  });
});

describe("observability", () => {
  const template = synthesize();
  const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")) as Resource[];
  const byMetric = (name: string) => alarms.filter((a) => a.Properties.MetricName === name);
  const count = (type: string) => Object.keys(template.findResources(type)).length;

  test("iterator-age and read-throttle alarms on every stream, with the stream dimension", () => {
    for (const metric of ["GetRecords.IteratorAgeMilliseconds", "ReadProvisionedThroughputExceeded"]) {
      const found = byMetric(metric);
      expect(found).toHaveLength(count("AWS::Kinesis::Stream"));
      for (const alarm of found) {
        expect(alarm.Properties.Namespace).toBe("AWS/Kinesis");
        expect(alarm.Properties.Dimensions).toEqual([{ Name: "StreamName", Value: expect.anything() }]);
      }
    }
  });

  test("alarms on function errors, failure destinations, the rejected queue and table throttles", () => {
    // One per function, one per failure destination and the rejected-records queue, one per table.
    // A function's errors alarm adds Lambda's Errors and the records it handed back to be retried: a
    // partial batch response is not a Lambda error (test/integration/alarms.test.ts shows why).
    const errors = alarms.filter((a) => {
      const metrics = JSON.stringify(a.Properties.Metrics ?? []);
      return metrics.includes('"Errors"') && metrics.includes('"RecordsRetried"');
    });
    expect(errors).toHaveLength(count("AWS::Lambda::Function"));
    expect(byMetric("ApproximateNumberOfMessagesVisible")).toHaveLength(count("AWS::Lambda::EventSourceMapping") + 1);
    const throttles = alarms.filter((a) => JSON.stringify(a.Properties.Metrics ?? []).includes("ThrottleEvents"));
    expect(throttles).toHaveLength(count("AWS::DynamoDB::Table"));
  });

  test("a dashboard shows the pipeline: records in, iterator age, processed/rejected, coupons and alerts", () => {
    const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard")) as Resource[];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of [
      "IncomingRecords",
      "GetRecords.IteratorAgeMilliseconds",
      "RecordsProcessed",
      "RecordsRejected",
      "CouponsIssued",
      "AlertsRaised",
      "AlertsCleared",
    ]) {
      expect(body).toContain(metric);
    }
  });
});

describe.each([
  ["dev", "Delete", 7, 24],
  ["prod", "Retain", 90, 168],
])("the %s stage", (stage, deletion, logDays, retentionHours) => {
  const template: Template = synthesize(stage);
  test(`keeps data on stack deletion: ${deletion}`, () => {
    for (const type of ["AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::KMS::Key", "AWS::Kinesis::Stream"]) {
      for (const resource of Object.values(template.findResources(type)) as Resource[]) {
        expect(resource.DeletionPolicy, type).toBe(deletion);
      }
    }
  });
  test(`keeps logs ${logDays} days and stream records ${retentionHours} hours`, () => {
    for (const group of Object.values(template.findResources("AWS::Logs::LogGroup")) as Resource[]) {
      expect(group.Properties.RetentionInDays).toBe(logDays);
    }
    for (const stream of Object.values(template.findResources("AWS::Kinesis::Stream")) as Resource[]) {
      expect(stream.Properties.RetentionPeriodHours).toBe(retentionHours);
    }
  });
});
