import type { IncomingHttpHeaders } from "node:http";
import { decode as decodeCbor } from "cbor2";
import { functionReference, stackArn } from "../cloudformation/assembly.js";

// What an AWS API request asks for, read off the wire as the service reads it: which service
// (from the SigV4 credential scope), which operation (X-Amz-Target or the query Action), whose
// credentials, and which resources it names (ARNs, as IAM matches them) — the inputs of an IAM decision.

/** The services an emulator answers (the gateway forwards their calls). */
export const EMULATED_SERVICES = ["kinesis", "dynamodb", "sqs", "sns", "s3"] as const;
export type EmulatedService = (typeof EMULATED_SERVICES)[number];
/**
 * The services the local stack answers itself: CloudWatch and Lambda from what runs, the control
 * plane (local/control) from what is deployed.
 */
export const ANSWERED_SERVICES = [
  "secretsmanager",
  "cloudwatch",
  "lambda",
  "sts",
  "cloudformation",
  "iam",
  "kms",
  "logs",
  "ssm",
] as const;
export type Service = EmulatedService | (typeof ANSWERED_SERVICES)[number];
export const SERVICES: readonly Service[] = [...EMULATED_SERVICES, ...ANSWERED_SERVICES];

/** Services whose SigV4 signing name is not their IAM prefix. */
const SIGNING_NAMES: Readonly<Record<string, Service>> = { monitoring: "cloudwatch" };

export interface AwsRequest {
  readonly service: Service;
  readonly operation: string;
  readonly accessKeyId: string | undefined;
  /** JSON protocols (DynamoDB, Kinesis, SQS): the parsed body; query protocol: its parameters. */
  readonly json: Record<string, unknown> | undefined;
  readonly form: URLSearchParams | undefined;
  /** Smithy RPC v2 CBOR (the AWS CLI's CloudWatch): `json` holds the decoded body. */
  readonly protocol?: "cbor";
  /** S3 (REST): the bucket and key the path names (path-style). */
  readonly bucket?: string;
  readonly key?: string;
  /** S3: the query string (its s3:prefix, s3:delimiter, … condition keys). */
  readonly query?: URLSearchParams;
}

const TARGET_PREFIX: Record<string, Service> = {
  Kinesis_20131202: "kinesis",
  DynamoDB_20120810: "dynamodb",
  AmazonSQS: "sqs",
  secretsmanager: "secretsmanager",
  GraniteServiceVersion20100801: "cloudwatch",
  Logs_20140328: "logs",
  TrentService: "kms",
  AmazonSSM: "ssm",
};

/** A signed call's access key and credential scope's service (its SigV4 signing name), from the header or a presigned URL. */
function signedBy(headers: IncomingHttpHeaders, query: URLSearchParams): { accessKeyId?: string; scope?: string } {
  const auth = typeof headers.authorization === "string" ? headers.authorization : "";
  const credential = /Credential=([^,\s]+)/.exec(auth)?.[1] ?? query.get("X-Amz-Credential") ?? undefined;
  const [accessKeyId, , , scope] = credential?.split("/") ?? [];
  return { ...(accessKeyId === undefined ? {} : { accessKeyId }), ...(scope === undefined ? {} : { scope }) };
}

/** A signed call the local stack does not answer, named as its caller named it, and how the caller reads an error. */
export interface UnansweredCall {
  readonly service: string;
  readonly operation: string;
  readonly protocol: "json" | "cbor" | "query";
}

/**
 * Names a signed call that {@link parseRequest} does not take (a service not emulated: STS, IAM, KMS,
 * Logs, …): its service by the credential scope, its operation by X-Amz-Target, the RPC path, the
 * query Action, or the REST method and path. Undefined for a request that is not signed at all.
 */
export function unansweredCall(
  headers: IncomingHttpHeaders,
  url: string,
  body: Buffer,
  method = "POST",
): UnansweredCall | undefined {
  const parsed = new URL(url, "http://gateway");
  const { scope } = signedBy(headers, parsed.searchParams);
  if (scope === undefined) return undefined;
  const target = headers["x-amz-target"];
  if (typeof target === "string")
    return { service: scope, operation: target.split(".").at(-1) ?? target, protocol: "json" };
  const rpc = /^\/service\/[^/]+\/operation\/([^/?]+)/.exec(parsed.pathname);
  if (rpc?.[1]) return { service: scope, operation: rpc[1], protocol: "cbor" };
  const action = new URLSearchParams(body.toString("utf8")).get("Action") ?? parsed.searchParams.get("Action");
  return { service: scope, operation: action ?? `${method} ${parsed.pathname}`, protocol: "query" };
}

