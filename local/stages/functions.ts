import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { type ChaosCounts, type ChaosPlan, chaosRandom } from "../chaos.js";
import { functionReference, LOCAL_ACCOUNT, type StackDeployment } from "../cloudformation/assembly.js";
import type { Notes } from "../cloudformation/deploy.js";
import { INVOKE_PATH } from "../contract.js";
import type { Gateway } from "../gateway/gateway.js";
import { accessKeyFor, type ClientConfig, roleCredentials } from "../iam/credentials.js";
import type { RoleIdentity } from "../iam/policy.js";
import { type AsyncTarget, type InvocationRecord, invokeAsync } from "../lambda/async-invoke.js";
import { snsDestination, sqsDestination } from "../lambda/destinations.js";
import { FunctionHost } from "../lambda/function-host.js";
import { findHost, invokeWithLogs } from "../lambda/invoke.js";
import { lambdaInvokeApi } from "../lambda/invoke-api.js";
import { kinesisEventProblem } from "../lambda/kinesis-event.js";
import type { LogEvents } from "../lambda/log-events.js";
import { SnsInvocations } from "../lambda/sns-subscriptions.js";
import type { CheckedAssembly } from "./assembly.js";
import { type LocalStackOptions, logDirOf } from "./options.js";
import type { Services } from "./services.js";
import type { Parts } from "./stages.js";

// Stage: every function of the template in hosts of its own (its bundle, environment, limits and
// role), invoked by the event sources, by Lambda's Invoke on the endpoint and by `npm run invoke`;
// and how each is invoked asynchronously (retries, dead-letter queue, destinations).

/** How a function is invoked: synchronously by its host, asynchronously per qualifier. */
export interface FunctionTarget {
  readonly host: FunctionHost;
  readonly async: (qualifier: string | undefined) => AsyncTarget;
}

/** --chaos: the plan, and the faults injected so far by kind. */
export interface Chaos {
  readonly plan: ChaosPlan;
  readonly counts: ChaosCounts;
}

export interface Functions {
  /** Function hosts by function logical id. */
  readonly hosts: ReadonlyMap<string, FunctionHost>;
  /** Each function's access keys at the gateway, by logical id (watch mode swaps their roles). */
  readonly accessKeys: ReadonlyMap<string, readonly { readonly key: string; readonly faults: boolean }[]>;
  /** Functions by name, as mappings, subscriptions and Invoke name them. */
  readonly targets: ReadonlyMap<string, FunctionTarget>;
  /** The functions SNS invokes for its subscriptions. */
  readonly snsInvocations: SnsInvocations;
}

/** What the functions run on: the deployment, the endpoint, the metrics, where notes go. */
export interface FunctionsDeps {
  readonly assembly: CheckedAssembly;
  readonly gateway: Gateway;
  readonly services: Services;
  readonly notes: Notes;
  /** With --chaos: the plan and where its faults are counted. */
  readonly chaos: Chaos | undefined;
  /** Where each line a function prints goes, as CloudWatch Logs holds it. */
  readonly logs?: LogEvents;
  /** The functions already running (a stack deployed beside them): Invoke and SNS reach both. */
  readonly alongside?: Functions;
}

export function startFunctions(parts: Parts, options: LocalStackOptions, deps: FunctionsDeps): Functions {
  const { gateway, services, assembly } = deps;
  const { cloudwatch, region } = services;
  const logDir = logDirOf(options);
  const hosts = new Map<string, FunctionHost>();
  const accessKeys = new Map<string, { key: string; faults: boolean }[]>();
  for (const stack of assembly.stacks) {
    const identities = assembly.identities.get(stack.stackName) ?? new Map<string, RoleIdentity>();
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
      const logGroup = (p.LoggingConfig as { LogGroup?: string } | undefined)?.LogGroup ?? `/aws/lambda/${fn.name}`;
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
            ...(gateway.caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: gateway.caFile }),
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
          logged: (stream, line) => deps.logs?.add(logGroup, stream, line),
        },
      );
      hosts.set(fn.logicalId, host);
      parts.add(() => host.stop());
    }
  }
  if (options.inspect) findHost(hosts.values(), options.inspect.function).inspect(options.inspect.port);
  if (options.faults) gateway.setFaults(options.faults);
  const chaos = deps.chaos;
  if (chaos) {
    const { plan, counts } = chaos;
    gateway.setFaults({ rate: plan.callFaultRate, faults: plan.callFaults, seed: plan.seed });
    for (const [i, host] of [...hosts.values()].entries()) {
      host.setChaos({
        crashRate: plan.crashRate,
        timeoutRate: plan.timeoutRate,
        random: chaosRandom(plan, i + 1),
        onFault: (kind) => counts.add(kind),
      });
    }
  }
  const own = asyncTargets(assembly.stacks, hosts, gateway, deps.notes);
  const targets = new Map([...(deps.alongside?.targets ?? []), ...own]);
  gateway.setLambda(lambdaInvokeApi((name) => targets.get(name), { region, account: LOCAL_ACCOUNT }));
  // SNS's subscriptions of functions reach them from now on.
  const snsInvocations = new SnsInvocations(
    (name, qualifier) => targets.get(name)?.async(qualifier),
    options.subscriptions ?? {},
  );
  const before = services.snsDeliveries.functions;
  services.snsDeliveries.functions = snsInvocations.deliver;
  parts.add(() => {
    services.snsDeliveries.functions = before;
  });
  // `npm run invoke` against this stack: one invocation of a function, with its log lines.
  gateway.addRoute(INVOKE_PATH, async (name, body) => {
    const event = JSON.parse(body.toString("utf8")) as unknown;
    const problem = kinesisEventProblem(event);
    if (problem) return { status: 400, body: { error: problem } };
    const all = [...hosts.values(), ...(deps.alongside?.hosts.values() ?? [])];
    return { status: 200, body: await invokeWithLogs(findHost(all, name), event) };
  });
  return { hosts, accessKeys, targets, snsInvocations };
}

/**
 * How each function is invoked asynchronously (an SNS subscription's event, an Invoke of type Event):
 * retried twice, then to its dead-letter queue (DeadLetterConfig, an SQS queue) as its role.
 */
function asyncTargets(
  stacks: readonly StackDeployment[],
  hosts: ReadonlyMap<string, FunctionHost>,
  gateway: Gateway,
  notes: Notes,
): Map<string, FunctionTarget> {
  const out = new Map<string, FunctionTarget>();
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
      const client = gateway.clientConfig(roleCredentials(stack.stackName, fn.logicalId));
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
  client: ClientConfig,
  functions: ReadonlyMap<string, FunctionTarget>,
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
