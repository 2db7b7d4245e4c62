// The inside of one local Lambda execution environment, run by the function host as
// `node runtime.mjs` with the function's environment and nothing else. Plain JavaScript so
// that it runs on the runtime's own Node (22 for nodejs22.x) without a TypeScript loader.
// Like the nodejs runtime: the handler ("index.handler") is imported from the bundle directory
// (LAMBDA_TASK_ROOT); the AWS SDK it leaves out comes from the runtime (here: the SDK this project
// installs, found only when the bundle does not ship its own); one invocation at a time.
import { existsSync, readFileSync } from "node:fs";
import Module, { createRequire, register } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

const taskRoot = process.env.LAMBDA_TASK_ROOT;
// The runtime's SDK is an argument, not a variable: the function's environment is the template's.
const sdkRoot = process.argv[2];
const RUNTIME_PACKAGES = /^@(aws-sdk|smithy)\//;

if (sdkRoot) {
  // Lambda's Node runtimes carry the AWS SDK v3: bare @aws-sdk/* and @smithy/* the bundle cannot
  // resolve itself resolve from the runtime's copy — for import (an ESM resolve hook) and for
  // require (CommonJS bundles, CDK's default, leave the SDK out and require it).
  register(
    `data:text/javascript,${encodeURIComponent(`
      const root = ${JSON.stringify(pathToFileURL(`${sdkRoot}/`).href)};
      export async function resolve(specifier, context, next) {
        try { return await next(specifier, context); }
        catch (err) {
          if (!${RUNTIME_PACKAGES}.test(specifier)) throw err;
          return next(specifier, { ...context, parentURL: root });
        }
      }`)}`,
  );
  const runtimeRequire = createRequire(path.join(sdkRoot, "package.json"));
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    try {
      return resolveFilename.call(this, request, ...rest);
    } catch (err) {
      if (!RUNTIME_PACKAGES.test(request)) throw err;
      return runtimeRequire.resolve(request);
    }
  };
}

/**
 * The handler as Lambda's Node runtime reads `_HANDLER`: `dir/sub/file.export.nested` is the module
 * `file` under `dir/sub` and the property path `export.nested`; the module is `file` without an
 * extension, else `file.js` (required, or imported when the nearest package.json says
 * "type": "module"), `file.mjs` (imported), `file.cjs` (required).
 */
async function loadHandler(handlerString) {
  const moduleRoot = path.dirname(handlerString);
  const [moduleName, ...properties] = path.basename(handlerString).split(".");
  if (!moduleName || properties.length === 0) {
    throw new Error(`Runtime.MalformedHandlerName: '${handlerString}' is not in the form file.export`);
  }
  const base = path.resolve(taskRoot, moduleRoot, moduleName);
  const requireFrom = createRequire(base);
  let module;
  if (existsSync(base)) module = requireFrom(base);
  else if (existsSync(`${base}.js`))
    module = typeModule(base) ? await import(pathToFileURL(`${base}.js`).href) : requireFrom(`${base}.js`);
  else if (existsSync(`${base}.mjs`)) module = await import(pathToFileURL(`${base}.mjs`).href);
  else if (existsSync(`${base}.cjs`)) module = requireFrom(`${base}.cjs`);
  else throw new Error(`Runtime.ImportModuleError: Error: Cannot find module '${moduleName}' in ${path.dirname(base)}`);
  let handler = module;
  for (const property of properties) handler = handler?.[property];
  if (typeof handler !== "function") {
    throw new Error(`Runtime.HandlerNotFound: ${moduleName}.${properties.join(".")} is undefined or not exported`);
  }
  return handler;
}

/** Whether the nearest package.json up from a module says "type": "module". */
function typeModule(base) {
  for (let dir = path.dirname(base); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg)) return JSON.parse(readFileSync(pkg, "utf8")).type === "module";
    if (dir === path.dirname(dir) || dir === path.dirname(taskRoot)) return false;
  }
}

const handler = await loadHandler(process.env._HANDLER ?? "index.handler");

/** An error as the Node runtime reports it: its type, its message and its stack's lines (trace). */
function toError(err) {
  if (err instanceof Error) {
    return { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? "").split("\n"), stack: err.stack };
  }
  return { errorType: "Error", errorMessage: String(err), trace: [] };
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