/** Reads the service, operation and credentials of a request; undefined when it is not an AWS call. */
export function parseRequest(
  headers: IncomingHttpHeaders,
  url: string,
  body: Buffer,
  method = "POST",
): AwsRequest | undefined {
  const query = new URL(url, "http://gateway").searchParams;
  const { accessKeyId, scope } = signedBy(headers, query);
  const target = typeof headers["x-amz-target"] === "string" ? headers["x-amz-target"] : undefined;
  let service = SERVICES.find((s) => s === scope) ?? SIGNING_NAMES[scope ?? ""];
  if (service === "s3") return s3Request(headers, url, method, accessKeyId);
  if (service === "lambda") return lambdaRequest(headers, url, body, accessKeyId, method);
  const rpc = /^\/service\/([^/]+)\/operation\/([^/?]+)/.exec(url);
  if (rpc && headers["smithy-protocol"] === "rpc-v2-cbor") {
    service ??= TARGET_PREFIX[rpc[1] ?? ""];
    if (service === undefined) return undefined;
    let json: Record<string, unknown> | undefined;
    try {
      json = body.length > 0 ? (decodeCbor(body) as Record<string, unknown>) : {};
    } catch {
      json = undefined;
    }
    return { service, operation: rpc[2] as string, accessKeyId, json, form: undefined, protocol: "cbor" };
  }
  if (target !== undefined) {
    const [prefix, operation] = target.split(".");
    service ??= TARGET_PREFIX[prefix ?? ""];
    if (service === undefined || operation === undefined) return undefined;
    let json: Record<string, unknown> | undefined;
    try {
      json = body.length > 0 ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
    } catch {
      json = undefined;
    }
    return { service, operation, accessKeyId, json, form: undefined };
  }
  const form = new URLSearchParams(body.toString("utf8"));
  for (const [k, v] of query) if (!form.has(k)) form.set(k, v);
  const operation = form.get("Action");
  if (service === undefined || operation === null) return undefined;
  return { service, operation, accessKeyId, json: undefined, form };
}

/**
 * An S3 REST call (path-style: /bucket/key?subresource), named by the operation it is and the
 * IAM action it is authorized as.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 */
function s3Request(
  headers: IncomingHttpHeaders,
  url: string,
  method: string,
  accessKeyId: string | undefined,
): AwsRequest {
  const parsed = new URL(url, "http://gateway");
  const [bucket = "", ...rest] = parsed.pathname.slice(1).split("/");
  const key = rest.length > 0 ? decodeURIComponent(rest.join("/")) : undefined;
  const q = parsed.searchParams;
  let operation: string;
  if (bucket === "") operation = "ListBuckets";
  else if (key === undefined || key === "") {
    operation = q.has("delete")
      ? "DeleteObjects"
      : ({ PUT: "CreateBucket", DELETE: "DeleteBucket", HEAD: "HeadBucket" }[method] ?? "ListObjectsV2");
  } else {
    operation =
      { PUT: headers["x-amz-copy-source"] ? "CopyObject" : "PutObject", DELETE: "DeleteObject", HEAD: "HeadObject" }[
        method
      ] ?? "GetObject";
  }
  return { service: "s3", operation, accessKeyId, json: undefined, form: undefined, bucket, key, query: q };
}

/**
 * Lambda's REST operations the local stack answers besides Invoke: method, path (its parameters
 * named as the operation's input names them), operation.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html
 */
const LAMBDA_ROUTES: readonly (readonly [
  method: string,
  path: RegExp,
  operation: string,
  params: readonly string[],
])[] = [
  ["GET", /^\/2015-03-31\/functions\/?$/, "ListFunctions", []],
  ["GET", /^\/2015-03-31\/functions\/([^/]+)$/, "GetFunction", ["FunctionName"]],
  ["GET", /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, "GetFunctionConfiguration", ["FunctionName"]],
  ["GET", /^\/2015-03-31\/functions\/([^/]+)\/versions$/, "ListVersionsByFunction", ["FunctionName"]],
  ["GET", /^\/2015-03-31\/functions\/([^/]+)\/aliases$/, "ListAliases", ["FunctionName"]],
  ["GET", /^\/2015-03-31\/event-source-mappings\/?$/, "ListEventSourceMappings", []],
  ["GET", /^\/2015-03-31\/event-source-mappings\/([^/]+)$/, "GetEventSourceMapping", ["UUID"]],
  ["PUT", /^\/2015-03-31\/event-source-mappings\/([^/]+)$/, "UpdateEventSourceMapping", ["UUID"]],
];

