import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { encode as encodeCbor } from "cbor2";
import type { Caller } from "../iam/policy.js";
import { type AwsRequest, param, type Service, type UnansweredCall } from "../iam/request.js";
import { escapeXml, queryAnswer } from "./query-xml.js";

// Answers in each service's own wire format: errors as the JSON protocols, the query protocol, S3
// and RPC v2 CBOR carry them, AccessDenied as each service words it, and the two services the
// local stack answers itself (Secrets Manager's GetSecretValue, CloudWatch).

/** Answers a Lambda call: its status, headers and body as the service sends them. */
export type LambdaHandler = (
  call: AwsRequest,
) => Promise<{ status: number; headers?: Record<string, string>; body: string | Buffer }>;

/** Answers an SNS operation: the XML of its answer; a thrown error with `code` and `status` is SNS's error. */
export type SnsHandler = (operation: string, form: URLSearchParams, caller: string) => Promise<string>;

/** An operation's output, and the status it is answered with (200 unless said). */
export interface ControlOutput {
  readonly status?: number;
  readonly output: Record<string, unknown>;
}

/**
 * Answers a control-plane operation (local/control); a thrown error with `code` and `status` is the
 * service's error, one with `notAnswered` says the operation is not answered.
 */
export type ControlHandler = (call: AwsRequest, caller: Caller) => Promise<ControlOutput>;

/** Answers a CloudWatch operation; a thrown error with `code` and `status` is the service's error. */
export type CloudWatchHandler = (operation: string, input: Record<string, unknown>) => Promise<unknown>;

const JSON_CONTENT: Record<Service, string> = {
  s3: "application/xml",
  dynamodb: "application/x-amz-json-1.0",
  kinesis: "application/x-amz-json-1.1",
  sqs: "application/x-amz-json-1.0",
  sns: "text/xml",
  secretsmanager: "application/x-amz-json-1.1",
  cloudwatch: "application/x-amz-json-1.0",
  lambda: "application/json",
  sts: "text/xml",
  cloudformation: "text/xml",
  iam: "text/xml",
  kms: "application/x-amz-json-1.1",
  logs: "application/x-amz-json-1.1",
  ssm: "application/x-amz-json-1.1",
};

/**
 * An error in the service's own wire format: JSON with `__type` for the JSON protocols (SQS's also
 * carries the query error code in a header), the query protocol's ErrorResponse XML otherwise.
 */
export function sendError(
  res: ServerResponse<IncomingMessage>,
  call: AwsRequest | undefined,
  status: number,
  code: string,
  message: string,
  queryCode = code,
  /** How the service spells the message's key in JSON: most `message`; coral's validation errors `Message`. */
  messageKey: "message" | "Message" = "message",
): void {
  if (call?.service === "s3") {
    // S3's REST errors: an <Error> document.
    res.writeHead(status, { "content-type": "application/xml" });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
        `<RequestId>${randomUUID()}</RequestId></Error>`,
    );
    return;
  }
  if (call?.protocol === "cbor") {
    cborError(res, status, code, message);
    return;
  }
  if (call?.json !== undefined) {
    const headers: Record<string, string> = { "content-type": JSON_CONTENT[call.service] };
    // SQS and CloudWatch speak JSON compatibly with their query protocol: the old code in a header.
    if (call.service === "sqs" || call.service === "cloudwatch") headers["x-amzn-query-error"] = `${queryCode};Sender`;
    res.writeHead(status, headers);
    res.end(JSON.stringify({ __type: code, [messageKey]: message }));
    return;
  }
  queryError(res, status, queryCode, message);
}

/** An error as Smithy RPC v2 CBOR carries it. */
function cborError(res: ServerResponse<IncomingMessage>, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor" });
  res.end(encodeCbor({ __type: code, message }));
}

