import { expect, test } from "vitest";
import { readTemplateText } from "../../local/cloudformation/template-text.js";
import { KmsApi } from "../../local/control/kms-api.js";
import { filterPattern } from "../../local/control/logs-api.js";
import { queryAnswer } from "../../local/gateway/query-xml.js";
import { type AwsRequest, parseRequest } from "../../local/iam/request.js";
import { accountPolicies } from "../../local/iam/resource-policies.js";
import { s3Location } from "../../local/stages/deployments.js";

// The control plane's pieces that need no stack: Logs' filter patterns, KMS's ciphertexts, the
// query protocol's answer shape, Lambda's REST routes read as operations, a template's text (JSON or
// YAML) and the S3 URL a change set names its template by.

const json = (operation: string, input: Record<string, unknown>): AwsRequest => ({
  service: "kms",
  operation,
  accessKeyId: undefined,
  json: input,
  form: undefined,
});

test("filter patterns: terms, quoted phrases, ? and - terms, JSON tests; other syntax refused by name", () => {
  const lines = ['{"level":"ERROR","message":"batch failed","n":3}', "START RequestId: 1", "batch done in 3 ms"];
  const match = (pattern: string) => lines.filter(filterPattern(pattern));
  expect(match("")).toEqual(lines);
  expect(match("batch")).toEqual([lines[0], lines[2]]);
  expect(match('"batch done"')).toEqual([lines[2]]);
  expect(match("batch -failed")).toEqual([lines[2]]);
  expect(match("?START ?failed")).toEqual([lines[0], lines[1]]);
  expect(match('{ $.level = "ERROR" }')).toEqual([lines[0]]);
  expect(match("{ $.level != ERROR }")).toEqual([]);
  expect(match('{ $.message = "batch*" && $.n = 3 }')).toEqual([lines[0]]);
  expect(match("{ $.level = INFO || $.n = 3 }")).toEqual([lines[0]]);
  expect(() => filterPattern("[ip, user]")).toThrow(/space-delimited .* not matched by the local stack/);
  expect(() => filterPattern("{ $.n > 2 }")).toThrow(/only = and != tests/);
});

test("KMS: a ciphertext names its key and opens only with its encryption context; a disabled key refuses", () => {
  const key = "arn:aws:kms:us-east-1:000000000000:key/k1";
  const policies = accountPolicies([], "us-east-1", "000000000000");
  const keys = new Map([[key, { arn: key, policy: [], enabled: true }]]);
  const kms = new KmsApi({
    account: "000000000000",
    createdAt: new Date(0),
    policies: () => ({ ...policies, key: (id) => keys.get(id), keys: [] }),
  });
  const sealed = kms.answer(
    json("Encrypt", { KeyId: key, Plaintext: Buffer.from("secret").toString("base64"), EncryptionContext: { a: "1" } }),
  );
  const opened = kms.answer(json("Decrypt", { CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { a: "1" } }));
  expect(opened).toMatchObject({ KeyId: key, Plaintext: Buffer.from("secret").toString("base64") });
  expect(() => kms.answer(json("Decrypt", { CiphertextBlob: sealed.CiphertextBlob }))).toThrow(
    expect.objectContaining({ code: "InvalidCiphertextException" }),
  );
  keys.set(key, { arn: key, policy: [], enabled: false });
  expect(() =>
    kms.answer(json("Decrypt", { CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { a: "1" } })),
  ).toThrow(expect.objectContaining({ code: "DisabledException" }));
  expect(() => kms.answer(json("Encrypt", { KeyId: "nope", Plaintext: "AA==" }))).toThrow(
    expect.objectContaining({ code: "NotFoundException" }),
  );
});

