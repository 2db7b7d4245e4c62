import * as lambdaClient from "@aws-sdk/client-lambda";
import { InvokeCommand, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
import type { ParityContext, Scenario } from "../scenario.js";
import { answer, errorOf } from "./api.js";

// Lambda's Invoke, from LocalStack's lambda_/test_lambda.py and its snapshot: RequestResponse and
// Event answers, a function that returns nothing, a function that times out, and a function that is
// not there — the endpoint's Invoke answered by the local function hosts.

const FILE = "lambda_/test_lambda.snapshot.json";
const invoke = (ctx: ParityContext, input: lambdaClient.InvokeCommandInput) =>
  ctx.clients.lambda.send(new InvokeCommand(input));
const fn = (ctx: ParityContext, id: string) => ctx.fixture(id).functions[0] ?? "";

/** An Invoke's answer as boto3 keeps it after read_streams: the payload as text, or as JSON where the test snapshotted it so. */
function asRecorded(out: InvokeCommandOutput, payload: "text" | "json"): Record<string, unknown> {
  const { Payload, LogResult: _, ...rest } = answer(out);
  const text = Payload ? Buffer.from(Payload).toString("utf8") : "";
  return { ...rest, Payload: payload === "json" && text !== "" ? (JSON.parse(text) as unknown) : text };
}

export const LAMBDA_INVOKE_SCENARIOS: readonly Scenario[] = [
  {
    family: "lambda-invoke",
    name: "RequestResponse: the result and the version that ran",
    source: {
      file: FILE,
      test: "TestLambdaFeatures::test_invocation_type_request_response[nodejs16.x]",
      keys: ["invoke-result"],
    },
    fixture: "InvokeEcho",
    async run(ctx) {
      const out = await invoke(ctx, {
        FunctionName: fn(ctx, "InvokeEcho"),
        Payload: Buffer.from("{}"),
        InvocationType: "RequestResponse",
      });
      return { "invoke-result": asRecorded(out, "json") };
    },
    recorded: { "invoke-result": { ExecutedVersion: "$LATEST", Payload: {}, StatusCode: 200 } },
  },
  {
    family: "lambda-invoke",
    name: "Event: 202 and no payload",
    source: { file: FILE, test: "TestLambdaFeatures::test_invocation_type_event[nodejs16.x]", keys: ["invoke-result"] },
    fixture: "InvokeEcho",
    async run(ctx) {
      const out = await invoke(ctx, {
        FunctionName: fn(ctx, "InvokeEcho"),
        Payload: Buffer.from("{}"),
        InvocationType: "Event",
      });
      return { "invoke-result": asRecorded(out, "text") };
    },
    recorded: { "invoke-result": { Payload: "", StatusCode: 202 } },
  },
  ...(["RequestResponse", "Event"] as const).map(
    (type): Scenario => ({
      family: "lambda-invoke",
      name: `a Node function that returns nothing, invoked ${type}`,
      source: {
        file: FILE,
        test: `TestLambdaFeatures::test_invocation_type_no_return_payload[nodejs-${type}]`,
        keys: ["invoke-result"],
      },
      fixture: "InvokeNone",
      async run(ctx) {
        const out = await invoke(ctx, {
          FunctionName: fn(ctx, "InvokeNone"),
          Payload: Buffer.from("{}"),
          InvocationType: type,
        });
        return { "invoke-result": asRecorded(out, "text") };
      },
      recorded: {
        "invoke-result":
          type === "Event"
            ? { Payload: "", StatusCode: 202 }
            : { ExecutedVersion: "$LATEST", Payload: "null", StatusCode: 200 },
      },
    }),
  ),
  {
    family: "lambda-invoke",
    name: "a function past its timeout: Unhandled, Sandbox.Timedout",
    source: { file: FILE, test: "TestLambdaBehavior::test_lambda_invoke_with_timeout", keys: ["invoke-result"] },
    fixture: "InvokeTimeout",
    async run(ctx) {
      const out = await invoke(ctx, {
        FunctionName: fn(ctx, "InvokeTimeout"),
        Payload: Buffer.from(JSON.stringify({ wait: 2 })),
      });
      const recorded = asRecorded(out, "json");
      // LocalStack's transformer: the request id in the message as <timeout_error_msg>.
      const payload = recorded.Payload as { errorMessage?: string };
      const id = /^RequestId: (\S+) Error: Task timed out after \d\.\d+ seconds$/.exec(payload.errorMessage ?? "")?.[1];
      if (id && payload.errorMessage) payload.errorMessage = payload.errorMessage.replace(id, "<timeout_error_msg>");
      return { "invoke-result": recorded };
    },
    recorded: {
      "invoke-result": {
        ExecutedVersion: "$LATEST",
        FunctionError: "Unhandled",
        Payload: {
          errorType: "Sandbox.Timedout",
          errorMessage: "RequestId: <timeout_error_msg> Error: Task timed out after 1.00 seconds",
        },
        StatusCode: 200,
      },
    },
  },
  {
    family: "lambda-invoke",
    name: "Invoke of a function that does not exist",
    source: { file: FILE, test: "TestLambdaFeatures::test_invoke_exceptions", keys: ["invoke_function_doesnotexist"] },
    async run(ctx) {
      return {
        invoke_function_doesnotexist: await errorOf(
          invoke(ctx, { FunctionName: "doesnotexist" }),
          "json",
          lambdaClient,
        ),
      };
    },
    recorded: {
      invoke_function_doesnotexist: {
        Error: {
          Code: "ResourceNotFoundException",
          Message: "Function not found: arn:<partition>:lambda:<region>:111111111111:function:doesnotexist:$LATEST",
        },
        Message: "Function not found: arn:<partition>:lambda:<region>:111111111111:function:doesnotexist:$LATEST",
        Type: "User",
      },
    },
  },
];
