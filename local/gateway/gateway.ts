import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { encode as encodeCbor } from "cbor2";
import { ACCESS_REPORT_PATH } from "../contract.js";
import {
  type Access,
  accessReport,
  denialMessage,
  evaluate,
  type FunctionAccess,
  type RoleIdentity,
} from "../iam/policy.js";
import {
  type AwsRequest,
  type EmulatedService,
  iamAction,
  param,
  parseRequest,
  requestResources,
  type Service,
} from "../iam/request.js";

export type { Access } from "../iam/policy.js";

import { seededRandom } from "../../shared/random.js";

// One endpoint on loopback for every service, like LocalStack's 4566: each request is routed by its
// SigV4 credential scope to the emulator behind it and answered in that service's wire format.
// On the way it is what an account is to a function's call: the credentials name the function's
// role, and the role's identity policies from the template decide (IAM on by default); a refusal
// is the service's own AccessDenied error, worded as AWS words it. The same place meters calls
// (operations, DynamoDB capacity) and, for the reliability tests, injects faults into the
// functions' calls — the handlers never know.

/** throttle or error: refused at once; after: takes effect, the caller hears it failed; hang: never answered. */
export type Fault = "throttle" | "error" | "after" | "hang";

export interface FaultPlan {
  /** Share of matching calls that fail, 0–1. */
  readonly rate: number;
  readonly faults: readonly Fault[];
  /** Which operations may fail (e.g. "PutItem", "SendMessageBatch"); all when absent. */
  readonly operations?: readonly string[];
  readonly seed?: number;
}

export interface GatewayStats {
  forwarded: number;
  injected: Record<Fault, number>;
  /** The functions' calls per service and operation ("dynamodb:PutItem", …), refused and failed ones included. */
  operations: Record<string, number>;
  /** DynamoDB capacity units the functions' calls consumed, as the table reports them. */
  capacity: { read: number; write: number };
}

export interface GatewayOptions {
  readonly upstreams: Record<EmulatedService, string>;
  readonly region: string;
  readonly account: string;
  /** Fixed port (e.g. 4566); a free one when absent. */
  readonly port?: number;
  /** Enforce IAM for the functions' credentials (default on). */
  readonly iam?: boolean;
  /** Where the SQS emulator's own queue URLs start, rewritten to and from the gateway's. */
  readonly sqsUrlPrefix: string;
  readonly onRefusal?: (access: Access) => void;
  /** CloudWatch's operations, answered by the local stack (the gateway speaks the client's protocol). */
  readonly cloudwatch?: CloudWatchHandler;
  /** Every call to an AWS service, once answered: what it named and how it was answered (for metrics). */
  readonly observe?: (call: AwsRequest, resources: readonly string[], status: number, answer: string) => void;
}

/** Answers a CloudWatch operation; a thrown error with `code` and `status` is the service's error. */
export type CloudWatchHandler = (operation: string, input: Record<string, unknown>) => Promise<unknown>;

export interface Gateway {
  readonly url: string;
  readonly port: number;
  readonly stats: GatewayStats;
  readonly accesses: Access[];
  /** Per function: what it used, what was refused, what its role grants that it never used. */
  report(): FunctionAccess[];
  /** Credentials that identify a function's role; anything else is the account's administrator. */
  addIdentity(accessKeyId: string, identity: RoleIdentity, options: { faults: boolean }): void;
  setFaults(plan: FaultPlan | undefined): void;
  /** A secret of the template: the gateway answers GetSecretValue for it (no emulator has Secrets Manager). */
  addSecret(secret: { arn: string; name: string; value: string }): void;
  resetStats(): void;
  /** The local stack's own endpoints (unsigned, loopback only): POST <prefix><rest> answered by `route`. */
  addRoute(prefix: string, route: LocalRoute): void;
  /** The local stack's own pages (GET, unsigned, loopback only): GET <prefix><rest> answered by `page`. */
  addPage(prefix: string, page: LocalPage): void;
  stop(): Promise<void>;
}

export type LocalRoute = (rest: string, body: Buffer) => Promise<{ status: number; body: unknown }>;
export type LocalPage = (rest: string) => { status: number; contentType: string; body: string | Buffer };

const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]);
const READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan"]);

