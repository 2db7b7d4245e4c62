import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { chaosRandom, reshardNowAndThen } from "../chaos.js";
import { type StackDeployment, stableId } from "../cloudformation/assembly.js";
import { TemplateError } from "../cloudformation/intrinsics.js";
import type { Gateway } from "../gateway/gateway.js";
import { type ClientConfig, roleCredentials } from "../iam/credentials.js";
import { type FailureDestination, s3Destination, snsDestination, sqsDestination } from "../lambda/destinations.js";
import { EventSourceRunner, type Mapping } from "../lambda/kinesis-poller.js";
import { type QueueMapping, QueuePoller } from "../lambda/sqs-poller.js";
import type { CheckedAssembly } from "./assembly.js";
import type { Chaos, Functions } from "./functions.js";
import type { LocalStackOptions } from "./options.js";
import type { Services } from "./services.js";
import type { Parts } from "./stages.js";

// Stage: what invokes the functions as an account's event-source mappings do — each Kinesis and SQS
// mapping of the template polled with its settings (as the function's role) — and, with chaos, the
// streams resharded now and then. (SNS invokes its subscribed functions itself: local/sns.)

export interface EventSources {
  readonly runner: EventSourceRunner | undefined;
  /** The SQS queues' mappings, polled (none: undefined). */
  readonly queues: QueuePoller | undefined;
  /** Every mapping as it runs, by UUID (Lambda's API reads and updates them). */
  readonly running: ReadonlyMap<string, RunningMapping>;
}

/** A mapping as the runner or the queue poller runs it: what UpdateEventSourceMapping changes. */
export type RunningMapping =
  | { readonly kind: "stream"; readonly mapping: Mapping }
  | { readonly kind: "queue"; readonly mapping: QueueMapping };

/** What the event sources feed and read through. */
export interface EventSourcesDeps {
  readonly assembly: CheckedAssembly;
  readonly functions: Functions;
  /** The endpoint the mappings' clients call, as the functions' roles. */
  readonly gateway: Gateway;
  readonly services: Services;
  readonly chaos: Chaos | undefined;
}

export async function startEventSources(
  parts: Parts,
  options: LocalStackOptions,
  deps: EventSourcesDeps,
): Promise<EventSources> {
  const { region, clients } = deps.services;
  const { streams, queues } = readMappings(deps);
  const plan = deps.chaos?.plan;
  const counts = deps.chaos?.counts;
  if (plan) {
    const resharding = reshardNowAndThen(
      clients.kinesis,
      [...new Set(streams.map((m) => m.streamName))],
      plan.reshardEveryMs,
      chaosRandom(plan, 0),
      () => counts?.add("resharded"),
      (err) => options.runner?.onPollError?.("(chaos)", "(UpdateShardCount)", err),
    );
    parts.add(() => resharding.stop());
  }
  const runner = new EventSourceRunner(streams, {
    region,
    ...options.runner,
    ...(plan
      ? {
          duplicateRate: plan.duplicateRate,
          raceRate: plan.raceRate,
          random: chaosRandom(plan, 1000),
          onDuplicate: (kind: "twice" | "raced") => counts?.add(kind),
        }
      : {}),
  });
  parts.add(() => runner.stop());
  await runner.start();

  let poller: QueuePoller | undefined;
  if (queues.length > 0) {
    const started = new QueuePoller(queues, { region, ...options.queues });
    started.start();
    parts.add(() => started.stop());
    poller = started;
  }
  const running = new Map<string, RunningMapping>([
    ...streams.map((m): [string, RunningMapping] => [m.uuid ?? "", { kind: "stream", mapping: m }]),
    ...queues.map((m): [string, RunningMapping] => [m.uuid ?? "", { kind: "queue", mapping: m }]),
  ]);
  return { runner, queues: poller, running };
}

/** The template's event-source mappings: a stream's (or its consumer's) and a queue's, each as its function's role. */
function readMappings(deps: EventSourcesDeps): { streams: Mapping[]; queues: QueueMapping[] } {
  const streams: Mapping[] = [];
  const queues: QueueMapping[] = [];
  for (const m of deps.assembly.mappings) {
    const { fn, source, qualifier, stack } = m;
    const host = deps.functions.targets.get(fn.name)?.host;
    if (!host) continue;
    const common = deps.gateway.clientConfig(roleCredentials(stack.stackName, fn.logicalId));
    if (m.kind === "queue") {
      queues.push({
        ...m.spec,
        uuid: m.mapping.ref,
        enabled: m.enabled,
        functionName: fn.name,
        queueName: source.name,
        queueArn: source.arn,
        queueUrl: source.ref,
        fifo: m.fifo,
        invoke: (event) => host.invoke(event, qualifier),
        warm: () => host.warm(),
        sqs: new SQSClient(common),
      });
      continue;
    }
    const { spec } = m;
    const destination =
      spec.destinationArn === undefined
        ? undefined
        : failureDestination(stack, m.mapping.logicalId, spec.destinationArn, common);
    streams.push({
      uuid: m.mapping.ref,
      enabled: m.enabled,
      functionName: fn.name,
      functionArn: fn.arn,
      streamName: source.name,
      streamArn: source.arn,
      invoke: (event) => host.invoke(event, qualifier),
      settings: spec.settings,
      filters: spec.filters,
      tumblingWindowSeconds: spec.tumblingWindowSeconds,
      ...(spec.startingTimestampMs === undefined ? {} : { startingTimestampMs: spec.startingTimestampMs }),
      ...(destination ? { destination } : {}),
      kinesis: new KinesisClient({
        requestHandler: new NodeHttpHandler(),
        ...deps.gateway.clientConfig(roleCredentials(stack.stackName, fn.logicalId)),
      }),
      roleArn: String(fn.properties.Role),
    });
  }
  return { streams, queues };
}

/** A mapping's on-failure destination of the template — a queue, a topic or a bucket — written as the mapping's role. */
function failureDestination(
  stack: StackDeployment,
  mappingId: string,
  arn: string,
  client: ClientConfig,
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
