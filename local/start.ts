#!/usr/bin/env node
import { randomInt } from "node:crypto";
// `npm start`: Tripwire's synthesized stack deployed and run on this machine, no AWS account and no
// Docker. Synthesizes the app (or takes an assembly: --app DIR, like `cdk deploy --app`), starts
// the emulators behind one gateway endpoint, creates the template's resources, runs each function's
// bundle with its mapping's settings and its role enforced, loads the demo data and shows coupons
// and alerts as they happen.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { APPS, outputsOf, STREAMS, type StreamName } from "../apps/index.js";
import { accountingText, Ledger, streamBooks } from "./accounting.js";
import { ChaosCounts, chaosPlan } from "./chaos.js";
import { TemplateError } from "./cloudformation/intrinsics.js";
import type { StateChange } from "./cloudwatch/alarms.js";
import { type DemoResult, demoApps, startDemo } from "./demo.js";
import { EmulatorStartError } from "./emulators/emulators.js";
import type { Access } from "./gateway/gateway.js";
import { accessReportText } from "./iam/report.js";
import { projectRoot, startLocalStack } from "./stack.js";

const USAGE = `usage: npm start -- [options]

Deploys the synthesized CDK app on this machine (local Kinesis, DynamoDB, SQS, SNS and S3 behind one
endpoint on 127.0.0.1), runs each function's bundle as Lambda would, with its IAM role enforced,
loads the demo data and shows each application's messages as they happen. Ctrl-C stops everything.

options:
  --app DIR          deploy an already synthesized cloud assembly (as cdk deploy --app DIR)
  -c, --context K=V  CDK context for the synthesis (e.g. -c stage=prod), repeatable
  --port N           the endpoint's port (default: a free one; LocalStack users know 4566)
  --no-iam           do not enforce the functions' IAM roles
  --no-demo          start an empty stack; put records yourself with npm run put
  --demo APP[,APP]   put only these applications' demo data (default: every application's)
  --no-app           start with no stack deployed (the endpoint and its services only): deploy your
                     own CDK app into it with cdk bootstrap and cdk deploy, after sourcing the env file
  --chaos[=LEVEL]    inject every fault at once — throttling, 5xx, lost responses, killed and timed-out
                     invocations, batches delivered twice and raced, streams resharded — LEVEL low,
                     medium (the default) or high; counts every few seconds, accounting at the end
  --chaos-seed N     the seed of the faults (printed at start: a failing run replays with it)
  --watch            on a change under the app's sources, synthesize again in the background and
                     swap changed functions (code, environment) and roles in; say what cannot be
  --inspect FUNCTION run that function (its name, or the start of its logical id) under the Node
                     inspector: one environment, its timeout lifted while a debugger is attached
  --inspect-port N   the inspector's port (default 9229; chrome://inspect or VS Code attach to it)
  --alarm-time-scale N  run the alarms N times faster (60: a one-minute period lasts a second), to
                     watch them fire and clear in a demo or a test
  --exit-after-demo  stop once the demo data is processed
  --work-dir DIR     where the outputs, env file and logs go (default .tripwire)
  -h, --help         this help

examples:
  npm start
  npm start -- --no-demo --port 4566
  npx cdk synth -o /tmp/asm && npm start -- --app /tmp/asm
  npm start -- --chaos=high --exit-after-demo
  npm start -- --demo ${APPS.at(-1)?.name ?? "<application>"} --exit-after-demo
  npm start -- --watch --inspect ${STREAMS[0]?.name ?? "<function>"}`;

