import type { EventSourceSettings } from "../../infra/event-sources.js";
import {
  consumedStreamArn,
  functionReference,
  type Resource,
  type StackDeployment,
} from "../cloudformation/assembly.js";
import { TemplateError } from "../cloudformation/intrinsics.js";
import { parseFilterCriteria } from "./filters.js";

// An AWS::Lambda::EventSourceMapping, read as Lambda reads it: of a Kinesis stream, its settings
// with Lambda's defaults for what the template leaves out, its filters, its tumbling window and its
// on-failure destination; of an SQS queue, its batch, window, filters and scaling. What the local
// runner cannot honour, or Lambda would refuse, stops the start, by name.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-eventsourcemapping.html

export interface MappingSpec {
  readonly settings: EventSourceSettings;
  /** Lambda's filter patterns (FilterCriteria); none: every record goes to the function. */
  readonly filters: ReturnType<typeof parseFilterCriteria>;
  /** TumblingWindowInSeconds; 0: no window. */
  readonly tumblingWindowSeconds: number;
  /** AT_TIMESTAMP's time (epoch ms). */
  readonly startingTimestampMs?: number;
  /** The on-failure destination's ARN (an SQS queue, an SNS topic or an S3 bucket). */
  readonly destinationArn?: string;
}

/** The largest values Lambda takes. */
const MAX_PARALLELIZATION = 10;
const MAX_WINDOW_SECONDS = 900;

/** Properties only a queue's mapping takes (Lambda refuses them on a stream's). */
const QUEUE_ONLY = ["ScalingConfig"];

export function mappingSpec(r: Resource): MappingSpec {
  const p = r.properties;
  const where = r.logicalId;
  const queueOnly = QUEUE_ONLY.filter((k) => p[k] !== undefined);
  if (queueOnly.length > 0) {
    throw new TemplateError(`${where}: ${queueOnly.join(", ")} belong to a queue's mapping, not a stream's`);
  }
  const parallelization = Number(p.ParallelizationFactor ?? 1);
  if (!Number.isInteger(parallelization) || parallelization < 1 || parallelization > MAX_PARALLELIZATION) {
    throw new TemplateError(
      `${where}: ParallelizationFactor ${p.ParallelizationFactor} must be 1 to ${MAX_PARALLELIZATION}`,
    );
  }
  const window = Number(p.TumblingWindowInSeconds ?? 0);
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW_SECONDS) {
    throw new TemplateError(
      `${where}: TumblingWindowInSeconds ${p.TumblingWindowInSeconds} must be 0 to ${MAX_WINDOW_SECONDS}`,
    );
  }
  if (window > 0 && parallelization > 1) {
    // A window's state is per shard; with several batches of a shard at once the local runner
    // would have to say whose state is whose, which Lambda's documentation does not.
    throw new TemplateError(
      `${where}: TumblingWindowInSeconds with a ParallelizationFactor above 1 is not honoured by the local stack`,
    );
  }
  const position = String(p.StartingPosition ?? "");
  if (position !== "TRIM_HORIZON" && position !== "LATEST" && position !== "AT_TIMESTAMP") {
    throw new TemplateError(`${where}: StartingPosition ${position || "(none)"} is not one Kinesis takes`);
  }
  const timestamp = p.StartingPositionTimestamp;
  if (position === "AT_TIMESTAMP" && typeof timestamp !== "number") {
    throw new TemplateError(`${where}: StartingPosition AT_TIMESTAMP needs a StartingPositionTimestamp`);
  }
  const destination = (p.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure
    ?.Destination;
  return {
    settings: {
      batchSize: Number(p.BatchSize ?? 100),
      maxBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
      startingPosition: position,
      bisectBatchOnError: p.BisectBatchOnFunctionError === true,
      retryAttempts: Number(p.MaximumRetryAttempts ?? -1),
      maxRecordAgeSeconds: Number(p.MaximumRecordAgeInSeconds ?? -1),
      reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
        "ReportBatchItemFailures",
      ),
      parallelizationFactor: parallelization,
    },
    filters: parseFilterCriteria(p.FilterCriteria, where),
    tumblingWindowSeconds: window,
    ...(typeof timestamp === "number" ? { startingTimestampMs: timestamp * 1000 } : {}),
    ...(destination === undefined ? {} : { destinationArn: destination }),
  };
}

/** How an SQS queue feeds a function. */
export interface QueueMappingSpec {
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Batches under way at once: ScalingConfig.MaximumConcurrency, or the five pollers Lambda starts with. */
  readonly concurrency: number;
  readonly filters: ReturnType<typeof parseFilterCriteria>;
}

/** Properties only a stream's mapping takes (Lambda refuses them on a queue's). */
const STREAM_ONLY = [
  "StartingPosition",
  "StartingPositionTimestamp",
  "BisectBatchOnFunctionError",
  "MaximumRetryAttempts",
  "MaximumRecordAgeInSeconds",
  "ParallelizationFactor",
  "DestinationConfig",
  "TumblingWindowInSeconds",
];

