import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "./random.js";

// A proxy in front of an emulator that makes a chosen share of calls fail the ways AWS calls
// fail, without a line of handler code knowing: throttled, a server error, or — the nasty one —
// the call takes effect and the caller is told it failed (a crash or timeout right after a
// successful write). For the reliability tests; handlers are pointed at it through the SDK's own
// AWS_ENDPOINT_URL_<SERVICE> variables.

export type Fault = "throttle" | "error" | "after";

export interface FaultPlan {
  /** Share of matching calls that fail, 0–1. */
  readonly rate: number;
  readonly faults: readonly Fault[];
  /** Which operations may fail (e.g. "PutItem", "SendMessageBatch"); all when absent. */
  readonly operations?: readonly string[];
  readonly seed?: number;
}

export interface FaultStats {
  forwarded: number;
  injected: Record<Fault, number>;
  /** Calls per operation (PutItem, SendMessageBatch, …), failed ones included. */
  operations: Record<string, number>;
  /** DynamoDB capacity units the calls consumed, as the table reports them. */
  capacity: { read: number; write: number };
}

const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]);
const READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan"]);

export interface FaultProxy {
  readonly url: string;
  readonly stats: FaultStats;
  setPlan(plan: FaultPlan | undefined): void;
  stop(): Promise<void>;
}

function operationOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return target.slice(target.lastIndexOf(".") + 1);
  const action = /(?:^|&)Action=([^&]+)/.exec(body.toString("utf8"));
  return action?.[1] ?? "unknown";
}

function errorResponse(res: ServerResponse, req: IncomingMessage, fault: Fault): void {
  const json = typeof req.headers["x-amz-target"] === "string";
  const throttle = fault === "throttle";
  const status = throttle ? 400 : 500;
  const code = throttle ? "ThrottlingException" : "InternalFailure";
  if (json) {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-query-error": `${code};Sender` });
    res.end(JSON.stringify({ __type: code, message: `injected ${fault}` }));
  } else {
    res.writeHead(status, { "content-type": "text/xml" });
    res.end(
      `<ErrorResponse><Error><Type>${throttle ? "Sender" : "Receiver"}</Type><Code>${throttle ? "Throttling" : code}</Code>` +
        `<Message>injected ${fault}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`,
    );
  }
}

export async function startFaultProxy(target: string, initial?: FaultPlan): Promise<FaultProxy> {
  const upstream = new URL(target);
  let plan = initial;
  let next = seededRandom(plan?.seed ?? 42);
  const stats: FaultStats = {
    forwarded: 0,
    injected: { throttle: 0, error: 0, after: 0 },
    operations: {},
    capacity: { read: 0, write: 0 },
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      const operation = operationOf(req, body);
      stats.operations[operation] = (stats.operations[operation] ?? 0) + 1;
      const metered = WRITES.has(operation) || READS.has(operation);
      if (metered) {
        // Ask DynamoDB what the call cost; the caller never sees the difference.
        body = Buffer.from(JSON.stringify({ ...JSON.parse(body.toString("utf8")), ReturnConsumedCapacity: "TOTAL" }));
      }
      let fault: Fault | undefined;
      if (plan && (!plan.operations || plan.operations.includes(operation)) && next() < plan.rate) {
        fault = plan.faults[Math.floor(next() * plan.faults.length)];
      }
      if (fault === "throttle" || fault === "error") {
        stats.injected[fault]++;
        errorResponse(res, req, fault);
        return;
      }
      const forward = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host, "content-length": String(body.length) },
        },
        (upstreamRes) => {
          if (fault === "after") {
            // The call took effect upstream; the caller hears it failed.
            upstreamRes.resume();
            upstreamRes.on("end", () => {
              stats.injected.after++;
              errorResponse(res, req, "error");
            });
            return;
          }
          stats.forwarded++;
          if (!metered) {
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            upstreamRes.pipe(res);
            return;
          }
          const parts: Buffer[] = [];
          upstreamRes.on("data", (chunk: Buffer) => parts.push(chunk));
          upstreamRes.on("end", () => {
            const answer = Buffer.concat(parts);
            try {
              const consumed = (JSON.parse(answer.toString("utf8")) as { ConsumedCapacity?: unknown }).ConsumedCapacity;
              const units = [consumed ?? []].flat() as { CapacityUnits?: number }[];
              const total = units.reduce((sum, u) => sum + (u.CapacityUnits ?? 0), 0);
              if (WRITES.has(operation)) stats.capacity.write += total;
              else stats.capacity.read += total;
            } catch {
              // not JSON: an error page; nothing consumed
            }
            const headers = { ...upstreamRes.headers };
            delete headers["content-length"];
            res.writeHead(upstreamRes.statusCode ?? 502, { ...headers, "content-length": String(answer.length) });
            res.end(answer);
          });
        },
      );
      forward.on("error", (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setPlan(p) {
      plan = p;
      next = seededRandom(p?.seed ?? 42);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
