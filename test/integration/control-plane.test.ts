import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { StackDeployment } from "../../local/cloudformation/assembly.js";
import { roleCredentials } from "../../local/iam/credentials.js";
import type { LocalStack } from "../../local/stack.js";
import type { AwsCliSession } from "../helpers/aws-cli.js";
import { dataLines } from "../helpers/data.js";
import { awsCliSession, editedAssembly, localStackForTests, putLines } from "../helpers/stack.js";

// The control plane a suite written for LocalStack calls besides the data plane, driven through the
// AWS CLI against the local stack and checked against the deployed template: who am I, the stack's
// outputs, resources, template and events, the functions and their mappings (switched off and on
// live, nothing lost), their log lines, the roles, keys, secrets and parameters — and a call the
// local stack does not answer, said by name.

let stack: LocalStack;
let session: AwsCliSession;
let deployed: StackDeployment;
let dir: string;
/** Every record the cpu mapping delivered, by sequence number (each once, whatever the redeliveries). */
const delivered = new Map<string, number>();

const PARAMETER = "/tripwire/test/threshold";

beforeAll(async () => {
  // The project's template, with one SSM parameter (it has none of its own) for SSM's reads.
  dir = editedAssembly((template) => {
    template.Resources.ThresholdParameter = {
      Type: "AWS::SSM::Parameter",
      Properties: { Name: PARAMETER, Type: "String", Value: "90" },
    };
  });
  stack = await localStackForTests(
    {
      onInvoke: (info) => {
        if (info.streamName !== stack?.outputs.CpuStreamName || info.outcome !== "ok") return;
        for (const seq of info.sequenceNumbers) delivered.set(seq, (delivered.get(seq) ?? 0) + 1);
      },
    },
    undefined,
    { app: dir },
  );
  deployed = stack.stacks[0] as StackDeployment;
  session = awsCliSession(stack);
});
afterAll(async () => {
  session?.stop();
  await stack?.stop();
});

/** A CLI command's stdout; a failed command throws its stderr. */
const cliText = async (args: readonly string[]): Promise<string> => {
  const { code, stdout, stderr } = await session.run(args);
  if (code !== 0) throw new Error(`aws ${args.join(" ")} failed (${code}): ${stderr}`);
  return stdout;
};
const cli = async (...args: string[]) => JSON.parse(await cliText([...args, "--output", "json"]));
const template = () => {
  const file = readdirSync(dir).find((f) => f.endsWith(".template.json")) as string;
  return JSON.parse(readFileSync(path.join(dir, file), "utf8")) as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
};
const ofType = (type: string) => Object.entries(template().Resources).filter(([, r]) => r.Type === type);

test("STS and CloudFormation: the caller, and the stack's outputs, resources, template and events", async () => {
  const me = await cli("sts", "get-caller-identity");
  expect(me).toMatchObject({ Account: deployed.account, Arn: `arn:aws:iam::${deployed.account}:root` });

  const [described] = (await cli("cloudformation", "describe-stacks", "--stack-name", deployed.stackName)).Stacks;
  expect(described.StackStatus).toBe("CREATE_COMPLETE");
  // The outputs are what cdk-outputs.json holds.
  const outputsFile = JSON.parse(readFileSync(stack.outputsFile, "utf8")) as Record<string, Record<string, string>>;
  const outputs = Object.fromEntries(
    (described.Outputs as { OutputKey: string; OutputValue: string }[]).map((o) => [o.OutputKey, o.OutputValue]),
  );
  expect(outputs).toEqual(Object.values(outputsFile)[0]);
  const summaries = (await cli("cloudformation", "list-stacks")).StackSummaries;
  expect(summaries.map((s: { StackName: string }) => s.StackName)).toEqual([deployed.stackName]);

  // Every resource of the template, once, with Ref's value as its physical id.
  const listed = (await cli("cloudformation", "list-stack-resources", "--stack-name", deployed.stackName))
    .StackResourceSummaries as { LogicalResourceId: string; ResourceType: string; PhysicalResourceId: string }[];
  expect(listed.map((r) => r.LogicalResourceId).sort()).toEqual(Object.keys(template().Resources).sort());
  const [fnId] = ofType("AWS::Lambda::Function")[0] as [string, unknown];
  const fn = deployed.byLogicalId(fnId);
  const detail = (
    await cli(
      "cloudformation",
      "describe-stack-resource",
      "--stack-name",
      deployed.stackName,
      "--logical-resource-id",
      fnId,
    )
  ).StackResourceDetail;
  expect(detail).toMatchObject({ PhysicalResourceId: fn.name, ResourceType: "AWS::Lambda::Function" });
  const byPhysical = (await cli("cloudformation", "describe-stack-resources", "--physical-resource-id", fn.name))
    .StackResources;
  expect(byPhysical.map((r: { LogicalResourceId: string }) => r.LogicalResourceId)).toEqual([fnId]);
  const body = (await cli("cloudformation", "get-template", "--stack-name", deployed.stackName)).TemplateBody;
  expect(body).toEqual(template());
  const events = (await cli("cloudformation", "describe-stack-events", "--stack-name", deployed.stackName)).StackEvents;
  expect(events[0]).toMatchObject({ LogicalResourceId: deployed.stackName, ResourceStatus: "CREATE_COMPLETE" });
  // A stack that is not there: CloudFormation's own error.
  await expect(cliText(["cloudformation", "describe-stacks", "--stack-name", "NoSuchStack"])).rejects.toThrow(
    /ValidationError.*Stack with id NoSuchStack does not exist/s,
  );
});