/** An error as the query protocol carries it: an <ErrorResponse> document. */
function queryError(res: ServerResponse<IncomingMessage>, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "text/xml" });
  res.end(
    `<ErrorResponse><Error><Type>${status < 500 ? "Sender" : "Receiver"}</Type><Code>${code}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/**
 * A signed call to a service or operation the local stack does not answer: said by name, in the form
 * the caller reads errors in (400, so that no SDK retries it), with what is answered.
 */
export function sendNotAnswered(res: ServerResponse<IncomingMessage>, call: UnansweredCall): void {
  const message =
    `${call.service} ${call.operation} is not emulated by the local stack ` +
    "(the README's control-plane table lists what it answers)";
  if (call.protocol === "json") {
    res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ __type: "UnknownOperationException", message }));
  } else if (call.protocol === "cbor") cborError(res, 400, "UnknownOperationException", message);
  else queryError(res, 400, "InvalidAction", message);
}

/** AccessDeniedException as each service answers it (SNS calls it AuthorizationError). */
export function accessDenied(res: ServerResponse<IncomingMessage>, call: AwsRequest, message: string): void {
  const [status, code, queryCode] = {
    dynamodb: [400, "com.amazon.coral.service#AccessDeniedException", undefined],
    kinesis: [400, "AccessDeniedException", undefined],
    sqs: [403, "com.amazon.coral.service#AccessDeniedException", "AccessDenied"],
    sns: [403, "AuthorizationError", undefined],
    s3: [403, "AccessDenied", undefined],
    secretsmanager: [400, "AccessDeniedException", undefined],
    cloudwatch: [403, "AccessDenied", undefined],
    lambda: [403, "AccessDeniedException", undefined],
    sts: [403, "AccessDenied", undefined],
    cloudformation: [403, "AccessDenied", undefined],
    iam: [403, "AccessDenied", undefined],
    kms: [400, "AccessDeniedException", undefined],
    logs: [400, "AccessDeniedException", undefined],
    ssm: [400, "AccessDeniedException", undefined],
  }[call.service] as [number, string, string | undefined];
  sendError(res, call, status, code, message, queryCode ?? code);
}

/** The version every template secret has locally: the one its deployment wrote. */
const SECRET_VERSION = "00000000-0000-0000-0000-000000000001";

/**
 * Secrets Manager, answered from the template's secrets: GetSecretValue, DescribeSecret and
 * ListSecrets (every secret, in one page); nothing else of it is emulated.
 */
export function answerSecret(
  res: ServerResponse<IncomingMessage>,
  call: AwsRequest,
  secrets: ReadonlyMap<string, { arn: string; name: string; value: string }>,
): void {
  const describe = (secret: { arn: string; name: string }) => ({
    ARN: secret.arn,
    Name: secret.name,
    CreatedDate: 0,
    VersionIdsToStages: { [SECRET_VERSION]: ["AWSCURRENT"] },
  });
  const answer = (output: unknown) => {
    res.writeHead(200, { "content-type": JSON_CONTENT.secretsmanager });
    res.end(JSON.stringify(output));
  };
  if (call.operation === "ListSecrets") {
    answer({ SecretList: [...new Map([...secrets.values()].map((s) => [s.arn, s])).values()].map(describe) });
    return;
  }
  if (call.operation !== "GetSecretValue" && call.operation !== "DescribeSecret") {
    sendNotAnswered(res, { service: "secretsmanager", operation: call.operation, protocol: "json" });
    return;
  }
  const secret = secrets.get(param(call, "SecretId") ?? "");
  if (!secret) {
    sendError(res, call, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return;
  }
  if (call.operation === "DescribeSecret") {
    answer(describe(secret));
    return;
  }
  answer({
    ARN: secret.arn,
    Name: secret.name,
    SecretString: secret.value,
    VersionId: SECRET_VERSION,
    VersionStages: ["AWSCURRENT"],
    CreatedDate: 0,
  });
}

/** Lambda's Invoke, answered by the function hosts; nothing else of Lambda's API is emulated. */
export async function answerLambda(
  res: ServerResponse<IncomingMessage>,
  call: AwsRequest,
  handler: LambdaHandler | undefined,
): Promise<void> {
  if (call.operation !== "Invoke" || handler === undefined) {
    sendError(res, call, 400, "InvalidRequestContentException", `${call.operation} is not emulated by the local stack`);
    return;
  }
  try {
    const answer = await handler(call);
    res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    res.end(answer.body);
  } catch (err) {
    // Lambda's REST errors: the type in a header, {Type, Message} in the body.
    const e = err as Error & { code?: string; status?: number };
    const status = e.status ?? 500;
    res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": e.code ?? "ServiceException" });
    res.end(JSON.stringify({ Type: status < 500 ? "User" : "Service", Message: e.message }));
  }
}

/**
 * A control-plane operation, answered in the protocol its service speaks: the query protocol's XML
 * (STS, CloudFormation, IAM), or JSON with epoch-second timestamps (KMS, Logs, SSM and Secrets
 * Manager's JSON 1.1, Lambda's REST JSON).
 */
export function answerControl(
  res: ServerResponse<IncomingMessage>,
  call: AwsRequest,
  handler: ControlHandler,
  caller: Caller,
): void {
  handler(call, caller).then(
    ({ status = 200, output }) => {
      const body =
        call.form !== undefined
          ? queryAnswer(call.service, call.operation, output)
          : JSON.stringify(epochSeconds(output));
      res.writeHead(status, { "content-type": JSON_CONTENT[call.service] });
      res.end(body);
    },
    (err: { code?: string; status?: number; message?: string; notAnswered?: boolean }) => {
      if (err.notAnswered) {
        const protocol = call.form !== undefined ? "query" : call.protocol === "cbor" ? "cbor" : "json";
        sendNotAnswered(res, { service: call.service, operation: call.operation, protocol });
        return;
      }
      if (call.service === "lambda") {
        // Lambda's REST errors: the type in a header, {Type, Message} in the body.
        const status = err.status ?? 500;
        res.writeHead(status, {
          "content-type": "application/json",
          "x-amzn-errortype": err.code ?? "ServiceException",
        });
        res.end(JSON.stringify({ Type: status < 500 ? "User" : "Service", message: err.message }));
        return;
      }
      sendError(res, call, err.status ?? 500, err.code ?? "InternalFailure", err.message ?? String(err));
    },
  );
}

/** SNS's operations, in its query protocol: XML, errors as SNS writes them. */
export function answerSns(
  res: ServerResponse<IncomingMessage>,
  call: AwsRequest,
  handler: SnsHandler,
  caller: string,
  observe?: (status: number, answer: string) => void,
): void {
  handler(call.operation, call.form ?? new URLSearchParams(), caller).then(
    (xml) => {
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(xml);
      observe?.(200, xml);
    },
    (err: { code?: string; status?: number; message?: string }) => {
      const status = err.status ?? 500;
      sendError(res, call, status, err.code ?? "InternalFailure", err.message ?? String(err));
      observe?.(status, err.message ?? String(err));
    },
  );
}

/** CloudWatch's operations in the protocol the client spoke: RPC v2 CBOR or JSON 1.0. */
export function answerCloudWatch(
  res: ServerResponse<IncomingMessage>,
  call: AwsRequest,
  handler: CloudWatchHandler | undefined,
) {
  if (handler === undefined || call.json === undefined) {
    sendError(res, call, 400, "InvalidAction", "CloudWatch is answered over JSON 1.0 or RPC v2 CBOR only");
    return;
  }
  handler(call.operation, call.json).then(
    (output) => {
      if (call.protocol === "cbor") {
        res.writeHead(200, { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor" });
        res.end(encodeCbor(output));
      } else {
        res.writeHead(200, { "content-type": JSON_CONTENT.cloudwatch });
        res.end(JSON.stringify(epochSeconds(output)));
      }
    },
    (err: {
      code?: string;
      status?: number;
      message?: string;
      queryCode?: string;
      messageKey?: "message" | "Message";
    }) =>
      sendError(
        res,
        call,
        err.status ?? 500,
        err.code ?? "InternalFailure",
        err.message ?? String(err),
        err.queryCode,
        err.messageKey,
      ),
  );
}

/** JSON 1.0 carries a timestamp as epoch seconds. */
function epochSeconds(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(epochSeconds);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, epochSeconds(v)]));
  }
  return value;
}

/** The body an injected fault is answered with, as the metrics read it. */
export function faultBody(call: AwsRequest, fault: "throttle" | "error"): string {
  if (fault === "error") return JSON.stringify({ __type: "InternalFailure" });
  return JSON.stringify({ __type: call.json !== undefined ? "ThrottlingException" : "Throttling" });
}

export function injected(res: ServerResponse<IncomingMessage>, call: AwsRequest, fault: "throttle" | "error"): void {
  if (fault === "throttle") {
    const code = call.json !== undefined ? "ThrottlingException" : "Throttling";
    sendError(res, call, 400, code, "injected throttle");
  } else {
    sendError(res, call, 500, "InternalFailure", `injected ${fault}`);
  }
}

/** The SQS emulator knows a queue by its own URL: a request naming the gateway's URL is rewritten to it. */
export function withEmulatorQueueUrl(call: AwsRequest, body: Buffer, prefix: string): Buffer {
  const url = param(call, "QueueUrl");
  // Not a URL (empty, a bare name): passed on as it is, for SQS to answer as it does.
  if (url === undefined || !URL.canParse(url)) return body;
  const canonical = `${prefix}${new URL(url).pathname}`;
  if (call.json !== undefined) return Buffer.from(JSON.stringify({ ...call.json, QueueUrl: canonical }));
  const form = new URLSearchParams(body.toString("utf8"));
  if (!form.has("QueueUrl")) return body;
  form.set("QueueUrl", canonical);
  return Buffer.from(form.toString());
}
