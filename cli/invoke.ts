#!/usr/bin/env node
// One invocation of a function as deployed: its bundle, its template environment, its role (IAM
// enforced) and its timeout — in the running local stack, or in a fresh one started for it.
//   npm run -s event -- --stream cpu data/cpu.csv --limit 5 > event.json
//   npm run invoke -- --function cpu --event event.json
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { STREAM_NAMES, USAGE_EXAMPLES } from "../apps/index.js";
import { INVOKE_PATH } from "../local/contract.js";
import { findHost, type InvokeResult, invokeWithLogs } from "../local/lambda/invoke.js";
import { kinesisEventProblem } from "../local/lambda/kinesis-event.js";
import { startLocalStack } from "../local/stack.js";
import { parseCommand } from "./args.js";
import { runMain } from "./run-main.js";
import { connect } from "./stack-target.js";

const [EXAMPLE] = USAGE_EXAMPLES;

const USAGE = `usage: npm run invoke -- --function NAME --event FILE [options]

Invokes one function of the stack once with a Kinesis event (npm run event writes one): its
deployed bundle, with its template environment, its IAM role enforced and its timeout. Prints the
response (a stream function's batch response) and the log lines the invocation wrote; exits 1 when
the function failed. Uses the running local stack (npm start) when there is one, else starts one
for the invocation (its streams not polled) and stops it after.

options:
  -f, --function NAME  the function: its name, or the start of its logical id (${STREAM_NAMES.join(", ")})
  -e, --event FILE     the event (- for standard input)
  --app DIR            a fresh stack from this cloud assembly (default: the app, synthesized as npm start does)
  --outputs FILE       a running local stack's outputs file (default .tripwire/cdk-outputs.json)
  -h, --help           this help

examples:
  npm run -s event -- --stream ${EXAMPLE.stream} ${EXAMPLE.file} --limit 5 > event.json
  npm run invoke -- --function ${EXAMPLE.stream} --event event.json`;

async function main(): Promise<number> {
  const { values } = parseCommand(USAGE, {
    function: { type: "string", short: "f" },
    event: { type: "string", short: "e" },
    app: { type: "string" },
    outputs: { type: "string" },
  });
  if (!values.function || !values.event) {
    console.error(`--function and --event are required\n\n${USAGE}`);
    return 2;
  }
  if (values.event !== "-" && !existsSync(values.event)) {
    console.error(`no such event file: ${values.event}`);
    return 2;
  }
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(values.event === "-" ? 0 : values.event, "utf8"));
  } catch (err) {
    console.error(`${values.event} is not JSON: ${err instanceof Error ? err.message : err}`);
    return 2;
  }
  const problem = kinesisEventProblem(event);
  if (problem) {
    console.error(`${values.event} is not a Kinesis event Lambda would send: ${problem} (npm run event writes one)`);
    return 2;
  }
  const result =
    (await running(values.outputs, values.function, event)) ?? (await fresh(values.app, values.function, event));
  for (const line of result.logs) console.error(`log  ${line}`);
  const { invocation } = result;
  if (invocation.kind === "error") {
    console.error(`${result.function} failed: ${invocation.errorType}: ${invocation.errorMessage}`);
    return 1;
  }
  console.log(JSON.stringify(invocation.payload, null, 2));
  return 0;
}

/** The running local stack's answer, or undefined when none runs. */
async function running(outputs: string | undefined, name: string, event: unknown): Promise<InvokeResult | undefined> {
  let target: Awaited<ReturnType<typeof connect>>;
  try {
    target = await connect(outputs);
  } catch {
    if (outputs !== undefined) throw new Error(`no running local stack at ${outputs}`);
    return undefined;
  }
  if (!target.local) throw new Error(`${target.outputsFile} is not a local stack's; invoke runs functions locally`);
  console.error(`→ ${target.endpoint}`);
  const res = await fetch(`${target.local.pages}${INVOKE_PATH}${encodeURIComponent(name)}`, {
    method: "POST",
    body: JSON.stringify(event),
  });
  const body = (await res.json()) as InvokeResult & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `the local stack answered ${res.status}`);
  return body;
}

async function fresh(app: string | undefined, name: string, event: unknown): Promise<InvokeResult> {
  console.error("→ a local stack started for this invocation (its streams not polled)");
  const stack = await startLocalStack({
    workDir: app ? mkdtempSync(path.join(tmpdir(), "tripwire-invoke-")) : path.resolve(".tripwire"),
    ...(app ? { app: path.resolve(app) } : {}),
    runMappings: false,
  });
  try {
    return await invokeWithLogs(findHost(stack.hosts.values(), name), event);
  } finally {
    await stack.stop();
  }
}

runMain(main);