test("Lambda: one function per AWS::Lambda::Function, the mappings with their settings", async () => {
  const functions = (await cli("lambda", "list-functions")).Functions as { FunctionName: string }[];
  const declared = deployed.byType("AWS::Lambda::Function");
  expect(functions.map((f) => f.FunctionName).sort()).toEqual(declared.map((f) => f.name).sort());
  for (const fn of declared) {
    const config = functions.find((f) => f.FunctionName === fn.name);
    expect(config).toMatchObject({
      FunctionArn: fn.arn,
      Runtime: fn.properties.Runtime,
      Handler: fn.properties.Handler,
      Role: fn.properties.Role,
      Timeout: fn.properties.Timeout ?? 3,
      MemorySize: fn.properties.MemorySize ?? 128,
    });
    expect(config).toHaveProperty("CodeSha256", expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/));
  }
  const first = declared[0] as (typeof declared)[number];
  expect(await cli("lambda", "get-function-configuration", "--function-name", first.name)).toEqual(
    functions.find((f) => f.FunctionName === first.name),
  );
  expect((await cli("lambda", "get-function", "--function-name", first.arn)).Configuration.FunctionName).toBe(
    first.name,
  );
  const versions = (await cli("lambda", "list-versions-by-function", "--function-name", first.name)).Versions;
  expect(versions.map((v: { Version: string }) => v.Version)).toEqual(["$LATEST", "1"]);
  expect((await cli("lambda", "list-aliases", "--function-name", first.name)).Aliases).toEqual([]);
  await expect(cliText(["lambda", "get-function", "--function-name", "no-such-function"])).rejects.toThrow(
    /ResourceNotFoundException/,
  );

  const mappings = (await cli("lambda", "list-event-source-mappings")).EventSourceMappings as Record<string, unknown>[];
  const templateMappings = ofType("AWS::Lambda::EventSourceMapping");
  expect(mappings).toHaveLength(templateMappings.length);
  for (const [logicalId] of templateMappings) {
    const resource = deployed.byLogicalId(logicalId);
    const p = resource.properties;
    const listedOne = mappings.find((m) => m.UUID === resource.ref);
    expect(listedOne).toMatchObject({
      EventSourceArn: p.EventSourceArn,
      BatchSize: p.BatchSize,
      MaximumBatchingWindowInSeconds: p.MaximumBatchingWindowInSeconds,
      StartingPosition: p.StartingPosition,
      MaximumRetryAttempts: p.MaximumRetryAttempts,
      BisectBatchOnFunctionError: p.BisectBatchOnFunctionError,
      State: "Enabled",
    });
  }
  const uuid = mappings[0]?.UUID as string;
  expect(await cli("lambda", "get-event-source-mapping", "--uuid", uuid)).toEqual(mappings[0]);
  // A change Lambda takes but the local stack does not apply: refused by name, not ignored.
  await expect(
    cliText(["lambda", "update-event-source-mapping", "--uuid", uuid, "--function-name", "other"]),
  ).rejects.toThrow(/FunctionName: not applied to a running mapping by the local stack/);
  // Lambda's own checks of a setting, as for the template's.
  await expect(
    cliText(["lambda", "update-event-source-mapping", "--uuid", uuid, "--parallelization-factor", "11"]),
  ).rejects.toThrow(/InvalidParameterValueException.*ParallelizationFactor 11 must be 1 to 10/s);
});