function options() {
  try {
    // A bare --chaos is --chaos=medium.
    const args = process.argv.slice(2).map((a) => (a === "--chaos" ? "--chaos=medium" : a));
    return parseArgs({
      args,
      options: {
        app: { type: "string" },
        context: { type: "string", short: "c", multiple: true },
        port: { type: "string" },
        "no-iam": { type: "boolean" },
        "no-demo": { type: "boolean" },
        demo: { type: "string" },
        "no-app": { type: "boolean" },
        inspect: { type: "string" },
        watch: { type: "boolean" },
        chaos: { type: "string" },
        "chaos-seed": { type: "string" },
        "inspect-port": { type: "string" },
        "exit-after-demo": { type: "boolean" },
        "alarm-time-scale": { type: "string" },
        "work-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n\n${USAGE}`);
    process.exit(2);
  }
}

const values = options();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const workDir = path.resolve(values["work-dir"] ?? path.join(projectRoot, ".tripwire"));
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  console.error(`--port must be a port number, got "${values.port}"`);
  process.exit(2);
}
const alarmTimeScale = values["alarm-time-scale"] === undefined ? undefined : Number(values["alarm-time-scale"]);
if (alarmTimeScale !== undefined && !(alarmTimeScale >= 1 && alarmTimeScale <= 600)) {
  console.error(`--alarm-time-scale must be a number from 1 to 600, got "${values["alarm-time-scale"]}"`);
  process.exit(2);
}
const chaos = (() => {
  if (values.chaos === undefined) return undefined;
  try {
    return chaosPlan(
      values.chaos,
      values["chaos-seed"] === undefined ? randomInt(1, 1_000_000) : Number(values["chaos-seed"]),
    );
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  }
})();
const demoSelection = (() => {
  const names = (values.demo ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  try {
    return demoApps(names);
  } catch (err) {
    console.error(`--demo: ${err instanceof Error ? err.message : err}`);
    process.exit(2);
  }
})();
const context = Object.fromEntries(
  (values.context ?? []).map((kv) => {
    const i = kv.indexOf("=");
    return i < 0 ? [kv, "true"] : [kv.slice(0, i), kv.slice(i + 1)];
  }),
);

async function main(): Promise<void> {
  if (values.watch && values.app) {
    console.error("--watch synthesizes the app again when its sources change: it needs the app, not --app DIR");
    process.exit(2);
  }
  const noApp = values["no-app"] === true;
  console.log(
    noApp
      ? "starting with no stack deployed …"
      : values.app
        ? `deploying the cloud assembly ${values.app} …`
        : "synthesizing the CDK app (cdk synth, unless its sources are unchanged since the last one) …",
  );
  const demo = !values["no-demo"] && !noApp;
  const ledger = new Ledger();
  const settled = new Set<string>();
  if (chaos) {
    console.log(
      `chaos    level ${chaos.level}, seed ${chaos.seed} (again with --chaos=${chaos.level} --chaos-seed ${chaos.seed}): ` +
        `${chaos.callFaultRate * 100} % of calls fail, ${chaos.crashRate * 100} % of invocations killed and ${chaos.timeoutRate * 100} % timed out, ` +
        `${chaos.duplicateRate * 100} % of batches twice and ${chaos.raceRate * 100} % raced, a reshard every ~${chaos.reshardEveryMs / 1000} s`,
    );
  }
  const stack = await startLocalStack({
    ...(chaos ? { chaos } : {}),
    workDir,
    ...(values.app ? { app: path.resolve(values.app) } : {}),
    ...(noApp ? { noApp } : {}),
    context,
    ...(port === undefined ? {} : { port }),
    iam: !values["no-iam"],
    ...(values.watch ? { watch: { print: (line: string) => console.log(line) } } : {}),
    ...(values.inspect ? { inspect: { function: values.inspect, port: Number(values["inspect-port"] ?? 9229) } } : {}),
    onRefusal: (a: Access) => console.log(`⛔ AccessDenied  ${a.functionName}  ${a.action}  on ${a.resource}`),
    ...(alarmTimeScale === undefined ? {} : { alarmTimeScale }),
    onAlarm: ({ alarm, from, to, reason }: StateChange) => {
      // Every alarm starts INSUFFICIENT_DATA and most settle to OK at their first evaluation: not news.
      const settling = !settled.has(alarm.name) && from === "INSUFFICIENT_DATA" && to === "OK";
      settled.add(alarm.name);
      if (!settling)
        console.log(
          `${to === "ALARM" ? "🚨" : to === "OK" ? "✅" : "❔"} alarm ${alarm.name}: ${from} → ${to}  ${reason}`,
        );
    },
    runner: {
      onInvoke: ledger.onInvoke,
      onFailureDestination: (f) => {
        ledger.onFailureDestination(f);
        console.log(
          `✗ ${f.KinesisBatchInfo.batchSize} records of ${f.requestContext.functionArn.split(":").at(-1)} sent to the failure destination (${f.requestContext.condition})`,
        );
      },
      onPollError: (fn, shard, err) =>
        console.log(`poll error ${fn} ${shard}: ${err instanceof Error ? `${err.name}: ${err.message}` : err}`),
    },
  });
  let stopping = false;
  let firstSignalAt = 0;
  let demoResult: DemoResult | undefined;
  // Under chaos, a line of the faults so far every five seconds (when they changed).
  let lastCounts = "";
  const chaosTicker = setInterval(() => {
    if (!stack.chaos) return;
    const line = ChaosCounts.line(stack.chaos.withGateway(stack.gateway.stats.injected));
    if (line !== lastCounts) console.log(`chaos    ${line}`);
    lastCounts = line;
  }, 5000);
  chaosTicker.unref();
  const consumers: Promise<void>[] = [];
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A launcher may pass a terminal's Ctrl-C on again within milliseconds: that is the same Ctrl-C.
      // (npm runs this under `node --import tsx`, not tsx's own launcher, which would SIGKILL a child
      // that is slow to acknowledge the signal.)
      if (Date.now() - firstSignalAt < 1000) return;
      // A second Ctrl-C does not wait: the emulators exit by themselves once this process is gone.
      console.log(`\n${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    firstSignalAt = Date.now();
    console.log(`\n${signal}: stopping …`);
    setTimeout(() => {
      console.error("could not stop cleanly within 15 s; exiting (the emulators follow)");
      process.exit(1);
    }, 15_000).unref();
    await Promise.allSettled(consumers);
    clearInterval(chaosTicker);
    try {
      const outputs = stack.outputs as Record<string, string>;
      // Every stream of the template, named as its application names it where one does (a user's
      // app has other streams, and no rejected-records queue).
      const appNames = new Map(STREAMS.map((s) => [outputs[outputsOf(s.name as StreamName).stream], s.name]));
      const streams = stack.stacks
        .flatMap((st) => st.byType("AWS::Kinesis::Stream"))
        .map((r) => ({ name: appNames.get(r.name) ?? r.name, physical: r.name }));
      const books = await streamBooks(
        stack.clients.sqs,
        outputs.RejectedQueueUrl,
        streams,
        ledger,
        demoResult?.put ?? new Map(),
      );
      const lines = [
        ...(demoResult
          ? [`messages ${[...demoResult.messages].map(([app, m]) => `${app} ${m.length}`).join(" · ")}`]
          : []),
        ...(stack.chaos ? [`faults   ${ChaosCounts.line(stack.chaos.withGateway(stack.gateway.stats.injected))}`] : []),
      ];
      console.log(`\n${accountingText(books, lines)}`);
    } catch (err) {
      console.error(`accounting: ${err instanceof Error ? err.message : err}`);
    }
    console.log(`\n${accessReportText(stack.gateway.report())}`);
    await stack.stop();
    console.log("stopped; no process left running");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  if (!values.app && !noApp) {
    console.log(
      stack.assembly.reused
        ? `assembly ${stack.assembly.dir}   (reused: the app's sources, lock file and context are unchanged)`
        : `assembly ${stack.assembly.dir}   (synthesized)`,
    );
  }
  for (const note of stack.notes) console.log(`note     ${note}`);
  if (values.inspect) {
    const host = [...stack.hosts.values()].find((h) => h.debugPort !== undefined);
    console.log(
      `inspect  ${host?.spec.functionName} on 127.0.0.1:${values["inspect-port"] ?? 9229} (chrome://inspect, or attach from VS Code; one environment; its timeout waits while a debugger is attached)`,
    );
  }
  const runtimes = new Set(
    [...stack.hosts.values()].map(
      (h) => `${h.spec.runtime} → Node ${h.runtime.version}${h.runtime.note ? ` (${h.runtime.note})` : ""}`,
    ),
  );
  for (const r of runtimes) console.log(`runtime  ${r}`);
  console.log(
    `IAM      ${values["no-iam"] ? "off (--no-iam)" : "enforced: each function may make only the calls its role allows"}`,
  );
  console.log(
    `endpoint ${stack.gateway.url}   (Kinesis, DynamoDB, SQS, SNS, S3, CloudWatch, Lambda, and the control plane: README "What the endpoint answers")`,
  );
  const alarmCount = stack.cloudwatch.alarms?.alarms.size ?? 0;
  const scale = stack.cloudwatch.timeScale;
  console.log(
    `alarms   ${alarmCount} evaluated as CloudWatch does${scale > 1 ? `, ${scale}× faster (--alarm-time-scale)` : ""}; changes print here`,
  );
  console.log(`dashboard ${stack.dashboardUrl}   (the template's dashboard from the local metrics, alarms, functions)`);
  console.log(`outputs  ${stack.outputsFile}   (the format of cdk deploy --outputs-file)`);
  console.log(`env      ${stack.envFile}   (source it to point the AWS CLI/SDK here)`);
  console.log(`logs     ${path.join(workDir, "logs")}   (one file per function and emulator)`);

  if (demo) {
    const running = startDemo(stack, () => stopping, console.log, demoSelection);
    consumers.push(...running.consumers);
    demoResult = await running.finished;
    console.log(
      `try next, in another terminal: npm run status -- ${APPS.map((a) => a.name).join("|")} · npm run access · npm run put -- --stream NAME FILE`,
    );
    if (values["exit-after-demo"]) return shutdown("demo done");
  }
  if (noApp) {
    console.log(
      `deploy   source ${stack.envFile} && npx cdk bootstrap && npx cdk deploy   (from your CDK app's directory)`,
    );
  }
  console.log("running; put records with `npm run put -- --stream …`; Ctrl-C stops everything");
}

main().catch((err: unknown) => {
  const known = err instanceof EmulatorStartError || err instanceof TemplateError;
  console.error(known ? `could not start: ${(err as Error).message}` : err);
  process.exit(1);
});