test("a query answer: the operation's Response and Result, lists as members, timestamps in ISO 8601", () => {
  const xml = queryAnswer("cloudformation", "DescribeStacks", {
    Stacks: [{ StackName: "S", CreationTime: new Date(0), Outputs: [{ OutputKey: "A<B", OutputValue: "v" }] }],
    Absent: undefined,
  });
  expect(xml).toMatch(
    /^<DescribeStacksResponse xmlns="http:\/\/cloudformation\.amazonaws\.com\/doc\/2010-05-15\/"><DescribeStacksResult>/,
  );
  expect(xml).toContain(
    "<Stacks><member><StackName>S</StackName><CreationTime>1970-01-01T00:00:00.000Z</CreationTime>" +
      "<Outputs><member><OutputKey>A&lt;B</OutputKey><OutputValue>v</OutputValue></member></Outputs></member></Stacks>",
  );
  expect(xml).not.toContain("Absent");
});

test("Lambda's REST routes are read as their operations, with the path's and the query's input", () => {
  const signed = { authorization: "AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/lambda/aws4_request" };
  const read = (method: string, url: string, body = "") => parseRequest(signed, url, Buffer.from(body), method);
  expect(read("GET", "/2015-03-31/functions/")).toMatchObject({ operation: "ListFunctions" });
  expect(read("GET", "/2015-03-31/functions/my-fn/configuration")).toMatchObject({
    operation: "GetFunctionConfiguration",
    json: { FunctionName: "my-fn" },
  });
  expect(read("GET", "/2015-03-31/event-source-mappings/?FunctionName=my-fn")).toMatchObject({
    operation: "ListEventSourceMappings",
    json: { FunctionName: "my-fn" },
  });
  expect(read("PUT", "/2015-03-31/event-source-mappings/u-1", '{"Enabled":false}')).toMatchObject({
    operation: "UpdateEventSourceMapping",
    json: { UUID: "u-1", Enabled: false },
  });
  expect(read("DELETE", "/2015-03-31/functions/my-fn")).toMatchObject({
    operation: "DELETE /2015-03-31/functions/my-fn",
  });
});

test("a template's text: JSON, or YAML with the intrinsic functions' short forms read as their long forms", () => {
  const yaml = [
    "Parameters:",
    "  Accounts: { Type: CommaDelimitedList, Default: '' }",
    "Resources:",
    "  Queue:",
    "    Type: AWS::SQS::Queue",
    "    Properties:",
    `      QueueName: !Sub '\${AWS::StackName}-jobs'`,
    "      Tags: [{ Key: k, Value: !Join ['-', [a, !Ref Accounts]] }]",
    "      RedrivePolicy: { deadLetterTargetArn: !GetAtt Dlq.Arn }",
    "      DelaySeconds: !If [Slow, 5, !Ref AWS::NoValue]",
  ].join("\n");
  expect(readTemplateText(yaml).Resources.Queue?.Properties).toEqual({
    QueueName: { "Fn::Sub": `\${AWS::StackName}-jobs` },
    Tags: [{ Key: "k", Value: { "Fn::Join": ["-", ["a", { Ref: "Accounts" }]] } }],
    RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": ["Dlq", "Arn"] } },
    DelaySeconds: { "Fn::If": ["Slow", 5, { Ref: "AWS::NoValue" }] },
  });
  expect(readTemplateText('{"Resources":{"A":{"Type":"T"}}}').Resources.A?.Type).toBe("T");
  expect(() => readTemplateText("Description: none")).toThrow(/At least one Resources member/);
  expect(() => readTemplateText("{ not json")).toThrow(/Template format error/);
});

test("an S3 object's URL, as a change set names its template: path-style, virtual-hosted or s3://", () => {
  expect(s3Location("https://s3.us-east-1.amazonaws.com/cdk-assets/abc.json")).toEqual({
    bucket: "cdk-assets",
    key: "abc.json",
  });
  expect(s3Location("https://cdk-assets.s3.us-east-1.amazonaws.com/dir/abc.json")).toEqual({
    bucket: "cdk-assets",
    key: "dir/abc.json",
  });
  expect(s3Location("s3://cdk-assets/abc.json")).toEqual({ bucket: "cdk-assets", key: "abc.json" });
});
