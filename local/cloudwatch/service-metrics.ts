import { LOCAL_VERSION } from "../cloudformation/assembly.js";
import type { AwsRequest } from "../iam/request.js";
import type { Dimension, MetricStore } from "./metric-store.js";

// The metrics AWS's services publish, made from what the local stack sees: the function host's
// invocations, the gateway's calls (with their answers), the queues sampled once a minute and the
// functions' own embedded-metric-format log lines. Names, namespaces, dimensions and units are AWS's.
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
// https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html

const dims = (entries: Record<string, string>): Dimension[] =>
  Object.entries(entries).map(([Name, Value]) => ({ Name, Value }));

const THROTTLED = new Set(["ProvisionedThroughputExceededException", "ThrottlingException", "Throttling"]);
const DYNAMO_WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]);

export class ServiceMetrics {
  constructor(readonly store: MetricStore) {}

  private put(namespace: string, name: string, d: Record<string, string>, value: number, unit: string, t = Date.now()) {
    this.store.put({ namespace, name, dimensions: dims(d) }, value, t, unit);
  }

  /**
   * One invocation of a function: Invocations, Errors (0 or 1), Duration; IteratorAge for a stream's
   * batch. Through a version or an alias (`qualifier`) also by Resource (`name:qualifier`) and by
   * ExecutedVersion, as Lambda publishes them.
   */
  invocation(
    functionName: string,
    o: { durationMs: number; error: boolean; iteratorAgeMs?: number; qualifier?: string },
  ): void {
    const dimensionSets: Record<string, string>[] = [
      { FunctionName: functionName },
      ...(o.qualifier === undefined
        ? []
        : [
            { FunctionName: functionName, Resource: `${functionName}:${o.qualifier}` },
            { FunctionName: functionName, ExecutedVersion: LOCAL_VERSION },
          ]),
    ];
    for (const d of dimensionSets) {
      this.put("AWS/Lambda", "Invocations", d, 1, "Count");
      this.put("AWS/Lambda", "Errors", d, o.error ? 1 : 0, "Count");
      this.put("AWS/Lambda", "Duration", d, o.durationMs, "Milliseconds");
      if (o.iteratorAgeMs !== undefined) this.put("AWS/Lambda", "IteratorAge", d, o.iteratorAgeMs, "Milliseconds");
    }
  }

  /** Invocations under way when one starts (its Maximum is Lambda's ConcurrentExecutions). */
  concurrency(functionName: string, running: number): void {
    this.put("AWS/Lambda", "ConcurrentExecutions", { FunctionName: functionName }, running, "Count");
  }

  /** An invocation past the function's reserved concurrency. */
  throttle(functionName: string): void {
    this.put("AWS/Lambda", "Throttles", { FunctionName: functionName }, 1, "Count");
  }

  /** One of SNS's metrics of a topic (published, delivered, failed, filtered out, publish size). */
  sns(name: string, topicName: string, value: number): void {
    this.put("AWS/SNS", name, { TopicName: topicName }, value, name === "PublishSize" ? "Bytes" : "Count");
  }

  /** Items DynamoDB's time to live deleted from a table. */
  ttlDeleted(tableName: string, n: number): void {
    this.put("AWS/DynamoDB", "TimeToLiveDeletedItemCount", { TableName: tableName }, n, "Count");
  }

  /** Messages sent to a queue (by a caller, or by SNS delivering to it). */
  queueSent(queueName: string, n: number): void {
    this.put("AWS/SQS", "NumberOfMessagesSent", { QueueName: queueName }, n, "Count");
  }

  /** A queue's depth, sampled (SQS publishes it once a minute). */
  queue(queueName: string, a: { visible: number; notVisible: number; oldestAgeSeconds?: number }): void {
    const d = { QueueName: queueName };
    this.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", d, a.visible, "Count");
    this.put("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", d, a.notVisible, "Count");
    if (a.oldestAgeSeconds !== undefined)
      this.put("AWS/SQS", "ApproximateAgeOfOldestMessage", d, a.oldestAgeSeconds, "Seconds");
  }

