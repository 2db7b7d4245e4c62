import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ADMIN_CREDENTIALS, type LocalStack, projectRoot } from "../../local/stack.js";
import { runProcess } from "../helpers/processes.js";
import { awsCli, localStackForTests, resourcesOf } from "../helpers/stack.js";
import { editTemplate } from "../helpers/template-edit.js";

// A user's own CDK app onto the local stack without our --app flag: a local stack started with no
// stack (`npm start -- --no-app`), then the real CDK CLI against its endpoint — `cdk bootstrap`, and
// `cdk deploy` of the fixture app (its assets through S3, a change set, the stack's outputs); then a
// function changed and deployed again, the change in effect; and a change that cannot be made in
// place, refused by name as a failed update.

let stack: LocalStack;
const dir = mkdtempSync(path.join(tmpdir(), "tripwire-cdk-deploy-"));
const assembly = path.join(dir, "cdk.out");

beforeAll(async () => {
  stack = await localStackForTests({}, undefined, { noApp: true });
});
afterAll(async () => stack?.stop());

/**
 * The CDK CLI as a user runs it with the env file sourced (the CLI trusts AWS_CA_BUNDLE's authority
 * alone), in the project or in another directory.
 */
const cdk = (args: string[], cwd = projectRoot) =>
  runProcess(
    process.execPath,
    [path.join(projectRoot, "node_modules", "aws-cdk", "bin", "cdk"), ...args, "--no-notices"],
    {
      ...process.env,
      AWS_ENDPOINT_URL: stack.gateway.url,
      ...(stack.gateway.caFile === undefined
        ? {}
        : { NODE_EXTRA_CA_CERTS: stack.gateway.caFile, AWS_CA_BUNDLE: stack.gateway.caFile }),
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: ADMIN_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ADMIN_CREDENTIALS.secretAccessKey,
      CDK_DISABLE_CLI_TELEMETRY: "true",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    cwd,
  );

/**
 * A copy of the synthesized assembly with its template edited, as the changed app would synthesize
 * it: the template asset's content hash — its S3 key, in the asset manifest and the stack's
 * template URL — is new, so `cdk deploy` uploads it and changes the stack.
 */
function changedAssembly(edit: Parameters<typeof editTemplate>[1]): string {
  const copy = editTemplate(assembly, edit);
  const templateFile = readdirSync(copy).find((f) => f.endsWith(".template.json")) as string;
  const hash = createHash("sha256")
    .update(readFileSync(path.join(copy, templateFile)))
    .digest("hex");
  const manifests = readdirSync(copy).filter((f) => f === "manifest.json" || f.endsWith(".assets.json"));
  const assets = JSON.parse(
    readFileSync(path.join(copy, manifests.find((f) => f.endsWith(".assets.json")) as string), "utf8"),
  ) as {
    files: Record<string, { source: { path: string } }>;
  };
  const old = Object.entries(assets.files).find(([, a]) => a.source.path === templateFile)?.[0] as string;
  for (const file of manifests) {
    const text = readFileSync(path.join(copy, file), "utf8");
    writeFileSync(path.join(copy, file), text.split(old).join(hash));
  }
  return copy;
}

const invoke = async (name: string) => {
  const lambda = new LambdaClient(stack.gateway.clientConfig());
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ Records: [1, 2] }) }),
  );
  return JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString()) as unknown;
};

test("cdk bootstrap and cdk deploy against the endpoint; a changed function deployed again takes effect", async () => {
  expect(stack.stacks).toHaveLength(0);
  // Bootstrapped from outside any CDK project: in one, the CLI synthesizes that project's app first.
  const bootstrapped = await cdk(["bootstrap", "aws://000000000000/us-east-1"], dir);
  expect(bootstrapped.output).toContain("Environment aws://000000000000/us-east-1 bootstrapped");
  expect(bootstrapped.code).toBe(0);

  // The app synthesized and deployed by the CLI, as from the user's project.
  const app = `${process.execPath} --import tsx test/fixtures/cdk-app/app.ts`;
  const outputsFile = path.join(dir, "outputs.json");
  const deploy = (...args: string[]) => cdk(["deploy", "--require-approval", "never", ...args]);
  const deployed = await deploy("--app", app, "-o", assembly, "--outputs-file", outputsFile);
  expect(deployed.output).toMatch(/Orders.*deployed|✅\s+Orders/s);
  expect(deployed.code).toBe(0);
  const outputs =
    (JSON.parse(readFileSync(outputsFile, "utf8")) as Record<string, Record<string, string>>).Orders ?? {};
  const described = JSON.parse(
    await awsCli(stack, ["cloudformation", "describe-stacks", "--stack-name", "Orders", "--output", "json"]),
  ).Stacks[0];
  expect(described.StackStatus).toBe("CREATE_COMPLETE");
  expect(
    Object.fromEntries(
      described.Outputs.map((o: { OutputKey: string; OutputValue: string }) => [o.OutputKey, o.OutputValue]),
    ),
  ).toEqual(outputs);
  const counter = outputs.InlineCounterName as string;
  expect(await invoke(counter)).toEqual({ counted: 2 });

  // The function's code changed, deployed again: an update, in effect at the next invocation.
  const changed = changedAssembly((template) => {
    const [, fn] = resourcesOf(template, "AWS::Lambda::Function").find(([id]) => id.startsWith("InlineCounter")) ?? [];
    if (!fn) throw new Error("the fixture app has no InlineCounter");
    fn.Properties.Code = {
      ZipFile: "exports.handler = async (event) => ({ counted: event.Records.length, version: 2 });",
    };
  });
  const again = await deploy("--app", changed);
  expect(again.code).toBe(0);
  expect(await invoke(counter)).toEqual({ counted: 2, version: 2 });

  // What CloudFormation would replace, the local stack cannot do in place: the update fails, saying so.
  const replaced = changedAssembly((template) => {
    for (const [, table] of resourcesOf(template, "AWS::DynamoDB::Table")) {
      table.Properties.KeySchema = [{ AttributeName: "other", KeyType: "HASH" }];
      table.Properties.AttributeDefinitions = [{ AttributeName: "other", AttributeType: "S" }];
    }
  });
  const refused = await deploy("--app", replaced);
  expect(refused.code).not.toBe(0);
  expect(refused.output).toMatch(/the local stack cannot update .*AWS::DynamoDB::Table: .*KeySchema/s);
  const after = JSON.parse(
    await awsCli(stack, ["cloudformation", "describe-stacks", "--stack-name", "Orders", "--output", "json"]),
  ).Stacks[0];
  expect(after.StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
  // The stack runs on as it was.
  expect(await invoke(counter)).toEqual({ counted: 2, version: 2 });
});