const freshStats = (): GatewayStats => ({
  forwarded: 0,
  injected: { throttle: 0, error: 0, after: 0, hang: 0 },
  operations: {},
  capacity: { read: 0, write: 0 },
});

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { region, account } = options;
  const identities = new Map<string, RoleIdentity>();
  const faultable = new Set<string>();
  const accesses: Access[] = [];
  const localRoutes = new Map<string, LocalRoute>();
  const localPages = new Map<string, LocalPage>();
  const seen = new Set<string>();
  const iterators = new Map<string, string>(); // Kinesis shard iterator → stream ARN
  const secrets = new Map<string, { arn: string; name: string; value: string }>(); // by ARN and by name
  let stats = freshStats();
  let plan: FaultPlan | undefined;
  let next = seededRandom(42);
  let origin = "";

  // What a call names, as IAM sees it: the Kinesis iterators and the secrets this gateway knows help.
  const names = {
    region,
    account,
    streamOfIterator: (iterator: string) => iterators.get(iterator),
    secretArn: (id: string) => secrets.get(id)?.arn,
  };
  const resourcesOf = (req: AwsRequest): string[] => requestResources(req, names);

  const decide = (req: AwsRequest, identity: RoleIdentity): Access | undefined => {
    const action = iamAction(req);
    let refused: Access | undefined;
    for (const resource of resourcesOf(req)) {
      const decision = evaluate(identity.statements, action, resource);
      const access = { functionName: identity.functionName, action, resource, decision };
      const key = JSON.stringify(access);
      if (!seen.has(key)) {
        seen.add(key);
        accesses.push(access);
      }
      if (decision !== "allowed") refused ??= access;
    }
    return refused;
  };

  const report = () =>
    accessReport(new Map([...identities.values()].map((i) => [i.functionName, i])).values(), accesses);

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method === "GET" && req.url === ACCESS_REPORT_PATH) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(report()));
        return;
      }
      const page = req.method === "GET" ? [...localPages].find(([prefix]) => req.url?.startsWith(prefix)) : undefined;
      if (page) {
        const [prefix, answer] = page;
        try {
          const {
            status,
            contentType,
            body: content,
          } = answer(decodeURIComponent((req.url ?? "").slice(prefix.length)));
          res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
          res.end(content);
        } catch (err) {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(err instanceof Error ? err.message : String(err));
        }
        return;
      }
      const local = [...localRoutes].find(([prefix]) => req.url?.startsWith(prefix));
      if (local && req.method === "POST") {
        const [prefix, route] = local;
        route(decodeURIComponent((req.url ?? "").slice(prefix.length)), Buffer.concat(chunks)).then(
          ({ status, body: answer }) => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(answer));
          },
          (err: unknown) => {
            res.writeHead(400, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
          },
        );
        return;
      }
      let body: Buffer = Buffer.concat(chunks);
      const call = parseRequest(req.headers, req.url ?? "/", body, req.method);
      if (call === undefined) {
        sendError(res, undefined, 400, "MissingAuthenticationToken", "Request is missing a SigV4 signature");
        return;
      }
      const identity = call.accessKeyId === undefined ? undefined : identities.get(call.accessKeyId);
      if (identity) {
        const op = `${call.service}:${call.operation}`;
        stats.operations[op] = (stats.operations[op] ?? 0) + 1;
        const refused = decide(call, identity);
        if (refused && options.iam !== false) {
          options.onRefusal?.(refused);
          accessDenied(res, call, denialMessage(identity, refused.action, refused.resource, refused.decision));
          return;
        }
      }
      if (call.service === "secretsmanager") {
        answerSecret(res, call, secrets);
        return;
      }
      if (call.service === "cloudwatch") {
        answerCloudWatch(res, call, options.cloudwatch);
        return;
      }
      let fault: Fault | undefined;
      // Faults hit the functions' own calls to DynamoDB, SQS and SNS, never the mapping's or the stream's.
      const canFail = faultable.has(call.accessKeyId ?? "") && call.service !== "kinesis";
      if (canFail && plan && (!plan.operations || plan.operations.includes(call.operation)) && next() < plan.rate) {
        fault = plan.faults[Math.floor(next() * plan.faults.length)];
      }
      if (fault === "hang") {
        // A call lost in the network: no answer until the caller gives up or the connection closes.
        stats.injected.hang++;
        return;
      }
      if (fault === "throttle" || fault === "error") {
        stats.injected[fault]++;
        injected(res, call, fault);
        options.observe?.(call, resourcesOf(call), fault === "throttle" ? 400 : 500, faultBody(call, fault));
        return;
      }
      const metered =
        identity !== undefined &&
        call.service === "dynamodb" &&
        (WRITES.has(call.operation) || READS.has(call.operation));
      if (call.service === "sqs") body = withEmulatorQueueUrl(call, body, options.sqsUrlPrefix);
      if (metered) {
        // Ask DynamoDB what the call cost; the caller never sees the difference.
        body = Buffer.from(JSON.stringify({ ...call.json, ReturnConsumedCapacity: "TOTAL" }));
      }
      const upstream = new URL(options.upstreams[call.service as EmulatedService]);
      const forward = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host, "content-length": String(body.length) },
        },
        (upstreamRes) => {
          const parts: Buffer[] = [];
          upstreamRes.on("data", (chunk: Buffer) => parts.push(chunk));
          upstreamRes.on("end", () => {
            if (fault === "after") {
              // The call took effect upstream; the caller hears it failed (a crash right after a write).
              stats.injected.after++;
              injected(res, call, "error");
              return;
            }
            if (identity) stats.forwarded++;
            let answer = Buffer.concat(parts);
            if (call.service === "sqs") {
              answer = Buffer.from(answer.toString("utf8").split(options.sqsUrlPrefix).join(origin));
            }
            if (metered || call.service === "kinesis") {
              try {
                const parsed = JSON.parse(answer.toString("utf8")) as Record<string, unknown>;
                if (metered) {
                  const units = [parsed.ConsumedCapacity ?? []].flat() as { CapacityUnits?: number }[];
                  const total = units.reduce((sum, u) => sum + (u.CapacityUnits ?? 0), 0);
                  if (WRITES.has(call.operation)) stats.capacity.write += total;
                  else stats.capacity.read += total;
                }
                if (call.service === "kinesis") {
                  const arn = resourcesOf(call)[0] ?? "*";
                  for (const key of ["ShardIterator", "NextShardIterator"]) {
                    if (typeof parsed[key] === "string") iterators.set(parsed[key] as string, arn);
                  }
                  const used = param(call, "ShardIterator");
                  if (used !== undefined) iterators.delete(used);
                }
              } catch {
                // not JSON: an error page; nothing consumed
              }
            }
            options.observe?.(call, resourcesOf(call), upstreamRes.statusCode ?? 502, answer.toString("utf8"));
            const headers = { ...upstreamRes.headers };
            delete headers["content-length"];
            res.writeHead(upstreamRes.statusCode ?? 502, { ...headers, "content-length": String(answer.length) });
            res.end(answer);
          });
        },
      );
      forward.on("error", (err) => sendError(res, call, 502, "ServiceUnavailable", `${call.service}: ${err.message}`));
      forward.end(body);
    });
  });
  // Keep-alive connections from many SDK clients: no per-request timeout on a local gateway.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    port,
    get stats() {
      return stats;
    },
    accesses,
    report,
    addIdentity(key, identity, { faults }) {
      identities.set(key, identity);
      if (faults) faultable.add(key);
    },
    addSecret(secret) {
      secrets.set(secret.arn, secret);
      secrets.set(secret.name, secret);
    },
    setFaults(p) {
      plan = p;
      next = seededRandom(p?.seed ?? 42);
    },
    resetStats() {
      stats = freshStats();
    },
    addRoute(prefix, route) {
      localRoutes.set(prefix, route);
    },
    addPage(prefix, page) {
      localPages.set(prefix, page);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const JSON_CONTENT: Record<Service, string> = {
  s3: "application/xml",
  dynamodb: "application/x-amz-json-1.0",
  kinesis: "application/x-amz-json-1.1",
  sqs: "application/x-amz-json-1.0",
  sns: "text/xml",
  secretsmanager: "application/x-amz-json-1.1",
  cloudwatch: "application/x-amz-json-1.0",
};

/**
 * An error in the service's own wire format: JSON with `__type` for the JSON protocols (SQS's also
 * carries the query error code in a header), the query protocol's ErrorResponse XML otherwise.
 */
function sendError(
  res: ServerResponse<IncomingMessage>,
  call: AwsRequest | undefined,
  status: number,
  code: string,
  message: string,
  queryCode = code,
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
    res.writeHead(status, { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor" });
    res.end(encodeCbor({ __type: code, message }));
    return;
  }
  if (call?.json !== undefined) {
    const headers: Record<string, string> = { "content-type": JSON_CONTENT[call.service] };
    // SQS and CloudWatch speak JSON compatibly with their query protocol: the old code in a header.
    if (call.service === "sqs" || call.service === "cloudwatch") headers["x-amzn-query-error"] = `${queryCode};Sender`;
    res.writeHead(status, headers);
    res.end(JSON.stringify({ __type: code, message, Message: message }));
    return;
  }
  res.writeHead(status, { "content-type": "text/xml" });
  res.end(
    `<ErrorResponse><Error><Type>${status < 500 ? "Sender" : "Receiver"}</Type><Code>${queryCode}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/** AccessDeniedException as each service answers it (SNS calls it AuthorizationError). */
function accessDenied(res: ServerResponse<IncomingMessage>, call: AwsRequest, message: string): void {
  const [status, code, queryCode] = {
    dynamodb: [400, "com.amazon.coral.service#AccessDeniedException", undefined],
    kinesis: [400, "AccessDeniedException", undefined],
    sqs: [403, "com.amazon.coral.service#AccessDeniedException", "AccessDenied"],
    sns: [403, "AuthorizationError", undefined],
    s3: [403, "AccessDenied", undefined],
    secretsmanager: [400, "AccessDeniedException", undefined],
    cloudwatch: [403, "AccessDenied", undefined],
  }[call.service] as [number, string, string | undefined];
  sendError(res, call, status, code, message, queryCode ?? code);
}

/** Secrets Manager's GetSecretValue, answered from the template's secrets; nothing else of it is emulated. */
function answerSecret(
  res: ServerResponse<IncomingMessage>,
  call: AwsRequest,
  secrets: ReadonlyMap<string, { arn: string; name: string; value: string }>,
): void {
  if (call.operation !== "GetSecretValue") {
    sendError(res, call, 400, "InvalidRequestException", `${call.operation} is not emulated by the local stack`);
    return;
  }
  const secret = secrets.get(param(call, "SecretId") ?? "");
  if (!secret) {
    sendError(res, call, 400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return;
  }
  res.writeHead(200, { "content-type": JSON_CONTENT.secretsmanager });
  res.end(
    JSON.stringify({
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: "00000000-0000-0000-0000-000000000001",
      VersionStages: ["AWSCURRENT"],
      CreatedDate: 0,
    }),
  );
}

/** CloudWatch's operations in the protocol the client spoke: RPC v2 CBOR or JSON 1.0. */
function answerCloudWatch(
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
    (err: { code?: string; status?: number; message?: string }) =>
      sendError(res, call, err.status ?? 500, err.code ?? "InternalFailure", err.message ?? String(err)),
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
function faultBody(call: AwsRequest, fault: "throttle" | "error"): string {
  if (fault === "error") return JSON.stringify({ __type: "InternalFailure" });
  return JSON.stringify({ __type: call.json !== undefined ? "ThrottlingException" : "Throttling" });
}

function injected(res: ServerResponse<IncomingMessage>, call: AwsRequest, fault: Fault): void {
  if (fault === "throttle") {
    const code = call.json !== undefined ? "ThrottlingException" : "Throttling";
    sendError(res, call, 400, code, "injected throttle");
  } else {
    sendError(res, call, 500, "InternalFailure", `injected ${fault}`);
  }
}

/** The SQS emulator knows a queue by its own URL: a request naming the gateway's URL is rewritten to it. */
function withEmulatorQueueUrl(call: AwsRequest, body: Buffer, prefix: string): Buffer {
  const url = param(call, "QueueUrl");
  if (url === undefined) return body;
  const canonical = `${prefix}${new URL(url).pathname}`;
  if (call.json !== undefined) return Buffer.from(JSON.stringify({ ...call.json, QueueUrl: canonical }));
  const form = new URLSearchParams(body.toString("utf8"));
  if (!form.has("QueueUrl")) return body;
  form.set("QueueUrl", canonical);
  return Buffer.from(form.toString());
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