  /**
   * A call through the gateway, with the status and body it was answered with (or the error code of
   * a refusal or an injected fault), and the resources it named.
   */
  call(call: AwsRequest, resources: readonly string[], status: number, answer: string): void {
    const json = parseJson(answer);
    const errorCode = status >= 400 ? errorCodeOf(json, answer) : undefined;
    const name = (arn: string | undefined) => arn?.slice(arn.lastIndexOf("/") + 1) ?? "";
    const op = call.operation;
    switch (call.service) {
      case "kinesis": {
        const StreamName = /:stream\/([^/]+)$/.exec(resources[0] ?? "")?.[1];
        if (StreamName === undefined) return;
        const d = { StreamName };
        const throttled = errorCode === "ProvisionedThroughputExceededException" ? 1 : 0;
        if (op === "PutRecord" || op === "PutRecords") {
          this.put("AWS/Kinesis", "WriteProvisionedThroughputExceeded", d, throttled, "Count");
          if (errorCode !== undefined) return;
          const records =
            op === "PutRecord"
              ? [call.json ?? {}]
              : ((call.json?.Records as Record<string, unknown>[] | undefined) ?? []).filter(
                  (_, i) => ((json?.Records as { ErrorCode?: string }[] | undefined)?.[i]?.ErrorCode ?? "") === "",
                );
          const bytes = records.reduce((n, r) => n + Buffer.from(String(r.Data ?? ""), "base64").length, 0);
          this.put("AWS/Kinesis", "IncomingRecords", d, records.length, "Count");
          this.put("AWS/Kinesis", "IncomingBytes", d, bytes, "Bytes");
          if (op === "PutRecords") {
            const total = ((call.json?.Records as unknown[] | undefined) ?? []).length;
            this.put("AWS/Kinesis", "PutRecords.TotalRecords", d, total, "Count");
            this.put("AWS/Kinesis", "PutRecords.SuccessfulRecords", d, records.length, "Count");
            this.put("AWS/Kinesis", "PutRecords.FailedRecords", d, total - records.length, "Count");
          }
        } else if (op === "GetRecords") {
          this.put("AWS/Kinesis", "ReadProvisionedThroughputExceeded", d, throttled, "Count");
          if (errorCode !== undefined) return;
          const got = (json?.Records as { ApproximateArrivalTimestamp?: number }[] | undefined) ?? [];
          const last = got.at(-1)?.ApproximateArrivalTimestamp;
          // The age of the last record a GetRecords call returned; zero when it returned none.
          const age = last === undefined ? 0 : Math.max(0, Date.now() - last * 1000);
          this.put("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", d, age, "Milliseconds");
          this.put("AWS/Kinesis", "GetRecords.Records", d, got.length, "Count");
          this.put("AWS/Kinesis", "GetRecords.Success", d, 1, "Count");
        }
        return;
      }
      case "dynamodb": {
        const tables = resources.map((r) => name(r.split("/index/")[0])).filter((t) => t !== "" && t !== "*");
        const write = DYNAMO_WRITES.has(op);
        if (errorCode !== undefined && THROTTLED.has(errorCode)) {
          for (const TableName of tables) {
            this.put("AWS/DynamoDB", "ThrottledRequests", { TableName, Operation: op }, 1, "Count");
            this.put("AWS/DynamoDB", write ? "WriteThrottleEvents" : "ReadThrottleEvents", { TableName }, 1, "Count");
          }
          return;
        }
        if (errorCode === "ConditionalCheckFailedException") {
          for (const TableName of tables)
            this.put("AWS/DynamoDB", "ConditionalCheckFailedRequests", { TableName }, 1, "Count");
          return;
        }
        const consumed = [json?.ConsumedCapacity ?? []].flat() as { TableName?: string; CapacityUnits?: number }[];
        for (const c of consumed) {
          if (c.TableName === undefined || c.CapacityUnits === undefined) continue;
          const metric = write ? "ConsumedWriteCapacityUnits" : "ConsumedReadCapacityUnits";
          this.put("AWS/DynamoDB", metric, { TableName: c.TableName }, c.CapacityUnits, "Count");
        }
        return;
      }
      case "sqs": {
        if (errorCode !== undefined) return;
        const QueueName = (resources[0] ?? "").split(":").at(-1) ?? "";
        const entries = ((call.json?.Entries as unknown[] | undefined) ?? []).length;
        if (op === "SendMessage" || op === "SendMessageBatch")
          this.queueSent(QueueName, op === "SendMessage" ? 1 : entries);
        if (op === "DeleteMessage" || op === "DeleteMessageBatch")
          this.put("AWS/SQS", "NumberOfMessagesDeleted", { QueueName }, op === "DeleteMessage" ? 1 : entries, "Count");
        return;
      }
      default:
        return;
    }
  }

  /**
   * A function's log line in the embedded metric format: each metric of each directive recorded
   * under each of its dimension sets, as CloudWatch Logs extracts them.
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
   */
  emf(line: string): void {
    if (!line.includes('"_aws"')) return;
    const doc = parseJson(line);
    const meta = doc?._aws as
      | {
          Timestamp?: number;
          CloudWatchMetrics?: {
            Namespace: string;
            Dimensions?: string[][];
            Metrics: { Name: string; Unit?: string }[];
          }[];
        }
      | undefined;
    if (!doc || !meta?.CloudWatchMetrics) return;
    const t = typeof meta.Timestamp === "number" ? meta.Timestamp : Date.now();
    for (const directive of meta.CloudWatchMetrics) {
      const sets = directive.Dimensions && directive.Dimensions.length > 0 ? directive.Dimensions : [[]];
      for (const metric of directive.Metrics) {
        const raw = doc[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === "number");
        for (const set of sets) {
          const d = Object.fromEntries(set.map((k) => [k, String(doc[k] ?? "")]));
          for (const v of values) this.put(directive.Namespace, metric.Name, d, v, metric.Unit ?? "None", t);
        }
      }
    }
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The error code of a JSON error (`__type`, after its namespace) or of a query protocol's XML. */
function errorCodeOf(json: Record<string, unknown> | undefined, text: string): string {
  const type = json?.__type;
  if (typeof type === "string") return type.slice(type.lastIndexOf("#") + 1);
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? "UnknownError";
}
