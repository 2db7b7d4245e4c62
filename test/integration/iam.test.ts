import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { logicalIdOf, outputsOf, STREAMS, type StreamName } from "#apps/index.js";
import type { FunctionAccess } from "../../local/iam/policy.js";
import type { LocalStack } from "../../local/stack.js";
import { dataLines } from "../helpers/data.js";
import { drainQueue } from "../helpers/emulators.js";
import { editedAssembly, localStackForTests, memberClicks, putLines, resourcesOf } from "../helpers/stack.js";

// IAM as an account enforces it: each function's calls carry its role, and the gateway decides them
// against the role's policies in the synthesized template. What passes here is what deploys.

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/**
 * Grants a role may hold without the functions calling them here, each with its reason. Anything
 * else granted and never called fails the test: the roles stay least-privilege as the code changes.
 */
const UNUSED_BY_DESIGN: { action: RegExp; resource?: RegExp; reason: string }[] = [
  {
    action: /^kinesis:(DescribeStreamSummary|DescribeStream|ListStreams|SubscribeToShard|DescribeStreamConsumer)$/,
    reason: "CDK's grantRead for the event-source mapping; Lambda's poller may use them (enhanced fan-out too)",
  },
  {
    action: /^sqs:(GetQueueAttributes|GetQueueUrl)$/,
    reason: "CDK's grantSendMessages includes them; the SDK never calls them",
  },
  { action: /^(logs|xray):/, reason: "CloudWatch Logs and X-Ray have no local calls" },
  {
    action: /^kms:(Encrypt|ReEncrypt\*|DescribeKey)$/,
    reason: "CDK's key grants for a writer include them; the services use a key by GenerateDataKey and Decrypt only",
  },
  {
    action: /^secretsmanager:DescribeSecret$/,
    reason: "CDK's grantRead includes it; the function only reads the value",
  },
  {
    action: /^sqs:SendMessage$/,
    resource: /FailureQueue/,
    reason: "the failure destination is written only when a batch fails; the refusal test below exercises it",
  },
];
const explained = (u: { action: string; resource: string }) =>
  UNUSED_BY_DESIGN.some((e) => e.action.test(u.action) && (e.resource?.test(u.resource) ?? true));

function accessOf(report: FunctionAccess[], logicalPrefix: string): FunctionAccess {
  const found = report.find((f) => f.functionName.startsWith(`Tripwire-${logicalPrefix}`));
  if (!found) throw new Error(`no ${logicalPrefix} function in the access report`);
  return found;
}

test("the demo and bad input run with IAM enforced: no call refused, and every grant but the stated ones used", async () => {
  stack = await localStackForTests();
  const { kinesis } = stack.clients;
  const outputs = stack.outputs as Record<string, string>;
  // Every application's demo data and a line no decoder takes (lists first, as the demo does).
  for (const first of [true, false]) {
    const streams = STREAMS.filter((s) => s.demo !== undefined && (s.demo.first === true) === first);
    await Promise.all(
      streams.map((s) =>
        putLines(kinesis, outputs[outputsOf(s.name as StreamName).stream] ?? "", s.name as StreamName, [
          ...dataLines(s.demo?.file ?? ""),
          "not a record of any kind",
        ]),
      ),
    );
    await stack.runner?.drained(300_000);
  }

  const report = stack.gateway.report();
  // Every function was exercised: one never invoked would escape the checks below.
  for (const s of STREAMS) accessOf(report, `${logicalIdOf(s.name)}Function`);
  for (const f of report) {
    expect(f.refused, f.functionName).toEqual({});
    const unused = f.unused.filter((u) => !explained(u));
    expect(unused, `${f.functionName} is granted calls it never makes`).toEqual([]);
  }
  // The calls that matter, seen made (not merely granted).
  expect(Object.keys(accessOf(report, "Conversions").used)).toContain("dynamodb:BatchWriteItem");
  expect(Object.keys(accessOf(report, "Readings").used)).toContain("sns:Publish");
  expect(Object.keys(accessOf(report, "Cpu").used)).toContain("sns:Publish");
});

describe("a role that lacks a grant fails as it would in an account", () => {
  test("conversions without dynamodb:BatchWriteItem: AccessDeniedException, batches in the failure destination, no coupon", async () => {
    const app = editedAssembly((template) => {
      for (const [id, policy] of resourcesOf(template, "AWS::IAM::Policy")) {
        if (!id.startsWith("ConversionsRole")) continue;
        const doc = policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
        for (const s of doc.Statement) {
          s.Action = [s.Action].flat().filter((a) => a !== "dynamodb:BatchWriteItem");
        }
      }
    });
    stack = await localStackForTests({}, undefined, { app });
    const { sqs } = stack.clients;
    await memberClicks(stack);

    const refused = accessOf(stack.gateway.report(), "Conversions").refused;
    expect(Object.keys(refused)).toEqual(["dynamodb:BatchWriteItem"]);
    const failures = await drainQueue(sqs, stack.outputs.ConversionsFailureQueueUrl, 500);
    expect(failures).toHaveLength(1);
    expect(JSON.parse(failures[0]?.Body ?? "{}")).toMatchObject({
      requestContext: { condition: "RetryAttemptsExhausted" },
      KinesisBatchInfo: { batchSize: 1 },
    });
    expect(await drainQueue(sqs, stack.outputs.PromoQueueUrl, 500)).toEqual([]);
    // The function saw the service's own error, worded as AWS words it.
    const fn = [...stack.hosts.values()].find((h) => h.spec.logicalId.startsWith("Conversions"));
    const log = readFileSync(path.join(stack.logDir, `${fn?.spec.functionName}.log`), "utf8");
    expect(log).toMatch(
      /AccessDeniedException.*User: arn:aws:sts::000000000000:assumed-role\/Tripwire-ConversionsRole\w+\/Tripwire-ConversionsFunction\w+ is not authorized to perform: dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/Tripwire-CampaignTable\w+ because no identity-based policy allows the dynamodb:BatchWriteItem action/,
    );
  });
});
