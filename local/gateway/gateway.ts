import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { ACCESS_REPORT_PATH } from "../contract.js";
import { Authorizer, type CallToDecide, type Refusal } from "../iam/authorizer.js";
import type { Arrival } from "../iam/context.js";
import { ADMIN_CREDENTIALS, type ClientConfig } from "../iam/credentials.js";
import { kmsRefusal } from "../iam/kms.js";
import { type Access, accessReport, type Caller, type FunctionAccess, type RoleIdentity } from "../iam/policy.js";
import {
  type AwsRequest,
  EMULATED_SERVICES,
  type EmulatedService,
  iamAction,
  parseRequest,
  queueAttribute,
  requestResources,
  unansweredCall,
} from "../iam/request.js";
import { type AccountPolicies, accountPolicies, withRuntimePolicies } from "../iam/resource-policies.js";
import { dynamodbAnswer, dynamodbRequest } from "./dynamodb-wire.js";
import { type Fault, FaultInjector, type FaultPlan } from "./faults.js";
import { kinesisAnswer } from "./kinesis-wire.js";
import { Meter } from "./metering.js";
import { type EndpointTls, trustingHandler } from "./tls.js";
import {
  accessDenied,
  answerCloudWatch,
  answerControl,
  answerLambda,
  answerSecret,
  answerSns,
  type CloudWatchHandler,
  type ControlHandler,
  faultBody,
  injected,
  type LambdaHandler,
  type SnsHandler,
  sendError,
  sendNotAnswered,
  withEmulatorQueueUrl,
} from "./wire.js";

export type { Access } from "../iam/policy.js";
export type { Fault, FaultPlan } from "./faults.js";
export type { CloudWatchHandler, ControlHandler, LambdaHandler, SnsHandler } from "./wire.js";

// One endpoint on loopback for every service, like LocalStack's 4566: each request is routed by its
// SigV4 credential scope to the emulator behind it (or to the local stack's own answers: Secrets
// Manager, CloudWatch, its pages). On the way it is what an account is to a function's call: the
// credentials name the function's role, and the role's identity policies from the template decide
// (IAM on by default; iam/ decides, wire.ts words the refusal as the service does). The calls are
// metered (metering.ts), reported (`observe`, for the metrics) and, for the reliability tests,
// faulted (faults.ts) — the handlers never know.

export interface GatewayStats {
  forwarded: number;
  injected: Record<Fault, number>;
  /** The functions' calls per service and operation ("dynamodb:PutItem", …), refused and failed ones included. */
  operations: Record<string, number>;
  /** DynamoDB capacity units the functions' calls consumed, as the table reports them. */
  capacity: { read: number; write: number };
}

export interface GatewayOptions {
  readonly region: string;
  readonly account: string;
  /** Fixed port (e.g. 4566); a free one when absent. */
  readonly port?: number;
  /** Enforce IAM: every call decided by the account's policies (default on). */
  readonly iam?: boolean;
  /** The endpoint's key and certificate: the port then speaks HTTPS as well as HTTP. */
  readonly tls?: EndpointTls;
  readonly onRefusal?: (access: Access) => void;
}

/** What answers behind the endpoint, connected once the emulators run ({@link Gateway.connect}). */
export interface GatewayServices {
  readonly upstreams: Record<EmulatedService, string>;
  /** Where the SQS emulator's own queue URLs start, rewritten to and from the gateway's. */
  readonly sqsUrlPrefix: string;
  /**
   * The access key each call to a service carries upstream, whoever made it: DynamoDB Local keeps a
   * database per access key, so every caller of this stack must reach the same one.
   */
  readonly upstreamAccessKeys?: Partial<Record<EmulatedService, string>>;
  /** CloudWatch's operations, answered by the local stack (the gateway speaks the client's protocol). */
  readonly cloudwatch?: CloudWatchHandler;
  /** SNS's operations, answered by the local stack (local/sns): the query form in, XML out. */
  readonly sns?: SnsHandler;
  /** A policy set through the API on a resource the local stack answers itself (a topic's Policy attribute). */
  readonly runtimePolicy?: (arn: string) => string | undefined;
  /** Every call to an AWS service, once answered: what it named and how it was answered (for metrics). */
  readonly observe?: (call: AwsRequest, resources: readonly string[], status: number, answer: string) => void;
}