/**
 * A Lambda REST call. Invoke (POST /2015-03-31/functions/NAME/invocations) is read into `json`:
 * FunctionName, Qualifier, InvocationType and LogType (headers), Payload (the body, as text). The
 * other operations answered (LAMBDA_ROUTES) take their input from the path, the query string and a
 * JSON body; any other call is named by its method and path (answered as not emulated).
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
function lambdaRequest(
  headers: IncomingHttpHeaders,
  url: string,
  body: Buffer,
  accessKeyId: string | undefined,
  method: string,
): AwsRequest {
  const parsed = new URL(url, "http://gateway");
  const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(parsed.pathname);
  if (!invoke) {
    for (const [routeMethod, path, operation, names] of LAMBDA_ROUTES) {
      const match = routeMethod === method ? path.exec(parsed.pathname) : null;
      if (!match) continue;
      let input: Record<string, unknown> = {};
      try {
        input = body.length > 0 ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
      } catch {
        input = {};
      }
      for (const [k, v] of parsed.searchParams) input[k] = v;
      names.forEach((name, i) => {
        input[name] = decodeURIComponent(match[i + 1] ?? "");
      });
      return { service: "lambda", operation, accessKeyId, json: input, form: undefined };
    }
    return { service: "lambda", operation: `${method} ${parsed.pathname}`, accessKeyId, json: {}, form: undefined };
  }
  const header = (name: string) => (typeof headers[name] === "string" ? (headers[name] as string) : undefined);
  const qualifier = parsed.searchParams.get("Qualifier");
  return {
    service: "lambda",
    operation: "Invoke",
    accessKeyId,
    json: {
      FunctionName: decodeURIComponent(invoke[1] ?? ""),
      ...(qualifier ? { Qualifier: qualifier } : {}),
      InvocationType: header("x-amz-invocation-type") ?? "RequestResponse",
      ...(header("x-amz-log-type") ? { LogType: header("x-amz-log-type") } : {}),
      Payload: body.toString("utf8"),
    },
    form: undefined,
  };
}

/** A parameter of the request, whichever protocol carries it. */
export function param(request: AwsRequest, name: string): string | undefined {
  const value = request.json?.[name] ?? request.form?.get(name) ?? undefined;
  return typeof value === "string" ? value : undefined;
}

