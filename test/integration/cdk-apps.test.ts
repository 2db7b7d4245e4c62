import { readFileSync } from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { type Message, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { SNSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { FailureRecord } from "#shared/failure-record.js";
import { TemplateError } from "../../local/cloudformation/intrinsics.js";
import type { StateChange } from "../../local/cloudwatch/alarms.js";
import type { InvokeInfo } from "../../local/lambda/kinesis-poller.js";
import type { SnsInvokeInfo } from "../../local/lambda/sns-subscriptions.js";
import type { QueueInvokeInfo } from "../../local/lambda/sqs-poller.js";
import type { LocalStack } from "../../local/stack.js";
import { drainQueue } from "../helpers/emulators.js";
import { runNode } from "../helpers/processes.js";
import { awsCli, localStackForTests, resourcesOf } from "../helpers/stack.js";
import { editTemplate } from "../helpers/template-edit.js";

// The local stack runs a CDK app as a user writes it from AWS's documentation (test/fixtures/cdk-app,
// synthesized into its cdk.out inside this "type": "module" project; the parity suite's app is its
// twin in a CommonJS project):
// NodejsFunction with its defaults (a role with AWSLambdaBasicExecutionRole, a CommonJS bundle that
// takes the SDK from the runtime), an ES module one, KinesisEventSource with filters, an enhanced
// fan-out consumer (KinesisConsumerEventSource),
// parallelization, a tumbling window, and on-failure destinations in SQS, SNS and S3; SqsEventSource
// with partial batch responses, a filter and a dead-letter queue; alarms in metric math and a
// composite alarm — IAM enforced.

let assembly = "";
let stack: LocalStack;
const invocations: InvokeInfo[] = [];
const filtered = new Map<string, number>();
const failures: FailureRecord[] = [];
const alarmChanges: StateChange[] = [];
const queueInvocations: QueueInvokeInfo[] = [];
let queueFiltered = 0;
const snsInvocations: SnsInvokeInfo[] = [];

beforeAll(async () => {
  // Where `cdk synth` puts it in a user's project: cdk.out inside the project, whose package.json
  // (this repository's) says "type": "module" — its CommonJS bundles must still run, as from a zip.
  assembly = path.join("test", "fixtures", "cdk-app", "cdk.out");
  const cdk = path.join("node_modules", "aws-cdk", "bin", "cdk");
  const app = `${process.execPath} --import tsx test/fixtures/cdk-app/app.ts`;
  const synth = await runNode([cdk, "synth", "--no-notices", "-q", "--app", app, "-o", assembly], {
    ...process.env,
    CDK_DISABLE_CLI_TELEMETRY: "true",
  });
  if (synth.code !== 0) throw new Error(`cdk synth of the fixture app failed:\n${synth.output}`);
  stack = await localStackForTests(
    {
      onInvoke: (i) => invocations.push(i),
      onFiltered: (fn, _shard, n) => filtered.set(fn, (filtered.get(fn) ?? 0) + n),
      onFailureDestination: (f) => failures.push(f),
    },
    undefined,
    // A minute lasts a second for the app's alarms.
    {
      app: assembly,
      alarmTimeScale: 60,
      onAlarm: (c) => alarmChanges.push(c),
      queues: { onInvoke: (i) => queueInvocations.push(i), onFiltered: (_fn, n) => (queueFiltered += n) },
      subscriptions: { onInvoke: (i) => snsInvocations.push(i) },
    },
  );
}, 180_000);
afterAll(async () => stack?.stop());

const out = (name: string) => (stack.outputs as Record<string, string>)[name] ?? "";
const functionNamed = (prefix: string) =>
  [...stack.hosts.values()].find((h) => h.spec.logicalId.startsWith(prefix))?.spec.functionName ?? "";

async function put(streamOutput: string, records: { key: string; data: unknown }[]): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const out = await stack.clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: (stack.outputs as Record<string, string>)[streamOutput],
        Records: records.slice(i, i + 500).map((r) => ({
          PartitionKey: r.key,
          Data: Buffer.from(typeof r.data === "string" ? r.data : JSON.stringify(r.data)),
        })),
      }),
    );
    expect(out.FailedRecordCount ?? 0).toBe(0);
  }
}

