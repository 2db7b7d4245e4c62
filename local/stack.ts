import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { StackOutputs } from "../infra/outputs.js";
import { ChaosCounts, type ChaosPlan, chaosRandom, reshardNowAndThen } from "./chaos.js";
import {
  consumedStreamArn,
  functionReference,
  LOCAL_ACCOUNT,
  readAssembly,
  type StackDeployment,
  stableId,
} from "./cloudformation/assembly.js";
import { createResources, type Notes, secretValue } from "./cloudformation/deploy.js";
import { TemplateError } from "./cloudformation/intrinsics.js";
import { assemblyFor } from "./cloudformation/synth.js";
import type { StateChange } from "./cloudwatch/alarms.js";
import { LocalCloudWatch } from "./cloudwatch/cloudwatch.js";
import { unreachableAlarms } from "./cloudwatch/reachability.js";
import { DASHBOARD_PATH, INVOKE_PATH, LOCAL_STACK_FILE, type LocalStackFile } from "./contract.js";
import { functionPanels } from "./dashboard/dashboard.js";
import { dashboardPage } from "./dashboard/page.js";
import { type Emulators, startEmulators } from "./emulators/emulators.js";
import { type Access, type FaultPlan, type Gateway, startGateway } from "./gateway/gateway.js";
import { roleIdentities } from "./iam/policy.js";
import { type AsyncTarget, type InvocationRecord, invokeAsync } from "./lambda/async-invoke.js";
import { type FailureDestination, s3Destination, snsDestination, sqsDestination } from "./lambda/destinations.js";
import { FunctionHost } from "./lambda/function-host.js";
import { findHost, invokeWithLogs } from "./lambda/invoke.js";
import { lambdaInvokeApi } from "./lambda/invoke-api.js";
import { kinesisEventProblem } from "./lambda/kinesis-event.js";
import { EventSourceRunner, type Mapping, type RunnerOptions } from "./lambda/kinesis-poller.js";
import { mappingSpec, queueMappingSpec } from "./lambda/mapping.js";
import { type FunctionSubscription, relaySubscription, SnsInvoker } from "./lambda/sns-subscriptions.js";
import { type QueueMapping, QueuePoller, type QueuePollerOptions } from "./lambda/sqs-poller.js";
import { watchApp } from "./watch.js";

// The synthesized stack, run on this machine as `cdk deploy` would deploy it to an account: the
// cloud assembly's template(s) create the resources in the emulators; every function runs as its
// bundle in processes of its own, fed by the event-source runner with the template's mapping
// settings; every call goes through one gateway that enforces each function's IAM role.

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface LocalStackOptions {
  /** Where logs, the outputs file and the env file go. */
  readonly workDir: string;
  /** An already synthesized cloud assembly (like `cdk deploy --app DIR`); synthesized when absent. */
  readonly app?: string;
  /** CDK context for the synthesis (`-c key=value`). */
  readonly context?: Readonly<Record<string, string>>;
  /** Run the functions (the event-source runner); off leaves the streams to other consumers. */
  readonly runFunctions?: boolean;
  /** Poll the streams for the functions (default); off: the functions only answer invocations. */
  readonly runMappings?: boolean;
  /** The CDK app's directory (its cdk.json), synthesized when no `app` is given (default: this project). */
  readonly root?: string;
  /** Synthesize again on a change under the app's sources and swap what can be swapped (`--watch`). */
  readonly watch?: { readonly print: (line: string) => void };
  /** Every fault at once, on the functions' calls and invocations and on the streams (`--chaos`). */
  readonly chaos?: ChaosPlan;
  /** One function's environment under the Node inspector (`--inspect FUNCTION`). */
  readonly inspect?: { readonly function: string; readonly port: number };
  readonly runner?: Partial<RunnerOptions>;
  /** What the SQS queues' pollers report (invocations, filtered messages, poll errors). */
  readonly queues?: Omit<QueuePollerOptions, "region">;
  /** What the functions' SNS subscriptions report (each invocation and retry). */
  readonly subscriptions?: ConstructorParameters<typeof SnsInvoker>[2];
  /** Faults injected into the functions' calls to DynamoDB, SQS and SNS (reliability tests). */
  readonly faults?: FaultPlan;
  /** Enforce the functions' IAM roles (default on). */
  readonly iam?: boolean;
  /** The gateway's port; a free one when absent. */
  readonly port?: number;
  readonly onRefusal?: (access: Access) => void;
  /** An alarm changed state (npm start prints it). */
  readonly onAlarm?: (change: StateChange) => void;
  /** > 1 shrinks the alarms' periods and the metrics' sampling by this factor (tests: 60 makes a minute a second). */
  readonly alarmTimeScale?: number;
}