/** A queue attribute a CreateQueue or SetQueueAttributes call sets (JSON `Attributes`, or the query's `Attribute.N.Name`). */
export function queueAttribute(request: AwsRequest, name: string): string | undefined {
  const attributes = request.json?.Attributes;
  if (attributes && typeof attributes === "object") {
    const value = (attributes as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  }
  for (const [key, value] of request.form ?? []) {
    const n = /^Attribute\.(\d+)\.Name$/.exec(key)?.[1];
    if (n !== undefined && value === name) return request.form?.get(`Attribute.${n}.Value`) ?? "";
  }
  return undefined;
}

/**
 * The IAM action a call is authorized as. Most operations are their own action; SQS's batch calls
 * are authorized as the single call and SNS's PublishBatch as Publish.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
 */
export function iamAction(request: AwsRequest): string {
  const { service, operation } = request;
  if (service === "sqs" && operation.endsWith("Batch")) return `sqs:${operation.slice(0, -"Batch".length)}`;
  if (service === "sns" && operation === "PublishBatch") return "sns:Publish";
  if (service === "s3") return `s3:${S3_ACTIONS[operation] ?? operation}`;
  if (service === "lambda" && operation === "Invoke") return "lambda:InvokeFunction";
  return `${service}:${operation}`;
}

/** S3 operations authorized as another action. */
const S3_ACTIONS: Readonly<Record<string, string>> = {
  ListObjectsV2: "ListBucket",
  HeadBucket: "ListBucket",
  HeadObject: "GetObject",
  CopyObject: "PutObject",
  DeleteObjects: "DeleteObject",
  ListBuckets: "ListAllMyBuckets",
};

/** What the gateway knows that a request's resources depend on. */
export interface ResourceNames {
  readonly region: string;
  readonly account: string;
  /** The stream a Kinesis shard iterator the gateway handed out reads. */
  streamOfIterator(iterator: string): string | undefined;
  /** A secret's ARN by its name or ARN. */
  secretArn(id: string): string | undefined;
  /** A KMS key's ARN by its id, ARN, alias name or alias ARN. */
  keyArn?(id: string): string | undefined;
}

/** The resources a call names, as IAM sees them (ARNs; "*" where a call names none). */
export function requestResources(req: AwsRequest, names: ResourceNames): string[] {
  const { region, account } = names;
  const streamArn = (name: string) => `arn:aws:kinesis:${region}:${account}:stream/${name}`;
  const tableArn = (name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
  const queueArn = (url: string) => `arn:aws:sqs:${region}:${account}:${url.slice(url.lastIndexOf("/") + 1)}`;

  const p = (name: string) => param(req, name);
  switch (req.service) {
    case "dynamodb": {
      const items = req.json?.RequestItems ?? req.json?.TransactItems;
      if (items && typeof items === "object" && !Array.isArray(items)) return Object.keys(items).map(tableArn);
      if (Array.isArray(items)) {
        return items.map((t) => {
          const op = Object.values(t as Record<string, { TableName?: string }>)[0];
          return tableArn(op?.TableName ?? "");
        });
      }
      const table = p("TableName");
      if (table === undefined) return ["*"];
      const index = p("IndexName");
      return [index === undefined ? tableArn(table) : `${tableArn(table)}/index/${index}`];
    }
    case "kinesis": {
      const arn = p("StreamARN") ?? (p("StreamName") ? streamArn(p("StreamName") as string) : undefined);
      if (arn !== undefined) return [arn];
      const iterator = p("ShardIterator");
      return [(iterator && names.streamOfIterator(iterator)) || "*"];
    }
    case "sqs": {
      const url = p("QueueUrl");
      if (url !== undefined) return [queueArn(url)];
      const name = p("QueueName");
      return [name === undefined ? "*" : `arn:aws:sqs:${region}:${account}:${name}`];
    }
    case "sns":
      return [p("TopicArn") ?? p("TargetArn") ?? "*"];
    case "lambda": {
      // A name, an ARN or a partial one, qualified in the name or by Qualifier: the function's ARN as IAM matches it.
      const named = p("FunctionName");
      if (named === undefined) return ["*"];
      const { name, qualifier } = functionReference(named);
      const q = p("Qualifier") ?? qualifier;
      return [`arn:aws:lambda:${region}:${account}:function:${name}${q ? `:${q}` : ""}`];
    }
    case "s3":
      if (!req.bucket) return ["*"];
      return [
        req.key === undefined || req.key === ""
          ? `arn:aws:s3:::${req.bucket}`
          : `arn:aws:s3:::${req.bucket}/${req.key}`,
      ];
    case "cloudwatch": {
      const named = [req.json?.AlarmNames ?? req.json?.AlarmName ?? req.form?.get("AlarmName") ?? []].flat();
      const alarms = named.filter((n): n is string => typeof n === "string");
      return alarms.length === 0 ? ["*"] : alarms.map((n) => `arn:aws:cloudwatch:${region}:${account}:alarm:${n}`);
    }
    case "secretsmanager": {
      const id = p("SecretId");
      return [id === undefined ? "*" : (names.secretArn(id) ?? id)];
    }
    case "sts":
      return [p("RoleArn") ?? "*"];
    case "cloudformation": {
      const stack = p("StackName");
      if (stack === undefined) return ["*"];
      return [stack.startsWith("arn:") ? stack : stackArn(region, account, stack)];
    }
    case "iam": {
      const role = p("RoleName");
      return [role === undefined ? "*" : `arn:aws:iam::${account}:role/${role}`];
    }
    case "kms": {
      const id = p("KeyId") ?? p("TargetKeyId");
      return [id === undefined ? "*" : (names.keyArn?.(id) ?? id)];
    }
    case "logs": {
      const group = p("logGroupName");
      return [group === undefined ? "*" : `arn:aws:logs:${region}:${account}:log-group:${group}:*`];
    }
    case "ssm": {
      const named = [req.json?.Names ?? req.json?.Name ?? []].flat().filter((n): n is string => typeof n === "string");
      if (named.length === 0) return ["*"];
      return named.map((n) => `arn:aws:ssm:${region}:${account}:parameter${n.startsWith("/") ? n : `/${n}`}`);
    }
  }
}