export interface Gateway {
  /** The endpoint: https when the gateway has a certificate, as AWS's endpoints are. */
  readonly url: string;
  /** The same port over plain HTTP (aws:SecureTransport false: refused by TLS-only policies). */
  readonly plainUrl: string;
  /** The authority's certificate file the endpoint's certificate is signed by (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string | undefined;
  /** An SDK client's settings for the endpoint: its URL, trusting its authority, as someone (the administrator by default). */
  clientConfig(credentials?: ClientConfig["credentials"]): ClientConfig;
  /**
   * The services behind the endpoint. The gateway listens first, so that its address is known when
   * the assembly is read (queue URLs name it); until connected, AWS calls are answered 503.
   */
  connect(services: GatewayServices): void;
  /** The services go: calls are answered 503 again, and the connections to them are closed. */
  disconnect(): void;
  readonly port: number;
  readonly stats: GatewayStats;
  readonly accesses: Access[];
  /** Per function: what it used, what was refused, what its role grants that it never used. */
  report(): FunctionAccess[];
  /** Credentials that identify a function's role; anything else is the account's administrator. */
  addIdentity(accessKeyId: string, identity: RoleIdentity, options: { faults: boolean }): void;
  /** The account's resource and key policies, read from the deployment (watch mode replaces them). */
  setPolicies(policies: AccountPolicies): void;
  /** The account's policies now, with those set through the API since the start. */
  readonly policies: AccountPolicies;
  /**
   * A call a service makes for a resource (SNS delivering to a queue or a function, Lambda sending to a
   * destination), decided as every call is: the refusal when it is refused and IAM is enforced.
   */
  decide(call: CallToDecide): Refusal | undefined;
  setFaults(plan: FaultPlan | undefined): void;
  /** A secret of the template: the gateway answers GetSecretValue for it (no emulator has Secrets Manager). */
  addSecret(secret: { arn: string; name: string; value: string }): void;
  /** Lambda's Invoke, answered by the function hosts once they run. */
  setLambda(handler: LambdaHandler): void;
  /** The control plane (local/control): STS, CloudFormation, IAM, KMS, Logs, SSM and Lambda's other operations. */
  setControl(handler: ControlHandler): void;
  resetStats(): void;
  /** The local stack's own endpoints (unsigned, loopback only): POST <prefix><rest> answered by `route`. */
  addRoute(prefix: string, route: LocalRoute): void;
  /** The local stack's own pages (GET, unsigned, loopback only): GET <prefix><rest> answered by `page`. */
  addPage(prefix: string, page: LocalPage): void;
  stop(): Promise<void>;
}

export type LocalRoute = (rest: string, body: Buffer) => Promise<{ status: number; body: unknown }>;
export type LocalPage = (rest: string) => { status: number; contentType: string; body: string | Buffer };