test("a mapping switched off reads nothing and keeps its place; switched on, it delivers every record, once", async () => {
  const streamArn = deployed.resources.find((r) => r.name === stack.outputs.CpuStreamName)?.arn as string;
  const [mapping] = (await cli("lambda", "list-event-source-mappings", "--event-source-arn", streamArn))
    .EventSourceMappings as { UUID: string; BatchSize: number }[];
  expect(mapping).toBeDefined();
  const uuid = (mapping as { UUID: string }).UUID;
  const lines = dataLines("cpu.csv").slice(0, 40);
  await putLines(stack.clients.kinesis, stack.outputs.CpuStreamName, "cpu", lines.slice(0, 10));
  await stack.runner?.drained();
  expect(delivered.size).toBe(10);

  const off = await cli("lambda", "update-event-source-mapping", "--uuid", uuid, "--no-enabled", "--batch-size", "7");
  expect(off).toMatchObject({ State: "Disabling", BatchSize: 7 });
  expect(await cli("lambda", "get-event-source-mapping", "--uuid", uuid)).toMatchObject({ State: "Disabled" });
  await putLines(stack.clients.kinesis, stack.outputs.CpuStreamName, "cpu", lines.slice(10));
  // Several polls' time: nothing is read while it is off.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(delivered.size).toBe(10);

  const on = await cli("lambda", "update-event-source-mapping", "--uuid", uuid, "--enabled");
  expect(on).toMatchObject({ State: "Enabling", BatchSize: 7 });
  await stack.runner?.drained();
  expect(delivered.size).toBe(40);
  expect([...delivered.values()].every((n) => n === 1)).toBe(true);
});

