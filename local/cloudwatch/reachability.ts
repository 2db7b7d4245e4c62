import type { Resource, StackDeployment } from "../cloudformation/assembly.js";
import { alarmDefinition, metricsRead } from "./alarm-evaluation.js";
import type { MetricId } from "./metric-store.js";

// An alarm that watches a metric nothing emits never fires — in an account as here — and nobody
// finds out until the outage it was meant to catch. The AWS services' metrics are known: their
// names, and the dimension that names the resource they are about. An alarm on one of them whose
// metric name, dimension or resource matches nothing in the template can never fire; it is named
// when the stack starts, and a test holds the project's own template to having none.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/aws-services-cloudwatch-metrics.html

interface ServiceMetrics {
  /** The dimension naming the resource, and the template type whose name it takes. */
  readonly dimension: string;
  readonly type: string;
  /** Other dimensions its metrics may carry. */
  readonly optional?: readonly string[];
  readonly metrics: ReadonlySet<string>;
}

const SERVICES: Readonly<Record<string, ServiceMetrics>> = {
  "AWS/Lambda": {
    dimension: "FunctionName",
    type: "AWS::Lambda::Function",
    optional: ["Resource", "ExecutedVersion"],
    metrics: new Set([
      "Invocations",
      "Errors",
      "Duration",
      "Throttles",
      "IteratorAge",
      "ConcurrentExecutions",
      "DeadLetterErrors",
      "DestinationDeliveryFailures",
      "UnreservedConcurrentExecutions",
      "ClaimedAccountConcurrency",
      "PostRuntimeExtensionsDuration",
      "RecursiveInvocationsDropped",
    ]),
  },
  "AWS/Kinesis": {
    dimension: "StreamName",
    type: "AWS::Kinesis::Stream",
    optional: ["ShardId", "ConsumerName"],
    metrics: new Set([
      "GetRecords.Bytes",
      "GetRecords.IteratorAgeMilliseconds",
      "GetRecords.Latency",
      "GetRecords.Records",
      "GetRecords.Success",
      "IncomingBytes",
      "IncomingRecords",
      "PutRecord.Bytes",
      "PutRecord.Latency",
      "PutRecord.Success",
      "PutRecords.Bytes",
      "PutRecords.Latency",
      "PutRecords.Records",
      "PutRecords.Success",
      "PutRecords.TotalRecords",
      "PutRecords.SuccessfulRecords",
      "PutRecords.FailedRecords",
      "PutRecords.ThrottledRecords",
      "ReadProvisionedThroughputExceeded",
      "WriteProvisionedThroughputExceeded",
      "SubscribeToShard.RateExceeded",
      "SubscribeToShard.Success",
      "SubscribeToShardEvent.Bytes",
      "SubscribeToShardEvent.MillisBehindLatest",
      "SubscribeToShardEvent.Records",
      "SubscribeToShardEvent.Success",
    ]),
  },
  "AWS/SQS": {
    dimension: "QueueName",
    type: "AWS::SQS::Queue",
    metrics: new Set([
      "ApproximateAgeOfOldestMessage",
      "ApproximateNumberOfMessagesDelayed",
      "ApproximateNumberOfMessagesNotVisible",
      "ApproximateNumberOfMessagesVisible",
      "NumberOfEmptyReceives",
      "NumberOfDeduplicatedSentMessages",
      "NumberOfMessagesDeleted",
      "NumberOfMessagesReceived",
      "NumberOfMessagesSent",
      "SentMessageSize",
    ]),
  },
  "AWS/DynamoDB": {
    dimension: "TableName",
    type: "AWS::DynamoDB::Table",
    optional: ["Operation", "GlobalSecondaryIndexName", "StreamLabel", "ReceivingRegion"],
    metrics: new Set([
      "ConditionalCheckFailedRequests",
      "ConsumedReadCapacityUnits",
      "ConsumedWriteCapacityUnits",
      "ProvisionedReadCapacityUnits",
      "ProvisionedWriteCapacityUnits",
      "ReadThrottleEvents",
      "WriteThrottleEvents",
      "ThrottledRequests",
      "ReturnedItemCount",
      "SuccessfulRequestLatency",
      "SystemErrors",
      "UserErrors",
      "TimeToLiveDeletedItemCount",
      "OnlineIndexThrottleEvents",
      "ReadAccountLimitThrottleEvents",
      "WriteAccountLimitThrottleEvents",
      "ReadMaxOnDemandThroughputThrottleEvents",
      "WriteMaxOnDemandThroughputThrottleEvents",
      "ReadProvisionedThroughputThrottleEvents",
      "WriteProvisionedThroughputThrottleEvents",
    ]),
  },
  "AWS/SNS": {
    dimension: "TopicName",
    type: "AWS::SNS::Topic",
    metrics: new Set([
      "NumberOfMessagesPublished",
      "NumberOfNotificationsDelivered",
      "NumberOfNotificationsFailed",
      "NumberOfNotificationsFilteredOut",
      "PublishSize",
    ]),
  },
};

type MetricRef = MetricId;

/** The metrics an alarm reads: its own, or those of its metric math (none known when it is not one CloudWatch's evaluator reads). */
function metricsOf(alarm: Resource): MetricRef[] {
  try {
    return metricsRead(alarmDefinition(alarm)).map((m) => m.metric);
  } catch {
    return []; // named at start as not run, with why
  }
}

/** Why a metric matches nothing the stack emits, or undefined when it may. */
function whyNot(metric: MetricRef, stack: StackDeployment): string | undefined {
  const service = SERVICES[metric.namespace];
  // Other namespaces (a function's own, through embedded metrics) are judged when they are emitted.
  if (!service) return undefined;
  if (!service.metrics.has(metric.name)) return `${metric.namespace} publishes no metric ${metric.name}`;
  for (const d of metric.dimensions) {
    if (d.Name !== service.dimension && !(service.optional ?? []).includes(d.Name)) {
      return `${metric.namespace} ${metric.name} has no dimension ${d.Name}`;
    }
  }
  const named = metric.dimensions.find((d) => d.Name === service.dimension);
  const candidates = [
    ...stack.byType(service.type),
    ...(service.type === "AWS::DynamoDB::Table" ? stack.byType("AWS::DynamoDB::GlobalTable") : []),
  ];
  if (named && !candidates.some((r) => r.name === String(named.Value))) {
    return `its ${service.dimension} ${named.Value} names no ${service.type} of the template`;
  }
  return undefined;
}

/** The template's alarms that can never fire, each with why. */
export function unreachableAlarms(stack: StackDeployment): { alarm: string; why: string }[] {
  return stack.alarms.flatMap((alarm) => {
    for (const metric of metricsOf(alarm)) {
      const why = whyNot(metric, stack);
      if (why) return [{ alarm: alarm.logicalId, why }];
    }
    return [];
  });
}