const freshStats = (): Omit<GatewayStats, "capacity"> => ({
  forwarded: 0,
  injected: { throttle: 0, error: 0, after: 0, hang: 0 },
  operations: {},
});

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { region, account } = options;
  const identities = new Map<string, RoleIdentity>();
  const faultable = new Set<string>();
  const localRoutes = new Map<string, LocalRoute>();
  let lambda: LambdaHandler | undefined;
  let control: ControlHandler | undefined;
  const localPages = new Map<string, LocalPage>();
  const secrets = new Map<string, { arn: string; name: string; value: string }>(); // by ARN and by name
  const faults = new FaultInjector();
  let stats = freshStats();
  const meter = new Meter();
  let origin = "";
  let services: GatewayServices | undefined;
  // Connections to the emulators are kept alive, and closed when they are disconnected: an
  // emulator told to stop waits for its open connections (kinesis-mock for seconds).
  let upstreamAgent = new Agent({ keepAlive: true });

  // What a call names, as IAM sees it: the Kinesis iterators and the secrets this gateway knows help.
  const names = {
    region,
    account,
    streamOfIterator: (iterator: string) => meter.streamOfIterator(iterator),
    secretArn: (id: string) => secrets.get(id)?.arn,
    keyArn: (id: string) => policies.key(id)?.arn,
  };
  // Queue policies set through the API since the start (topic policies are the local SNS's own attributes).
  const queuePolicies = new Map<string, string>();
  const runtimePolicy = (arn: string): string | undefined =>
    arn.startsWith("arn:aws:sqs:") ? queuePolicies.get(arn) : services?.runtimePolicy?.(arn);
  const noteQueuePolicy = (call: AwsRequest, queue: string | undefined) => {
    if (queue === undefined) return;
    if (call.operation === "DeleteQueue") queuePolicies.delete(queue);
    if (call.operation !== "CreateQueue" && call.operation !== "SetQueueAttributes") return;
    const policy = queueAttribute(call, "Policy");
    if (policy !== undefined) queuePolicies.set(queue, policy);
  };
  let policies = withRuntimePolicies(accountPolicies([], region, account), runtimePolicy);
  const authorizer = new Authorizer(policies);
  const accesses = authorizer.accesses;
  /** The authorizer's decision; a refusal is returned (and reported) only when IAM is enforced. */
  const decide = (call: CallToDecide): Refusal | undefined => {
    const refusal = authorizer.decide(call);
    if (refusal === undefined || options.iam === false) return undefined;
    if (call.caller.kind !== "root") {
      const who = call.caller.kind === "role" ? call.caller.identity.functionName : call.caller.service;
      options.onRefusal?.({
        functionName: who,
        action: refusal.action,
        resource: refusal.resource,
        decision: refusal.decision,
        reason: refusal.reason,
      });
    }
    return refusal;
  };

  const report = () =>
    accessReport(new Map([...identities.values()].map((i) => [i.functionName, i])).values(), accesses);

  /** The local stack's own pages and endpoints; true when the request was one of them. */
  const answerLocal = (req: IncomingMessage, res: ServerResponse<IncomingMessage>, body: Buffer): boolean => {
    const url = req.url ?? "";
    if (req.method === "GET" && url === ACCESS_REPORT_PATH) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(report()));
      return true;
    }
    const page = req.method === "GET" ? [...localPages].find(([prefix]) => url.startsWith(prefix)) : undefined;
    if (page) {
      const [prefix, answer] = page;
      try {
        const { status, contentType, body: content } = answer(decodeURIComponent(url.slice(prefix.length)));
        res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
        res.end(content);
      } catch (err) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(err instanceof Error ? err.message : String(err));
      }
      return true;
    }
    const route = req.method === "POST" ? [...localRoutes].find(([prefix]) => url.startsWith(prefix)) : undefined;
    if (!route) return false;
    const [prefix, handle] = route;
    handle(decodeURIComponent(url.slice(prefix.length)), body).then(
      ({ status, body: answer }) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(answer));
      },
      (err: unknown) => {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
      },
    );
    return true;
  };

  /** Sends a call on to its emulator and its answer back (SQS's queue URLs rewritten both ways). */
  const forward = (
    req: IncomingMessage,
    res: ServerResponse<IncomingMessage>,
    call: AwsRequest,
    resources: readonly string[],
    body: Buffer,
    after: { fault: Fault | undefined; metered: boolean; byFunction: boolean },
    connected: GatewayServices,
  ) => {
    const upstream = new URL(connected.upstreams[call.service as EmulatedService]);
    const outgoing = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        agent: upstreamAgent,
        headers: {
          ...req.headers,
          ...upstreamAuthorization(
            req.headers.authorization,
            connected.upstreamAccessKeys?.[call.service as EmulatedService],
          ),
          host: upstream.host,
          "content-length": String(body.length),
        },
      },
      (upstreamRes) => {
        const parts: Buffer[] = [];
        upstreamRes.on("data", (chunk: Buffer) => parts.push(chunk));
        upstreamRes.on("end", () => {
          if (after.fault === "after") {
            // The call took effect upstream; the caller hears it failed (a crash right after a write).
            stats.injected.after++;
            injected(res, call, "error");
            return;
          }
          if (after.byFunction) stats.forwarded++;
          let answer: Buffer = Buffer.concat(parts);
          if (call.service === "sqs") {
            answer = Buffer.from(answer.toString("utf8").split(connected.sqsUrlPrefix).join(origin));
          }
          let status = upstreamRes.statusCode ?? 502;
          if (call.service === "dynamodb") {
            answer = Buffer.from(dynamodbAnswer(call.operation, call.json, status, answer.toString("utf8"), region));
          }
          if (call.service === "kinesis") {
            ({ status, body: answer } = kinesisAnswer(
              call.operation,
              status,
              answer,
              upstreamRes.headers["content-type"],
            ));
          }
          const text = answer.toString("utf8");
          meter.record(call, text, after.metered, resources[0] ?? "*");
          if (call.service === "sqs" && status < 300) noteQueuePolicy(call, resources[0]);
          connected.observe?.(call, resources, status, text);
          const headers = { ...upstreamRes.headers };
          delete headers["content-length"];
          res.writeHead(status, { ...headers, "content-length": String(answer.length) });
          res.end(answer);
        });
      },
    );
    outgoing.on("error", (err) => sendError(res, call, 502, "ServiceUnavailable", `${call.service}: ${err.message}`));
    outgoing.end(body);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse<IncomingMessage>) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      // One call the gateway cannot read is that call's error, never the whole stack's end.
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (err) {
        if (!res.headersSent) {
          sendError(
            res,
            undefined,
            500,
            "InternalFailure",
            `the local stack failed on this call: ${(err as Error).message}`,
          );
        } else res.destroy();
      }
    });
  };
  // One port for both, as LocalStack's 4566: a connection opening with a TLS handshake (0x16) is
  // HTTPS, any other HTTP. AWS's endpoints are HTTPS only; plain HTTP is kept for tools that
  // cannot be told to trust the local authority, and is what aws:SecureTransport false means.
  const plain = createServer(onRequest);
  const secure = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest) : undefined;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === 0x16 && secure ? secure : plain).emit("connection", socket);
      process.nextTick(() => socket.resume());
    });
  });

  /** One call: the local stack's own routes, or IAM, then the service's answer (local or an emulator's). */
  const handle = (req: IncomingMessage, res: ServerResponse<IncomingMessage>, received: Buffer) => {
    let body: Buffer = received;
    if (answerLocal(req, res, body)) return;
    let call = parseRequest(req.headers, req.url ?? "/", body, req.method);
    if (call === undefined) {
      const unanswered = unansweredCall(req.headers, req.url ?? "/", body, req.method);
      if (unanswered) sendNotAnswered(res, unanswered);
      else sendError(res, undefined, 400, "MissingAuthenticationToken", "Request is missing a SigV4 signature");
      return;
    }
    // DynamoDB Local's answers mended to DynamoDB's (dynamodb-wire.ts): what a request names, first.
    if (call.service === "dynamodb" && call.json !== undefined) {
      const mended = dynamodbRequest(call.operation, call.json);
      if (mended.refusal) {
        sendError(res, call, 400, mended.refusal.code, mended.refusal.message);
        return;
      }
      call = { ...call, json: mended.json };
      body = Buffer.from(JSON.stringify(mended.json));
    }
    const connected = services;
    if (connected === undefined) {
      sendError(res, call, 503, "ServiceUnavailable", "the local stack is starting; try again in a moment");
      return;
    }
    // What the call names, read once: before its answer is metered, which forgets a used shard iterator.
    const resources = requestResources(call, names);
    // IAM: a function's credentials are decided against its role; anyone else is the administrator.
    const identity = call.accessKeyId === undefined ? undefined : identities.get(call.accessKeyId);
    if (identity) {
      const op = `${call.service}:${call.operation}`;
      stats.operations[op] = (stats.operations[op] ?? 0) + 1;
    }
    const caller: Caller = identity ? { kind: "role", identity } : { kind: "root" };
    // GetCallerIdentity needs no permission: no policy can refuse it.
    // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
    const unrefusable = call.service === "sts" && call.operation === "GetCallerIdentity";
    const refused = unrefusable
      ? undefined
      : decide({
          caller,
          service: call.service,
          operation: call.operation,
          action: iamAction(call),
          resources,
          arrival: arrivalOf(req.socket),
          request: call,
        });
    if (refused) {
      if (refused.kms) {
        const { status, code, queryCode, message } = kmsRefusal(call.service, refused.message);
        sendError(res, call, status, code, message, queryCode ?? code);
      } else accessDenied(res, call, refused.message);
      return;
    }
    // The services the local stack answers itself.
    if (call.service === "secretsmanager") {
      answerSecret(res, call, secrets);
      return;
    }
    if (call.service === "cloudwatch") {
      answerCloudWatch(res, call, connected.cloudwatch);
      return;
    }
    if (call.service === "sns" && connected.sns) {
      const caller = identity
        ? `arn:aws:sts::${account}:assumed-role/${identity.roleName}/${identity.functionName}`
        : `arn:aws:iam::${account}:user/local-admin`; // the administrator as SNS names a caller (an IAM user, in the recorded answers)
      answerSns(res, call, connected.sns, caller, (status, answer) =>
        connected.observe?.(call, resources, status, answer),
      );
      return;
    }
    if (call.service === "lambda" && call.operation === "Invoke") {
      void answerLambda(res, call, lambda);
      return;
    }
    if (!isEmulated(call.service)) {
      if (control) answerControl(res, call, control, caller);
      else sendError(res, call, 503, "ServiceUnavailable", "the local stack is starting; try again in a moment");
      return;
    }
    const fault = faults.draw(call, faultable.has(call.accessKeyId ?? ""));
    if (fault === "hang") {
      // A call lost in the network: no answer until the caller gives up or the connection closes.
      stats.injected.hang++;
      return;
    }
    if (fault === "throttle" || fault === "error") {
      stats.injected[fault]++;
      injected(res, call, fault);
      connected.observe?.(call, resources, fault === "throttle" ? 400 : 500, faultBody(call, fault));
      return;
    }
    const metered = meter.metered(call, identity !== undefined);
    if (call.service === "sqs") body = withEmulatorQueueUrl(call, body, connected.sqsUrlPrefix);
    forward(
      req,
      res,
      call,
      resources,
      meter.prepare(call, body, metered),
      { fault, metered, byFunction: identity !== undefined },
      connected,
    );
  };
  // Keep-alive connections from many SDK clients: no per-request timeout on a local gateway.
  plain.keepAliveTimeout = 60_000;
  if (secure) secure.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const plainUrl = `http://127.0.0.1:${port}`;
  origin = secure ? `https://127.0.0.1:${port}` : plainUrl;
  return {
    url: origin,
    plainUrl,
    caFile: options.tls?.caFile,
    clientConfig: (credentials = ADMIN_CREDENTIALS) => ({
      region,
      endpoint: origin,
      credentials,
      ...(options.tls ? { requestHandler: trustingHandler(options.tls.ca) } : {}),
    }),
    port,
    connect(connected) {
      services = connected;
    },
    disconnect() {
      services = undefined;
      upstreamAgent.destroy();
      upstreamAgent = new Agent({ keepAlive: true });
    },
    get stats() {
      return { ...stats, capacity: meter.capacity };
    },
    accesses,
    report,
    addIdentity(key, identity, { faults: canFail }) {
      identities.set(key, identity);
      if (canFail) faultable.add(key);
    },
    get policies() {
      return policies;
    },
    setPolicies(deployed) {
      policies = withRuntimePolicies(deployed, runtimePolicy);
      authorizer.setPolicies(policies);
    },
    decide,
    addSecret(secret) {
      secrets.set(secret.arn, secret);
      secrets.set(secret.name, secret);
    },
    setLambda(handler) {
      lambda = handler;
    },
    setControl(handler) {
      control = handler;
    },
    setFaults(p) {
      faults.setPlan(p);
    },
    resetStats() {
      stats = freshStats();
      meter.capacity = { read: 0, write: 0 };
    },
    addRoute(prefix, route) {
      localRoutes.set(prefix, route);
    },
    addPage(prefix, page) {
      localPages.set(prefix, page);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        plain.closeAllConnections();
        secure?.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** How a call came: over TLS or not, and from where (aws:SecureTransport, aws:SourceIp). */
function arrivalOf(socket: Socket): Arrival {
  const address = socket.remoteAddress;
  return {
    secure: (socket as TLSSocket).encrypted === true,
    ...(address === undefined ? {} : { sourceIp: address }),
  };
}

/** The request's Authorization naming another access key (its signature is not checked upstream). */
function upstreamAuthorization(authorization: string | undefined, accessKey: string | undefined) {
  if (authorization === undefined || accessKey === undefined) return {};
  return { authorization: authorization.replace(/Credential=[^/]+\//, `Credential=${accessKey}/`) };
}

function isEmulated(service: string): service is EmulatedService {
  return (EMULATED_SERVICES as readonly string[]).includes(service);
}