async function scan(tableOutput: string): Promise<Record<string, unknown>[]> {
  return (await stack.clients.documents.send(new ScanCommand({ TableName: out(tableOutput) }))).Items ?? [];
}

describe("a CDK app written from AWS's documentation, run by the local stack with IAM enforced", () => {
  const orders = Array.from({ length: 60 }, (_, i) => ({ customer: `c${i % 6}`, amount: (i * 37) % 250 }));

  test("the default NodejsFunction (CommonJS, SDK from the runtime, AWSLambdaBasicExecutionRole) runs; a record it reports failed ends in the SQS destination", async () => {
    const template = JSON.parse(readFileSync(path.join(assembly, "Orders.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Properties?: { ManagedPolicyArns?: unknown } }>;
    };
    const roles = Object.values(template.Resources).filter((r) => r.Type === "AWS::IAM::Role");
    expect(
      roles.every((r) => JSON.stringify(r.Properties?.ManagedPolicyArns).includes("AWSLambdaBasicExecutionRole")),
    ).toBe(true);
    // The bad order last: nothing after it on its shard, so the totals of the rest are exact.
    await put("OrdersStreamName", [
      ...orders.map((o) => ({ key: o.customer, data: o })),
      { key: "c0", data: { customer: "c0", amount: "lots" } },
    ]);
    await stack.runner?.drained();
    const totals = Object.fromEntries((await scan("TotalsTableName")).map((t) => [t.customer, t.total]));
    const expected: Record<string, number> = {};
    for (const o of orders) expected[o.customer] = (expected[o.customer] ?? 0) + o.amount;
    // (Should they differ, the failed invocations say why: a batch retried after an error adds twice.)
    const errors = invocations.filter((i) => i.outcome === "error").map((i) => `${i.functionName}: ${i.error}`);
    expect(totals, errors.join("\n")).toEqual(expected);
    const dlq = (await drainQueue(stack.clients.sqs, out("OrdersDlqUrl"), 500)).map(
      (m) => JSON.parse(m.Body ?? "") as FailureRecord,
    );
    expect(dlq.map((f) => f.KinesisBatchInfo.batchSize)).toEqual([1]);
    expect(dlq[0]).toMatchObject({
      requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 2 },
      responseContext: { functionError: null },
    });
    const report = stack.gateway.report().find((f) => f.functionName === functionNamed("OrderTotals"));
    expect(report?.refused).toEqual({});
    expect(Object.keys(report?.used ?? {})).toContain("dynamodb:UpdateItem");
    // The enhanced fan-out consumer of the same stream (KinesisConsumerEventSource) got every order, the bad one too.
    expect(await scan("AuditTableName")).toEqual([{ stream: out("OrdersStreamName"), records: orders.length + 1 }]);
  });

  test("an SQS queue feeds a function as Lambda's SqsEventSource does: partial batch responses, a filter, the dead-letter queue after maxReceiveCount, two batches at most", async () => {
    // 24 jobs: 18 to do, 3 the function cannot do (poison), 3 the filter leaves out.
    const kinds = Array.from({ length: 24 }, (_, i) => (i % 8 === 3 ? "poison" : i % 8 === 6 ? "ignore" : "do"));
    for (let i = 0; i < kinds.length; i += 10) {
      await stack.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: out("JobsQueueUrl"),
          Entries: kinds.slice(i, i + 10).map((kind, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify({ id: `job-${i + j}`, kind }),
          })),
        }),
      );
    }
    await stack.queues?.drained(30_000);
    // The mapping names the alias (CDK writes `name:live` from the AWS::Lambda::Alias), which feeds the function.
    const template = JSON.parse(readFileSync(path.join(assembly, "Orders.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Properties?: { FunctionName?: unknown } }>;
    };
    const aliases = Object.entries(template.Resources).filter(([, r]) => r.Type === "AWS::Lambda::Alias");
    const aliasMapped = Object.values(template.Resources).filter(
      (r) =>
        r.Type === "AWS::Lambda::EventSourceMapping" &&
        aliases.some(([id]) => JSON.stringify(r.Properties?.FunctionName).includes(`{"Ref":"${id}"}`)),
    );
    expect(aliasMapped).toHaveLength(1);
    const done = await scan("JobsDoneTableName");
    const toDo = kinds.flatMap((k, i) => (k === "do" ? [`job-${i}`] : []));
    // Each job done once, on its first receive: the batch's poison messages did not bring it back.
    expect(done.map((d) => d.id).sort()).toEqual([...toDo].sort());
    expect(done.every((d) => d.done === 1 && d.receiveCount === 1)).toBe(true);
    // The poison ones came back after the visibility timeout, then went to the dead-letter queue.
    const dead = await drainQueue(stack.clients.sqs, out("JobsDlqUrl"), 500);
    expect(dead.map((m) => (JSON.parse(m.Body ?? "") as { id: string }).id).sort()).toEqual(
      kinds.flatMap((k, i) => (k === "poison" ? [`job-${i}`] : [])).sort(),
    );
    expect(queueFiltered).toBe(3);
    const work = queueInvocations.filter((i) => i.functionName === functionNamed("Work"));
    expect(work.every((i) => i.messageIds.length <= 5)).toBe(true);
    expect(work.filter((i) => i.outcome === "partial").flatMap((i) => i.failed)).toHaveLength(6);
    // Through the alias, Lambda's metrics are also the alias's (Resource name:live), as an alias's alarm reads them.
    const fn = functionNamed("Work");
    const byAlias = stack.cloudwatch.store.query(
      {
        namespace: "AWS/Lambda",
        name: "Invocations",
        dimensions: [
          { Name: "FunctionName", Value: fn },
          { Name: "Resource", Value: `${fn}:live` },
        ],
      },
      "Sum",
      3_600_000,
      Date.now() - 3_600_000,
      Date.now() + 1,
    );
    expect(byAlias.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(work.length);
    // Batches ran at once, never more than MaximumConcurrency's 2.
    const host = [...stack.hosts.values()].find((h) => h.spec.logicalId.startsWith("Work"));
    expect(host?.concurrency.peak).toBe(2);
    // As the function's role, which SqsEventSource granted what the mapping needs.
    const report = stack.gateway.report().find((f) => f.functionName === functionNamed("Work"));
    expect(report?.refused).toEqual({});
    expect(Object.keys(report?.used ?? {})).toEqual(
      expect.arrayContaining(["sqs:ReceiveMessage", "sqs:DeleteMessage", "dynamodb:UpdateItem"]),
    );
  });

  test("Lambda's Invoke on the endpoint: the SDK and the AWS CLI invoke functions, a function invokes another within its grant, an Event invocation is retried to the dead-letter queue", async () => {
    const client = new LambdaClient(stack.gateway.clientConfig());
    const invoke = async (input: ConstructorParameters<typeof InvokeCommand>[0]) => {
      const answer = await client.send(new InvokeCommand(input));
      return { ...answer, json: JSON.parse(Buffer.from(answer.Payload ?? new Uint8Array()).toString() || "null") };
    };
    // RequestResponse, with the end of the log.
    const counted = await invoke({
      FunctionName: out("InlineCounterName"),
      Payload: JSON.stringify({ Records: [1, 2] }),
      LogType: "Tail",
    });
    expect(counted).toMatchObject({ StatusCode: 200, ExecutedVersion: "$LATEST", json: { counted: 2 } });
    expect(counted.FunctionError).toBeUndefined();
    expect(typeof counted.LogResult).toBe("string");
    // A function error is an answer, not a failed call (a function no alarm of the app watches).
    const failed = await invoke({
      FunctionName: out("BrokenPagerName"),
      Payload: JSON.stringify({ Records: [1] }),
    });
    expect(failed).toMatchObject({
      StatusCode: 200,
      FunctionError: "Unhandled",
      json: { errorMessage: "refusing 1 records" },
    });
    await expect(invoke({ FunctionName: "no-such-function" })).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    // A function invoking others as its role: the one it was granted, and not another.
    const granted = await invoke({
      FunctionName: out("DispatchName"),
      Payload: JSON.stringify({ target: out("InlineCounterName"), payload: { Records: [1, 2, 3] } }),
    });
    expect(granted.json).toEqual({ functionError: null, answer: { counted: 3 } });
    const refused = await invoke({
      FunctionName: out("DispatchName"),
      Payload: JSON.stringify({ target: functionNamed("FailToTopic"), payload: {} }),
    });
    expect(refused.json).toEqual({ callError: "AccessDeniedException" });
    // The AWS CLI, as a user runs it against the endpoint.
    const file = path.join(assembly, "cli-answer.json");
    await awsCli(stack, [
      "lambda",
      "invoke",
      "--function-name",
      out("InlineCounterName"),
      "--payload",
      '{"Records":[1,2,3,4]}',
      file,
    ]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ counted: 4 });
    // An Event invocation is accepted at once, retried twice, then left in the dead-letter queue.
    const accepted = await invoke({
      FunctionName: out("BrokenPagerName"),
      InvocationType: "Event",
      Payload: JSON.stringify({ Records: ["event"] }),
    });
    expect(accepted.StatusCode).toBe(202);
    const deadline = Date.now() + 15_000;
    let dead: Message[] = [];
    while (dead.length === 0 && Date.now() < deadline)
      dead = await drainQueue(stack.clients.sqs, out("BrokenPagerDlqUrl"), 500);
    expect(dead.map((m) => JSON.parse(m.Body ?? ""))).toEqual([{ Records: ["event"] }]);
    // A function's EventInvokeConfig (retryAttempts 1, an on-failure destination): two attempts, then
    // Lambda's invocation record in the destination.
    expect(
      (await invoke({ FunctionName: out("NotifyName"), InvocationType: "Event", Payload: '{"Records":["n"]}' }))
        .StatusCode,
    ).toBe(202);
    let notices: Message[] = [];
    while (notices.length === 0 && Date.now() < deadline + 10_000)
      notices = await drainQueue(stack.clients.sqs, out("FailedNoticesUrl"), 500);
    expect(notices.map((m) => JSON.parse(m.Body ?? ""))).toEqual([
      {
        version: "1.0",
        timestamp: expect.any(String),
        requestContext: {
          requestId: expect.any(String),
          functionArn: expect.stringMatching(/:function:.*Notify.*:\$LATEST$/),
          condition: "RetriesExhausted",
          approximateInvokeCount: 2,
        },
        requestPayload: { Records: ["n"] },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        responsePayload: { errorType: "Error", errorMessage: "refusing 1 records", trace: [] },
      },
    ]);
  });

  test("an ES module function behind FilterCriteria (its grant a customer managed policy) is sent only the records its filter matches; the rest are checkpointed and counted", async () => {
    await stack.runner?.drained();
    const announced = (await drainQueue(stack.clients.sqs, out("AnnouncedQueueUrl"), 1000)).map(
      (m) => JSON.parse(m.Body ?? "") as { customer: string; amount: number },
    );
    const large = orders.filter((o) => o.amount > 100);
    const announceErrors = invocations
      .filter((i) => i.functionName === functionNamed("Announce") && i.outcome !== "ok")
      .map((i) => `${i.outcome} ${i.error ?? ""} ${i.sequenceNumbers.length} records`);
    expect(
      announced.map((a) => a.amount).sort((a, b) => a - b),
      announceErrors.join("\n"),
    ).toEqual(large.map((o) => o.amount).sort((a, b) => a - b));
    const fn = functionNamed("Announce");
    const sent = invocations.filter((i) => i.functionName === fn).flatMap((i) => i.sequenceNumbers);
    expect(sent).toHaveLength(large.length);
    // Everything else on the stream — small orders and the bad one (its amount is no number) — was filtered out.
    expect(filtered.get(fn)).toBe(orders.length + 1 - large.length);
    expect(stack.gateway.report().find((f) => f.functionName === fn)?.refused).toEqual({});
    expect(stack.notes.join("\n")).toContain("AWS::CloudFormation::CustomResource: not emulated");
  });

  test("ParallelizationFactor 4 on one shard, reserved concurrency 2: batches run at once, never more than 2, each device's readings still in order", async () => {
    const readings = Array.from({ length: 240 }, (_, i) => ({ device: `d${i % 12}`, n: Math.floor(i / 12) }));
    await put(
      "ReadingsStreamName",
      readings.map((r) => ({ key: r.device, data: r })),
    );
    await stack.runner?.drained();
    const seen = Object.fromEntries((await scan("SequencesTableName")).map((i) => [i.device, i.seen]));
    for (let d = 0; d < 12; d++) expect(seen[`d${d}`]).toEqual(Array.from({ length: 20 }, (_, n) => n));
    const host = [...stack.hosts.values()].find((h) => h.spec.logicalId.startsWith("RecordSequence"));
    expect(host?.concurrency.peak).toBeGreaterThan(1);
    expect(host?.concurrency.peak).toBe(2);
  });

  test("a tumbling window's state goes from invocation to invocation, and its final invocation has it all", async () => {
    const sales = Array.from({ length: 9 }, (_, i) => i + 1);
    await put(
      "SalesStreamName",
      sales.map((n) => ({ key: `k${n}`, data: String(n) })),
    );
    await stack.runner?.drained();
    let windows: Record<string, unknown>[] = [];
    for (let waited = 0; waited < 20_000; waited += 500) {
      windows = await scan("WindowsTableName");
      if (windows.reduce((s, w) => s + Number(w.sum), 0) === 45) break;
      await sleep(500);
    }
    expect(windows.reduce((s, w) => s + Number(w.sum), 0)).toBe(45);
    // Three records a batch: nine records in one or two windows take several invocations, the state carried.
    expect(windows.reduce((n, w) => n + Number(w.invocations), 0)).toBeGreaterThanOrEqual(4);
    for (const w of windows) {
      expect(w.records).toBe(0); // the final invocation carries the state, not records
      expect(Date.parse(String(w.end)) - Date.parse(String(w.window))).toBe(5000);
    }
  });

  test("on-failure destinations: SNS gets Lambda's invocation record, S3 the record with the batch itself", async () => {
    await put(
      "RejectsStreamName",
      [1, 2, 3].map((n) => ({ key: "one-key", data: { n } })),
    );
    await stack.runner?.drained();
    const viaTopic = (await drainQueue(stack.clients.sqs, out("FailedBatchesQueueUrl"), 1000)).map(
      (m) => JSON.parse(m.Body ?? "") as FailureRecord,
    );
    expect(viaTopic.reduce((n, f) => n + f.KinesisBatchInfo.batchSize, 0)).toBe(3);
    expect(viaTopic[0]).toMatchObject({
      requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 1 },
      responseContext: { functionError: "Unhandled" },
      version: "1.0",
    });
    const bucket = out("FailedBatchesBucketName");
    const listed = await stack.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? "");
    expect(keys.length).toBeGreaterThan(0);
    // The bucket enforces TLS: the same listing over plain HTTP is denied by its policy.
    const plain = new S3Client({
      ...stack.gateway.clientConfig(),
      endpoint: stack.gateway.plainUrl,
      forcePathStyle: true,
    });
    await expect(plain.send(new ListObjectsV2Command({ Bucket: bucket }))).rejects.toMatchObject({
      name: "AccessDenied",
    });
    plain.destroy();
    for (const key of keys) {
      expect(key).toMatch(
        /^aws\/lambda\/[0-9a-f-]{36}\/shardId-\d+\/\d{4}\/\d{2}\/\d{2}\/\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}$/,
      );
    }
    const objects = await Promise.all(
      keys.map(async (Key) => {
        const body = await (
          await stack.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key }))
        ).Body?.transformToString();
        return JSON.parse(body ?? "{}") as FailureRecord & { payload: { Records: { kinesis: { data: string } }[] } };
      }),
    );
    const payloads = objects.flatMap((o) =>
      o.payload.Records.map((r) => JSON.parse(Buffer.from(r.kinesis.data, "base64").toString())),
    );
    expect(payloads).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(objects[0]?.KinesisBatchInfo.batchSize).toBe(objects[0]?.payload.Records.length);
    // The inline function (Code.ZipFile) on the same stream took the same records without failing.
    const inline = invocations.filter((i) => i.functionName === functionNamed("InlineCounter"));
    expect(inline.flatMap((i) => i.sequenceNumbers)).toHaveLength(3);
    expect(inline.every((i) => i.outcome === "ok")).toBe(true);
  });

  test("the app's own alarms run: the failing functions' errors and error-rate alarms go to ALARM, the errors alarms page the on-call through SnsAction", async () => {
    // The failing batches of the test before, as CloudWatch counts them: Lambda's Errors per function.
    const alarmOf = (fn: string) =>
      [...(stack.cloudwatch.alarms?.alarms.values() ?? [])].find((a) => a.def.logicalId.startsWith(fn));
    const fired = [
      "FailToTopicErrors",
      "FailToBucketErrors",
      "FailToTopicErrorRate",
      "FailToBucketErrorRate",
      "AllFailing",
    ];
    for (const fn of fired) {
      const deadline = Date.now() + 15_000;
      while (!alarmChanges.some((c) => c.alarm.logicalId.startsWith(fn) && c.to === "ALARM")) {
        if (Date.now() > deadline)
          throw new Error(`${fn} never went to ALARM: ${alarmOf(fn)?.state} (${alarmOf(fn)?.reason})`);
        await sleep(200);
      }
    }
    const pages = (await drainQueue(stack.clients.sqs, out("OnCallInboxUrl"), 1000)).map(
      (m) => JSON.parse(m.Body ?? "") as { Type: string; MessageId: string; Subject: string; Message: string },
    );
    const alarmed = pages.filter((p) => p.Subject.startsWith("ALARM: "));
    // The L1 subscription whose queue has no policy for the topic got none of them, as in an account.
    expect(await drainQueue(stack.clients.sqs, out("OnCallUnpolicedUrl"), 200)).toEqual([]);
    expect(alarmed.map((p) => (JSON.parse(p.Message) as { AlarmName: string }).AlarmName).sort()).toEqual(
      ["FailToTopicErrors", "FailToBucketErrors", "AllFailing"].map((fn) => alarmOf(fn)?.def.name).sort(),
    );
    // The composite alarm (CompositeAlarm with AlarmRule.allOf) paged once both were in ALARM, with its
    // rule and the child whose change moved it.
    const composite = alarmed
      .map((p) => JSON.parse(p.Message) as { AlarmName: string; AlarmRule?: string; TriggeringChildren?: unknown[] })
      .find((m) => m.AlarmName === alarmOf("AllFailing")?.def.name);
    expect(composite?.AlarmRule).toMatch(
      /^\(ALARM\(".*FailToTopicErrors.*"\) AND ALARM\(".*FailToBucketErrors.*"\)\)$/,
    );
    expect(composite?.TriggeringChildren).toEqual([
      {
        Arn: expect.stringMatching(/:alarm:.*FailTo(Topic|Bucket)Errors/),
        State: { Value: "ALARM", Timestamp: expect.any(String) },
      },
    ]);
    expect(JSON.parse(alarmed[0]?.Message ?? "{}")).toMatchObject({
      NewStateValue: "ALARM",
      Trigger: { MetricName: "Errors", Namespace: "AWS/Lambda", ComparisonOperator: "GreaterThanOrEqualToThreshold" },
    });
    // The error rate (metric math with IF) of every failing invocation is 100 %.
    const changeOf = (fn: string, to: string) =>
      alarmChanges.find((c) => c.alarm.logicalId.startsWith(fn) && c.to === to);
    expect(changeOf("FailToTopicErrorRate", "ALARM")?.reason).toMatch(/\[100\.0 /);
    // No other alarm of the app fired: the inline function's error rate, on the same records, stayed OK.
    expect(
      new Set(alarmChanges.filter((c) => c.to === "ALARM").map((c) => c.alarm.logicalId.replace(/[0-9A-F]{8}$/, ""))),
    ).toEqual(new Set(fired));
    expect(changeOf("InlineCounterErrorRate", "OK")?.reason).toMatch(/\[0\.0 /);

    // The functions subscribed to the on-call topic (LambdaSubscription) got each page as SNS's event:
    // the pager kept them all; the broken one failed each three times (Lambda's two retries of an
    // asynchronous invocation) and its dead-letter queue has each event, with the error.
    await stack.subscriptions?.drained(30_000);
    const kept = await scan("PagesTableName");
    expect(kept.map((p) => p.id)).toEqual(expect.arrayContaining(pages.map((p) => p.MessageId)));
    expect(Object.fromEntries(kept.map((p) => [p.id, p.subject]))).toMatchObject(
      Object.fromEntries(pages.map((p) => [p.MessageId, p.Subject])),
    );
    const dead = await drainQueue(stack.clients.sqs, out("BrokenPagerDlqUrl"), 500);
    expect(dead.map((m) => (JSON.parse(m.Body ?? "") as SNSEvent).Records[0]?.Sns.MessageId).sort()).toEqual(
      kept.map((p) => p.id).sort(),
    );
    // The pager's on-success destination has a record of each page it kept.
    const succeeded = (await drainQueue(stack.clients.sqs, out("PagedRecordsUrl"), 500)).map(
      (m) => JSON.parse(m.Body ?? "") as { requestContext: { condition: string }; requestPayload: SNSEvent },
    );
    expect(succeeded.every((r) => r.requestContext.condition === "Success")).toBe(true);
    expect(succeeded.map((r) => r.requestPayload.Records[0]?.Sns.MessageId).sort()).toEqual(
      kept.map((p) => p.id).sort(),
    );
    const broken = snsInvocations.filter((i) => i.functionName === functionNamed("BrokenPager"));
    expect(broken.filter((i) => i.gaveUp === "dead-letter queue")).toHaveLength(kept.length);
    expect(broken.every((i) => i.outcome === "error")).toBe(true);
    expect(broken).toHaveLength(3 * kept.length);
  });

  test("a call the local stack does not answer is refused by its name, as the AWS CLI shows it", async () => {
    // Query (STS), JSON (KMS, CloudWatch Logs), EC2's own (not a service of the local stack): each read
    // by the CLI in its own protocol, and not retried.
    const refusals = await Promise.all(
      [
        ["sts", "get-session-token"],
        ["kms", "create-key"],
        ["logs", "create-log-group", "--log-group-name", "mine"],
        ["ec2", "describe-instances"],
      ].map((args) =>
        awsCli(stack, args).then(
          (stdout) => `answered: ${stdout}`,
          (err: { stderr?: string }) => err.stderr ?? "",
        ),
      ),
    );
    expect(refusals[0]).toMatch(/\(InvalidAction\).*sts GetSessionToken is not emulated by the local stack/);
    expect(refusals[1]).toMatch(/\(UnknownOperationException\).*kms CreateKey is not emulated by the local stack/);
    expect(refusals[2]).toMatch(/\(UnknownOperationException\).*logs CreateLogGroup is not emulated/);
    expect(refusals[3]).toMatch(/\(InvalidAction\).*ec2 DescribeInstances is not emulated/);
  });
});

describe("AWS managed policies", () => {
  const withUnknownPolicy = () =>
    editTemplate(assembly, (template) => {
      for (const [, role] of resourcesOf(template, "AWS::IAM::Role")) {
        role.Properties.ManagedPolicyArns = ["arn:aws:iam::aws:policy/AmazonS3FullAccess"];
      }
    });

  test("one the local stack does not know stops the start with its name", async () => {
    const started = localStackForTests({}, undefined, { app: withUnknownPolicy() });
    await expect(started).rejects.toThrow(TemplateError);
    await expect(started).rejects.toThrow(
      /the managed policy arn:aws:iam::aws:policy\/AmazonS3FullAccess is not known/,
    );
  });

  test("with IAM off the start goes on, and says so", async () => {
    const local = await localStackForTests({}, undefined, {
      app: withUnknownPolicy(),
      iam: false,
      runFunctions: false,
    });
    try {
      expect(local.notes.join("\n")).toMatch(/warning: .*AmazonS3FullAccess is not known.*its grants are left out/);
    } finally {
      await local.stop();
    }
  });
});