/** Lambda's first pollers of a queue; it scales past them, which one machine has no need to. */
const QUEUE_POLLERS = 5;

export function queueMappingSpec(r: Resource, fifo: boolean): QueueMappingSpec {
  const p = r.properties;
  const where = r.logicalId;
  const streamOnly = STREAM_ONLY.filter((k) => p[k] !== undefined);
  if (streamOnly.length > 0) {
    throw new TemplateError(`${where}: ${streamOnly.join(", ")} belong to a stream's mapping, not a queue's`);
  }
  const batchSize = Number(p.BatchSize ?? 10);
  const maxBatch = fifo ? 10 : 10_000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > maxBatch) {
    throw new TemplateError(`${where}: BatchSize ${p.BatchSize} must be 1 to ${maxBatch} for this queue`);
  }
  const window = Number(p.MaximumBatchingWindowInSeconds ?? 0);
  if (batchSize > 10 && window < 1) {
    throw new TemplateError(`${where}: a BatchSize above 10 needs a MaximumBatchingWindowInSeconds of at least 1`);
  }
  const maximum = (p.ScalingConfig as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency;
  if (maximum !== undefined && (!Number.isInteger(Number(maximum)) || Number(maximum) < 2)) {
    throw new TemplateError(`${where}: ScalingConfig.MaximumConcurrency ${maximum} must be 2 or more`);
  }
  return {
    batchSize,
    maxBatchingWindowSeconds: window,
    reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
      "ReportBatchItemFailures",
    ),
    concurrency: Math.min(QUEUE_POLLERS, maximum === undefined ? QUEUE_POLLERS : Number(maximum)),
    filters: parseFilterCriteria(p.FilterCriteria, where),
  };
}

/** A mapping of the template, resolved: the function it feeds (and the qualifier it names), its source and its settings. */
export type TemplateMapping = {
  readonly mapping: Resource;
  /** Enabled in the template (false: created switched off; UpdateEventSourceMapping may switch it on). */
  readonly enabled: boolean;
  readonly fn: Resource;
  readonly qualifier: string | undefined;
  readonly source: Resource;
} & (
  | { readonly kind: "stream"; readonly spec: MappingSpec }
  | { readonly kind: "queue"; readonly fifo: boolean; readonly spec: QueueMappingSpec }
);

/**
 * Every event-source mapping of a stack, read and checked (a switched-off one too, as Lambda checks
 * it): each must feed a function of the template from a Kinesis stream (or an enhanced fan-out
 * consumer of one) or an SQS queue.
 */
export function templateMappings(stack: StackDeployment): TemplateMapping[] {
  return stack.byType("AWS::Lambda::EventSourceMapping").flatMap((m): TemplateMapping[] => {
    const enabled = m.properties.Enabled !== false && m.properties.Enabled !== "false";
    // A mapping may name the function, its ARN, or a version or alias of it.
    const target = functionReference(String(m.properties.FunctionName));
    const fn = stack.resources.find((r) => r.type === "AWS::Lambda::Function" && r.name === target.name);
    // An enhanced fan-out consumer's mapping reads its stream (polled here, with the role's stream grants).
    const source = stack.byArn(consumedStreamArn(String(m.properties.EventSourceArn)));
    if (!fn || (source?.type !== "AWS::Kinesis::Stream" && source?.type !== "AWS::SQS::Queue")) {
      throw new TemplateError(
        `${m.logicalId}: only Kinesis streams and SQS queues feeding a function of the template are run locally`,
      );
    }
    const common = { mapping: m, enabled, fn, qualifier: target.qualifier, source };
    if (source.type === "AWS::Kinesis::Stream") return [{ ...common, kind: "stream", spec: mappingSpec(m) }];
    const fifo = source.properties.FifoQueue === true || source.properties.FifoQueue === "true";
    return [{ ...common, kind: "queue", fifo, spec: queueMappingSpec(m, fifo) }];
  });
}

/** An SNS subscription of a function, and the function (and qualifier) it names. */
export interface FunctionSubscriptionOf {
  readonly subscription: Resource;
  readonly functionName: string;
  readonly qualifier: string | undefined;
}

/** Every SNS subscription of a function (Protocol lambda) in the stacks, checked to name a function of theirs. */
export function functionSubscriptionsOf(stacks: readonly StackDeployment[]): FunctionSubscriptionOf[] {
  const names = new Set(stacks.flatMap((s) => s.byType("AWS::Lambda::Function").map((f) => f.name)));
  return stacks.flatMap((stack) =>
    stack
      .byType("AWS::SNS::Subscription")
      .filter((sub) => sub.properties.Protocol === "lambda")
      .map((subscription) => {
        const named = functionReference(String(subscription.properties.Endpoint));
        if (!names.has(named.name)) {
          throw new TemplateError(`${subscription.logicalId}: its Endpoint names no function of the template`);
        }
        return { subscription, functionName: named.name, qualifier: named.qualifier };
      }),
  );
}