export interface LocalStack {
  readonly emulators: Emulators;
  readonly gateway: Gateway;
  readonly stacks: readonly StackDeployment[];
  readonly outputs: StackOutputs;
  readonly outputsFile: string;
  readonly envFile: string;
  /** Where each function's and emulator's log file is. */
  readonly logDir: string;
  readonly runner: EventSourceRunner | undefined;
  /** The SQS queues' mappings, polled (none: undefined). */
  readonly queues: QueuePoller | undefined;
  /** The functions subscribed to SNS topics, invoked for each message (none: undefined). */
  readonly subscriptions: SnsInvoker | undefined;
  /** Function hosts by function logical id. */
  readonly hosts: ReadonlyMap<string, FunctionHost>;
  /** The account administrator's clients, through the gateway (never faulted, never refused). */
  readonly clients: AdminClients;
  /** What the deployment could not do exactly as an account would, said once. */
  readonly notes: Notes;
  /** With chaos: the faults injected so far, by kind (the gateway's call faults in `gateway.stats`). */
  readonly chaos: ChaosCounts | undefined;
  /** The metrics recorded, the alarms run over them, CloudWatch's API on the endpoint. */
  readonly cloudwatch: LocalCloudWatch;
  /** The template's dashboard as a web page, with the alarms and the functions. */
  readonly dashboardUrl: string;
  /** The cloud assembly deployed, and whether it was reused (its sources unchanged since it was synthesized). */
  readonly assembly: { readonly dir: string; readonly reused: boolean };
  stop(): Promise<void>;
}

export interface AdminClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly s3: S3Client;
}

/** The credentials of the env file: the account's administrator, as for LocalStack. */
export const ADMIN_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export function adminClients(endpoint: string, region: string): AdminClients {
  const common = { region, endpoint, credentials: ADMIN_CREDENTIALS };
  const dynamodb = new DynamoDBClient(common);
  return {
    kinesis: new KinesisClient({ ...common, requestHandler: new NodeHttpHandler() }),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: new SQSClient(common),
    sns: new SNSClient(common),
    s3: new S3Client(common),
  };
}

/** A mapping's on-failure destination of the template — a queue, a topic or a bucket — written as the mapping's role. */
function failureDestination(
  stack: StackDeployment,
  mappingId: string,
  arn: string,
  client: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } },
): FailureDestination {
  const target = stack.byArn(arn);
  switch (target?.type) {
    case "AWS::SQS::Queue":
      return sqsDestination(new SQSClient(client), target.ref);
    case "AWS::SNS::Topic":
      return snsDestination(new SNSClient(client), target.arn);
    case "AWS::S3::Bucket":
      return s3Destination(new S3Client(client), target.name, stableId(`${stack.stackName}/${mappingId}`));
    default:
      throw new TemplateError(
        `${mappingId}: its on-failure destination ${arn} is not an SQS queue, SNS topic or S3 bucket of the template`,
      );
  }
}

/** The credentials a function's mapping, destinations and dead-letter queue use: they name its role. */
function roleCredentials(stack: string, logicalId: string) {
  return { accessKeyId: accessKeyFor(stack, logicalId, "mapping"), secretAccessKey: "local", sessionToken: "local" };
}

