// The inside of one local Lambda execution environment, run by the function host as
// `node runtime.mjs` with the function's environment and nothing else. Plain JavaScript so
// that it runs on the runtime's own Node (22 for nodejs22.x) without a TypeScript loader.
// Like the nodejs runtime: the handler ("index.handler") is imported from the bundle directory
// (LAMBDA_TASK_ROOT); the AWS SDK it leaves out comes from the runtime (here: the SDK this project
// installs, found only when the bundle does not ship its own); one invocation at a time.
import { existsSync } from "node:fs";
import { register } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const [file, exportName] = (process.env._HANDLER ?? "index.handler").split(".");
// The runtime's SDK is an argument, not a variable: the function's environment is the template's.
const sdkRoot = process.argv[2];

if (sdkRoot) {
  // Bare @aws-sdk/* and @smithy/* imports the bundle cannot resolve itself resolve from the runtime's SDK.
  register(
    `data:text/javascript,${encodeURIComponent(`
      const root = ${JSON.stringify(pathToFileURL(`${sdkRoot}/`).href)};
      export async function resolve(specifier, context, next) {
        try { return await next(specifier, context); }
        catch (err) {
          if (!/^@(aws-sdk|smithy)\\//.test(specifier)) throw err;
          return next(specifier, { ...context, parentURL: root });
        }
      }`)}`,
  );
}

const candidates = [".js", ".mjs", ".cjs"].map((ext) => path.join(taskRoot, `${file}${ext}`));
const modulePath = candidates.find((p) => existsSync(p));
if (!modulePath) throw new Error(`Runtime.ImportModuleError: cannot find ${file} in ${taskRoot}`);
const module = await import(pathToFileURL(modulePath).href);
const handler = module[exportName];
if (typeof handler !== "function") throw new Error(`Runtime.HandlerNotFound: ${file}.${exportName} is not a function`);

function toError(err) {
  if (err instanceof Error) return { errorType: err.name, errorMessage: err.message, stack: err.stack };
  return { errorType: "Error", errorMessage: String(err) };
}

process.on("message", async (message) => {
  if (message?.type !== "invoke") return;
  const { id, event, deadline, requestId, functionArn } = message;
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const result = await handler(event, context);
    process.send({ type: "result", id, result: result ?? null });
  } catch (err) {
    process.send({ type: "error", id, error: toError(err) });
  }
});
process.on("unhandledRejection", (err) => {
  // The nodejs runtime fails the invocation and recycles the environment.
  console.error(JSON.stringify({ level: "ERROR", message: "Runtime.UnhandledPromiseRejection", ...toError(err) }));
  process.exit(128);
});
process.send({ type: "ready" });