test("Logs: each function's group, its streams and events, and filter-log-events finds a line a function wrote", async () => {
  // A function's group: the one its LoggingConfig names, else Lambda's /aws/lambda/<name>.
  const groupOf = (fn: { name: string; properties: Record<string, unknown> }) =>
    (fn.properties.LoggingConfig as { LogGroup?: string } | undefined)?.LogGroup ?? `/aws/lambda/${fn.name}`;
  const groups = (await cli("logs", "describe-log-groups")).logGroups;
  expect(groups.map((g: { logGroupName: string }) => g.logGroupName).sort()).toEqual(
    deployed.byType("AWS::Lambda::Function").map(groupOf).sort(),
  );
  // The cpu function has run (the test before, or now): its "batch done" lines.
  await putLines(stack.clients.kinesis, stack.outputs.CpuStreamName, "cpu", dataLines("cpu.csv").slice(0, 3));
  await stack.runner?.drained();
  // The function the cpu stream's mapping feeds.
  const streamArn = deployed.resources.find((r) => r.name === stack.outputs.CpuStreamName)?.arn;
  const fed = deployed.byType("AWS::Lambda::EventSourceMapping").find((m) => m.properties.EventSourceArn === streamArn)
    ?.properties.FunctionName;
  const cpu = deployed.byType("AWS::Lambda::Function").find((f) => f.name === fed);
  const group = groupOf(cpu as NonNullable<typeof cpu>);
  const found = (await cli("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", '"batch done"'))
    .events as { message: string; logStreamName: string }[];
  expect(found.length).toBeGreaterThan(0);
  expect(found.every((e) => e.message.includes("batch done"))).toBe(true);
  const json = (
    await cli(
      "logs",
      "filter-log-events",
      "--log-group-name",
      group,
      "--filter-pattern",
      '{ $.message = "batch done" }',
    )
  ).events;
  expect(json).toHaveLength(found.length);
  const streams = (await cli("logs", "describe-log-streams", "--log-group-name", group)).logStreams;
  expect(streams.map((s: { logStreamName: string }) => s.logStreamName)).toContain(found[0]?.logStreamName);
  expect(found[0]?.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  const read = (
    await cli(
      "logs",
      "get-log-events",
      "--log-group-name",
      group,
      "--log-stream-name",
      found[0]?.logStreamName as string,
    )
  ).events as { message: string }[];
  expect(read.some((e) => e.message === found[0]?.message)).toBe(true);
});

test("IAM, KMS, Secrets Manager and SSM: the template's roles, keys, secrets and parameters", async () => {
  const roles = deployed.byType("AWS::IAM::Role");
  const listedRoles = (await cli("iam", "list-roles")).Roles as { RoleName: string }[];
  expect(listedRoles.map((r) => r.RoleName).sort()).toEqual(roles.map((r) => r.name).sort());
  const role = roles[0] as (typeof roles)[number];
  const got = (await cli("iam", "get-role", "--role-name", role.name)).Role;
  expect(got).toMatchObject({ Arn: role.arn, AssumeRolePolicyDocument: role.properties.AssumeRolePolicyDocument });
  const inline = deployed
    .byType("AWS::IAM::Policy")
    .filter((p) => (p.properties.Roles as string[]).includes(role.name));
  const names = (await cli("iam", "list-role-policies", "--role-name", role.name)).PolicyNames;
  expect(names).toEqual(inline.map((p) => p.properties.PolicyName));
  const policy = inline[0];
  if (policy) {
    const doc = await cli("iam", "get-role-policy", "--role-name", role.name, "--policy-name", names[0]);
    expect(doc.PolicyDocument).toEqual(policy.properties.PolicyDocument);
  }
  const attached = (await cli("iam", "list-attached-role-policies", "--role-name", role.name)).AttachedPolicies;
  expect(attached.map((a: { PolicyArn: string }) => a.PolicyArn)).toEqual(role.properties.ManagedPolicyArns ?? []);

  const keys = deployed.byType("AWS::KMS::Key");
  const listedKeys = (await cli("kms", "list-keys")).Keys as { KeyArn: string }[];
  expect(listedKeys.map((k) => k.KeyArn).sort()).toEqual(keys.map((k) => k.arn).sort());
  const key = keys[0] as (typeof keys)[number];
  expect((await cli("kms", "describe-key", "--key-id", key.arn)).KeyMetadata).toMatchObject({
    Arn: key.arn,
    KeyState: "Enabled",
  });
  const aliases = (await cli("kms", "list-aliases")).Aliases as { AliasName: string }[];
  expect(aliases.map((a) => a.AliasName).sort()).toEqual(
    deployed
      .byType("AWS::KMS::Alias")
      .map((a) => a.name)
      .sort(),
  );
  // Encrypt and decrypt through the key, under its policy; another encryption context does not decrypt.
  // Blobs from files (fileb://): the CLI's versions read a blob argument differently, a file alike.
  const plain = path.join(dir, "plain.txt");
  writeFileSync(plain, "coupon");
  const sealed = await cli(
    "kms",
    "encrypt",
    "--key-id",
    key.arn,
    "--plaintext",
    `fileb://${plain}`,
    "--encryption-context",
    "purpose=test",
  );
  const file = path.join(dir, "sealed.bin");
  writeFileSync(file, Buffer.from(sealed.CiphertextBlob, "base64"));
  const opened = await cli(
    "kms",
    "decrypt",
    "--ciphertext-blob",
    `fileb://${file}`,
    "--encryption-context",
    "purpose=test",
  );
  expect(Buffer.from(opened.Plaintext, "base64").toString()).toBe("coupon");
  expect(opened.KeyId).toBe(key.arn);
  await expect(
    cliText(["kms", "decrypt", "--ciphertext-blob", `fileb://${file}`, "--encryption-context", "purpose=other"]),
  ).rejects.toThrow(/InvalidCiphertextException/);
  const dataKey = await cli("kms", "generate-data-key", "--key-id", key.arn, "--key-spec", "AES_256");
  expect(Buffer.from(dataKey.Plaintext, "base64")).toHaveLength(32);

  const secrets = deployed.byType("AWS::SecretsManager::Secret");
  const listedSecrets = (await cli("secretsmanager", "list-secrets")).SecretList as { ARN: string }[];
  expect(listedSecrets.map((s) => s.ARN).sort()).toEqual(secrets.map((s) => s.arn).sort());
  const secret = secrets[0] as (typeof secrets)[number];
  expect(await cli("secretsmanager", "describe-secret", "--secret-id", secret.name)).toMatchObject({
    ARN: secret.arn,
    Name: secret.name,
  });

  expect((await cli("ssm", "get-parameter", "--name", PARAMETER)).Parameter).toMatchObject({
    Name: PARAMETER,
    Value: "90",
    Version: 1,
  });
  expect(await cli("ssm", "get-parameters", "--names", PARAMETER, "/no/such")).toMatchObject({
    Parameters: [{ Name: PARAMETER }],
    InvalidParameters: ["/no/such"],
  });
});

test("under IAM like every call; an operation not answered is said by name", async () => {
  // A function's role has no lambda:ListFunctions: refused as Lambda refuses it.
  const [fn] = deployed.byType("AWS::Lambda::Function");
  const asRole = new LambdaClient(stack.gateway.clientConfig(roleCredentials(deployed.stackName, fn?.logicalId ?? "")));
  await expect(asRole.send(new ListFunctionsCommand({}))).rejects.toMatchObject({ name: "AccessDeniedException" });
  // The function's role cannot be assumed by the administrator: its trust policy names only Lambda.
  await expect(
    cliText(["sts", "assume-role", "--role-arn", String(fn?.properties.Role), "--role-session-name", "me"]),
  ).rejects.toThrow(/AccessDenied.*not authorized to perform: sts:AssumeRole/s);
  // An operation of an answered service that is not answered (the protocols' forms: cdk-apps.test.ts).
  await expect(cliText(["lambda", "delete-function", "--function-name", fn?.name ?? ""])).rejects.toThrow(
    /lambda DELETE \/2015-03-31\/functions\/[^ ]+ is not emulated by the local stack/,
  );
});