/** Each function's access key: the gateway knows the role by it, as STS credentials name a role. */
function accessKeyFor(stack: string, logicalId: string, who: "function" | "mapping"): string {
  return `ASIA${createHash("sha256").update(`${stack}/${logicalId}/${who}`).digest("hex").slice(0, 16).toUpperCase()}`;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const logDir = path.join(options.workDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const assembly = options.app
    ? { dir: options.app, reused: false }
    : assemblyFor(options.root ?? projectRoot, path.join(options.workDir, "cdk.out"), options.context);
  const app = assembly.dir;
  // What the stack cannot honour stops it before anything starts (read again below with the real endpoint).
  // Without IAM a managed policy the local stack does not know is only worth a warning.
  const warnings: string[] = [];
  const identityOptions = {
    unknownManagedPolicy: options.iam === false ? ("warn" as const) : ("stop" as const),
    warn: (message: string) => warnings.push(message),
  };
  for (const stack of readAssembly(app, { region: "us-east-1", endpoint: "http://127.0.0.1" })) {
    roleIdentities(stack, identityOptions);
  }
  const emulators = await startEmulators({ logDir });
  const stopAll: (() => Promise<void>)[] = [() => emulators.stop()];
  const stop = async () => {
    for (const s of stopAll.reverse()) await s().catch(() => undefined);
  };
  try {
    const { endpoints, region } = emulators;
    const cloudwatch = new LocalCloudWatch({
      region,
      account: LOCAL_ACCOUNT,
      ...(options.alarmTimeScale === undefined ? {} : { timeScale: options.alarmTimeScale }),
      ...(options.onAlarm ? { onAlarm: options.onAlarm } : {}),
    });
    stopAll.push(() => cloudwatch.stop());
    const gateway = await startGateway({
      cloudwatch: cloudwatch.handle,
      observe: (call, resources, status, answer) => cloudwatch.metrics.call(call, resources, status, answer),
      upstreams: endpoints,
      region,
      account: LOCAL_ACCOUNT,
      sqsUrlPrefix: emulators.sqsUrlPrefix,
      ...(options.port === undefined ? {} : { port: options.port }),
      iam: options.iam !== false,
      ...(options.onRefusal ? { onRefusal: options.onRefusal } : {}),
    });
    stopAll.push(() => gateway.stop());
    const stacks = readAssembly(app, { region, endpoint: gateway.url });
    const clients = adminClients(gateway.url, region);
    const notes: Notes = [];
    for (const stack of stacks) {
      await createResources(stack, clients, notes);
      for (const secret of stack.byType("AWS::SecretsManager::Secret")) {
        gateway.addSecret({ arn: secret.arn, name: secret.name, value: secretValue(secret) });
      }
    }

    notes.push(...cloudwatch.startAlarms(stacks, clients.sns));
    const queues = stacks.flatMap((st) => st.byType("AWS::SQS::Queue"));
    const deadLetterTargets = new Set(
      queues.map(
        (q) => (q.properties.RedrivePolicy as { deadLetterTargetArn?: string } | undefined)?.deadLetterTargetArn,
      ),
    );
    cloudwatch.sampleQueues(
      (name) => emulators.queueContents(name),
      queues.map((q) => ({ name: q.name, deadLetterTarget: deadLetterTargets.has(q.arn) })),
    );

    const [main] = stacks;
    if (main === undefined) throw new TemplateError("no stack to deploy");
    const outputs = Object.assign({}, ...stacks.map((s) => s.outputs)) as StackOutputs;
    const outputsFile = path.join(options.workDir, "cdk-outputs.json");
    writeFileSync(
      outputsFile,
      `${JSON.stringify(Object.fromEntries(stacks.map((s) => [s.stackName, s.outputs])), null, 2)}\n`,
    );
    const envFile = path.join(options.workDir, "local.env");
    writeFileSync(
      envFile,
      [
        `export AWS_ENDPOINT_URL=${gateway.url}`,
        `export AWS_REGION=${region}`,
        `export AWS_DEFAULT_REGION=${region}`,
        `export AWS_ACCESS_KEY_ID=${ADMIN_CREDENTIALS.accessKeyId}`,
        `export AWS_SECRET_ACCESS_KEY=${ADMIN_CREDENTIALS.secretAccessKey}`,
        "",
      ].join("\n"),
    );
    const local: LocalStackFile = {
      endpoint: gateway.url,
      region,
      pid: process.pid,
      outputsFile,
      credentials: ADMIN_CREDENTIALS,
    };
    writeFileSync(path.join(options.workDir, LOCAL_STACK_FILE), `${JSON.stringify(local, null, 2)}\n`);

    const hosts = new Map<string, FunctionHost>();
    const chaos = options.chaos ? new ChaosCounts() : undefined;
    const accessKeys = new Map<string, { key: string; faults: boolean }[]>();
    let runner: EventSourceRunner | undefined;
    let queuePoller: QueuePoller | undefined;
    let snsInvoker: SnsInvoker | undefined;
    if (options.runFunctions !== false) {
      const mappings: Mapping[] = [];
      const queueMappings: QueueMapping[] = [];
      for (const stack of stacks) {
        const identities = roleIdentities(stack, { unknownManagedPolicy: identityOptions.unknownManagedPolicy });
        for (const fn of stack.byType("AWS::Lambda::Function")) {
          const identity = identities.get(fn.logicalId);
          if (identity === undefined) continue;
          const functionKey = accessKeyFor(stack.stackName, fn.logicalId, "function");
          const mappingKey = accessKeyFor(stack.stackName, fn.logicalId, "mapping");
          gateway.addIdentity(functionKey, identity, { faults: true });
          gateway.addIdentity(mappingKey, identity, { faults: false });
          accessKeys.set(fn.logicalId, [
            { key: functionKey, faults: true },
            { key: mappingKey, faults: false },
          ]);
          const p = fn.properties;
          const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
          const host = new FunctionHost(
            {
              logicalId: fn.logicalId,
              functionName: fn.name,
              functionArn: fn.arn,
              bundleDir: stack.bundles[fn.logicalId] as string,
              handler: String(p.Handler),
              runtime: String(p.Runtime),
              timeoutSeconds: Number(p.Timeout ?? 3),
              memoryMb: Number(p.MemorySize ?? 128),
              ...(p.ReservedConcurrentExecutions === undefined
                ? {}
                : { reservedConcurrency: Number(p.ReservedConcurrentExecutions) }),
              environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
              platform: {
                AWS_REGION: region,
                AWS_DEFAULT_REGION: region,
                AWS_ENDPOINT_URL: gateway.url,
                AWS_ACCESS_KEY_ID: functionKey,
                AWS_SECRET_ACCESS_KEY: "local",
                AWS_SESSION_TOKEN: "local",
              },
            },
            logDir,
            {
              invocation: (name, o) => cloudwatch.metrics.invocation(name, o),
              concurrency: (name, running) => cloudwatch.metrics.concurrency(name, running),
              throttle: (name) => cloudwatch.metrics.throttle(name),
              logLine: (line) => cloudwatch.metrics.emf(line),
            },
          );
          hosts.set(fn.logicalId, host);
          stopAll.push(() => host.stop());
        }
        for (const m of stack.byType("AWS::Lambda::EventSourceMapping")) {
          if (m.properties.Enabled === false) continue;
          // A mapping may name the function, its ARN, or a version or alias of it.
          const target = functionReference(String(m.properties.FunctionName));
          const fn = stack.resources.find((r) => r.type === "AWS::Lambda::Function" && r.name === target.name);
          const host = fn && hosts.get(fn.logicalId);
          // An enhanced fan-out consumer's mapping reads its stream (polled here, with the role's stream grants).
          const source = stack.byArn(consumedStreamArn(String(m.properties.EventSourceArn)));
          if (!fn || !host || (source?.type !== "AWS::Kinesis::Stream" && source?.type !== "AWS::SQS::Queue")) {
            throw new TemplateError(
              `${m.logicalId}: only Kinesis streams and SQS queues feeding a function of the template are run locally`,
            );
          }
          const common = { region, endpoint: gateway.url, credentials: roleCredentials(stack.stackName, fn.logicalId) };
          if (source.type === "AWS::SQS::Queue") {
            const fifo = source.properties.FifoQueue === true || source.properties.FifoQueue === "true";
            queueMappings.push({
              ...queueMappingSpec(m, fifo),
              functionName: fn.name,
              queueName: source.name,
              queueArn: source.arn,
              queueUrl: source.ref,
              fifo,
              invoke: (event) => host.invoke(event, target.qualifier),
              sqs: new SQSClient(common),
            });
            continue;
          }
          const spec = mappingSpec(m);
          const destination =
            spec.destinationArn === undefined
              ? undefined
              : failureDestination(stack, m.logicalId, spec.destinationArn, common);
          mappings.push({
            functionName: fn.name,
            functionArn: fn.arn,
            streamName: source.name,
            streamArn: source.arn,
            invoke: (event) => host.invoke(event, target.qualifier),
            settings: spec.settings,
            filters: spec.filters,
            tumblingWindowSeconds: spec.tumblingWindowSeconds,
            ...(spec.startingTimestampMs === undefined ? {} : { startingTimestampMs: spec.startingTimestampMs }),
            ...(destination ? { destination } : {}),
            kinesis: new KinesisClient({ ...common, requestHandler: new NodeHttpHandler() }),
            roleArn: String(fn.properties.Role),
          });
        }
      }
      if (options.inspect) findHost(hosts.values(), options.inspect.function).inspect(options.inspect.port);
      if (options.faults) gateway.setFaults(options.faults);
      const plan = options.chaos;
      if (plan) {
        gateway.setFaults({ rate: plan.callFaultRate, faults: plan.callFaults, seed: plan.seed });
        for (const [i, host] of [...hosts.values()].entries()) {
          host.setChaos({
            crashRate: plan.crashRate,
            timeoutRate: plan.timeoutRate,
            random: chaosRandom(plan, i + 1),
            onFault: (kind) => chaos?.add(kind),
          });
        }
        const streams = [...new Set(mappings.map((m) => m.streamName))];
        const resharding = reshardNowAndThen(
          clients.kinesis,
          streams,
          plan.reshardEveryMs,
          chaosRandom(plan, 0),
          () => chaos?.add("resharded"),
          (err) => options.runner?.onPollError?.("(chaos)", "(UpdateShardCount)", err),
        );
        stopAll.push(() => resharding.stop());
      }
      if (options.runMappings !== false) {
        runner = new EventSourceRunner(mappings, {
          region,
          ...options.runner,
          ...(plan
            ? {
                duplicateRate: plan.duplicateRate,
                raceRate: plan.raceRate,
                random: chaosRandom(plan, 1000),
                onDuplicate: (kind: "twice" | "raced") => chaos?.add(kind),
              }
            : {}),
        });
        await runner.start();
        const started = runner;
        stopAll.push(() => started.stop());
        const targets = asyncTargets(stacks, hosts, gateway.url, region, notes);
        gateway.setLambda(lambdaInvokeApi((name) => targets.get(name), { region, account: LOCAL_ACCOUNT }));
        const subscriptions = await functionSubscriptions(stacks, targets, clients);
        if (subscriptions.length > 0) {
          const invoker = new SnsInvoker(subscriptions, clients.sqs, options.subscriptions ?? {});
          invoker.start();
          stopAll.push(() => invoker.stop());
          snsInvoker = invoker;
        }
        if (queueMappings.length > 0) {
          const poller = new QueuePoller(queueMappings, { region, ...options.queues });
          poller.start();
          stopAll.push(() => poller.stop());
          queuePoller = poller;
        }
      }
      // `npm run invoke` against this stack: one invocation of a function, with its log lines.
      gateway.addRoute(INVOKE_PATH, async (name, body) => {
        const event = JSON.parse(body.toString("utf8")) as unknown;
        const problem = kinesisEventProblem(event);
        if (problem) return { status: 400, body: { error: problem } };
        return { status: 200, body: await invokeWithLogs(findHost(hosts.values(), name), event) };
      });
    }
    if (options.watch && !options.app) {
      const watcher = watchApp({
        root: options.root ?? projectRoot,
        workDir: options.workDir,
        context: options.context ?? {},
        region,
        gateway,
        stacks,
        hosts,
        accessKeys,
        print: options.watch.print,
      });
      stopAll.push(async () => watcher.stop());
    }
    gateway.addPage(
      DASHBOARD_PATH,
      dashboardPage(stacks, {
        store: cloudwatch.store,
        alarms: cloudwatch.alarms,
        functions: () => functionPanels(cloudwatch.store, hosts.values(), runner?.shardsByFunction() ?? new Map()),
      }),
    );
    for (const stack of stacks)
      for (const [type, why] of Object.entries(stack.notEmulated)) notes.push(`${type}: not emulated (${why})`);
    for (const warning of warnings) notes.push(`warning: ${warning}`);
    for (const stack of stacks) {
      for (const { alarm, why } of unreachableAlarms(stack)) notes.push(`alarm ${alarm} can never fire: ${why}`);
    }
    return {
      emulators,
      gateway,
      stacks,
      outputs,
      outputsFile,
      envFile,
      logDir,
      runner,
      queues: queuePoller,
      subscriptions: snsInvoker,
      hosts,
      clients,
      notes,
      assembly,
      chaos,
      cloudwatch,
      dashboardUrl: `${gateway.url}${DASHBOARD_PATH}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * How each function is invoked asynchronously (an SNS subscription's event, an Invoke of type Event):
 * retried twice, then to its dead-letter queue (DeadLetterConfig, an SQS queue) as its role.
 */
function asyncTargets(
  stacks: readonly StackDeployment[],
  hosts: ReadonlyMap<string, FunctionHost>,
  endpoint: string,
  region: string,
  notes: Notes,
): Map<string, { host: FunctionHost; async: (qualifier: string | undefined) => AsyncTarget }> {
  const out = new Map<string, { host: FunctionHost; async: (qualifier: string | undefined) => AsyncTarget }>();
  for (const stack of stacks) {
    for (const fn of stack.byType("AWS::Lambda::Function")) {
      const host = hosts.get(fn.logicalId);
      if (!host) continue;
      const dlqArn = (fn.properties.DeadLetterConfig as { TargetArn?: string } | undefined)?.TargetArn;
      const dlq = dlqArn === undefined ? undefined : stack.byArn(dlqArn);
      if (dlqArn !== undefined && dlq?.type !== "AWS::SQS::Queue") {
        notes.push(
          `${fn.logicalId}: DeadLetterConfig ${dlqArn} is not an SQS queue of the template; failed events are dropped`,
        );
      }
      const client = { region, endpoint, credentials: roleCredentials(stack.stackName, fn.logicalId) };
      const deadLetter =
        dlq?.type === "AWS::SQS::Queue" ? { queueUrl: dlq.ref, sqs: new SQSClient(client) } : undefined;
      // EventInvokeConfig: retries and destinations (of the function or any of its qualifiers).
      const config = stack
        .byType("AWS::Lambda::EventInvokeConfig")
        .find((c) => functionReference(String(c.properties.FunctionName)).name === fn.name)?.properties;
      const destinations = config?.DestinationConfig as
        | { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } }
        | undefined;
      const send = (arn: string | undefined) =>
        arn === undefined ? undefined : recordDestination(stack, fn.logicalId, arn, client, out, notes);
      const onSuccess = send(destinations?.OnSuccess?.Destination);
      const onFailure = send(destinations?.OnFailure?.Destination);
      out.set(fn.name, {
        host,
        async: (qualifier) => ({
          invoke: (event) => host.invoke(event, qualifier),
          functionArn: `${fn.arn}:${qualifier ?? "$LATEST"}`,
          retries: Number(config?.MaximumRetryAttempts ?? 2),
          ...(deadLetter ? { deadLetter } : {}),
          ...(onSuccess ? { onSuccess } : {}),
          ...(onFailure ? { onFailure } : {}),
        }),
      });
    }
  }
  return out;
}

/**
 * An asynchronous invocation's destination (EventInvokeConfig), sending Lambda's invocation record as
 * the function's role: an SQS queue or an SNS topic gets it as the message, a function as its event
 * (invoked asynchronously). Other kinds (an EventBridge bus, a bucket) are named and not sent.
 */
function recordDestination(
  stack: StackDeployment,
  functionId: string,
  arn: string,
  client: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  functions: ReadonlyMap<string, { async: (qualifier: string | undefined) => AsyncTarget }>,
  notes: Notes,
): ((record: InvocationRecord) => Promise<void>) | undefined {
  const target = stack.byArn(arn);
  switch (target?.type) {
    case "AWS::SQS::Queue":
      return sqsDestination(new SQSClient(client), target.ref);
    case "AWS::SNS::Topic":
      return snsDestination(new SNSClient(client), target.arn);
    default: {
      const named = functionReference(arn).name;
      if (arn.startsWith("arn:aws:lambda:")) {
        return async (record) => {
          const to = functions.get(named);
          if (to) void invokeAsync(to.async(undefined), record, record.requestContext.requestId);
        };
      }
      notes.push(`${functionId}: the destination ${arn} of its asynchronous invocations is not carried out locally`);
      return undefined;
    }
  }
}

/** Each SNS subscription of a function (Protocol lambda), relayed through a queue of the local stack's own. */
async function functionSubscriptions(
  stacks: readonly StackDeployment[],
  targets: ReturnType<typeof asyncTargets>,
  clients: AdminClients,
): Promise<FunctionSubscription[]> {
  const out: FunctionSubscription[] = [];
  for (const stack of stacks) {
    for (const sub of stack.byType("AWS::SNS::Subscription")) {
      if (sub.properties.Protocol !== "lambda") continue;
      const named = functionReference(String(sub.properties.Endpoint));
      const target = targets.get(named.name);
      if (!target) throw new TemplateError(`${sub.logicalId}: its Endpoint names no function of the template`);
      out.push({
        functionName: named.name,
        topicArn: String(sub.properties.TopicArn),
        ...(await relaySubscription(clients, sub)),
        ...target.async(named.qualifier),
      });
    }
  }
  return out;
}
