import { randomUUID } from "node:crypto";
import { functionReference } from "../cloudformation/assembly.js";
import type { LambdaHandler } from "../gateway/gateway.js";
import { param } from "../iam/request.js";
import { type AsyncTarget, invokeAsync } from "./async-invoke.js";
import type { FunctionHost } from "./function-host.js";
import { invokeWithLogs } from "./invoke.js";

// Lambda's Invoke on the local endpoint (`aws lambda invoke`, a function invoking another through the
// SDK), answered as Lambda answers it: RequestResponse with the function's result — a function error
// as status 200 with X-Amz-Function-Error: Unhandled and the error document — and, for LogType Tail,
// the end of its log in X-Amz-Log-Result; Event accepted with 202 and run asynchronously
// (async-invoke.ts); DryRun 204. IAM has decided the call before it gets here.
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html

/** Lambda's Tail: the last 4 KB of the invocation's log. */
const TAIL_BYTES = 4096;

class LambdaError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export function lambdaInvokeApi(
  target: (
    functionName: string,
  ) => { host: FunctionHost; async: (qualifier: string | undefined) => AsyncTarget } | undefined,
  where: { region: string; account: string },
): LambdaHandler {
  return async (call) => {
    const named = functionReference(param(call, "FunctionName") ?? "");
    const qualifier = param(call, "Qualifier") ?? named.qualifier;
    const found = target(named.name);
    if (!found) {
      const arn = `arn:aws:lambda:${where.region}:${where.account}:function:${named.name}:${qualifier ?? "$LATEST"}`;
      throw new LambdaError("ResourceNotFoundException", `Function not found: ${arn}`, 404);
    }
    const text = param(call, "Payload") ?? "";
    let event: unknown;
    try {
      event = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      throw new LambdaError("InvalidRequestContentException", "Could not parse request body into json", 400);
    }
    const version = { "X-Amz-Executed-Version": qualifier === undefined ? "$LATEST" : "1" };
    switch (param(call, "InvocationType")) {
      case "DryRun":
        return { status: 204, headers: version, body: "" };
      case "Event": {
        const requestId = randomUUID();
        void invokeAsync(found.async(qualifier), event, requestId);
        return { status: 202, headers: { "x-amzn-RequestId": requestId }, body: "" };
      }
      case "RequestResponse":
      case undefined:
        break;
      default:
        throw new LambdaError("InvalidParameterValueException", "Invalid InvocationType", 400);
    }
    const { invocation, logs } = await invokeWithLogs(found.host, event, qualifier);
    const headers: Record<string, string> = { ...version };
    if (param(call, "LogType") === "Tail") {
      const tail = Buffer.from(logs.join("\n")).subarray(-TAIL_BYTES);
      headers["X-Amz-Log-Result"] = tail.toString("base64");
    }
    if (invocation.kind === "error") {
      headers["X-Amz-Function-Error"] = "Unhandled";
      const body = {
        errorType: invocation.errorType,
        errorMessage: invocation.errorMessage,
        ...(invocation.trace ? { trace: invocation.trace } : {}),
      };
      return { status: 200, headers, body: JSON.stringify(body) };
    }
    return { status: 200, headers, body: JSON.stringify(invocation.payload ?? null) };
  };
}
