import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { APPS, logicalIdOf, type OutputKey } from "../apps/index.js";
import type { AppManifest } from "../apps/manifest.js";
import { NAMESPACE } from "../core/observability.js";
import { COMMON_ENV } from "../shared/config.js";
import { acknowledge } from "./nag.js";
import type { StageConfig } from "./stage.js";
import { StreamFunction } from "./stream-function.js";

export interface TripwireStackProps extends StackProps {
  readonly config: StageConfig;
  /** Reads the CDK context (`-c NAME=…`): the applications' settings. */
  readonly context?: (name: string) => unknown;
}

/**
 * Tripwire: for every application of apps/index.ts, its table, its streams with their functions,
 * mappings and failure destinations, and its own resources; beside them what they share — the data
 * key, the rejected-records queue, the alert topic and its queue — with alarms and a dashboard.
 */
export class TripwireStack extends Stack {
  /** Per stream name. */
  readonly functions: Record<string, StreamFunction> = {};

  constructor(scope: Construct, id: string, props: TripwireStackProps) {
    super(scope, id, props);
    const { config } = props;
    const context = props.context ?? (() => undefined);
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const key = new kms.Key(this, "DataKey", {
      description: "Tripwire: streams, tables, queues and topic at rest",
      enableKeyRotation: true,
      removalPolicy,
    });
    // SNS delivering into the (encrypted) alert queue needs this key: SqsSubscription adds that one grant to its policy.

    const queueDefaults = { encryptionMasterKey: key, enforceSSL: true as const, retentionPeriod: Duration.days(14) };
    const queueProps = { ...queueDefaults, encryption: sqs.QueueEncryption.KMS, removalPolicy };
    const rejectedQueue = new sqs.Queue(this, "RejectedQueue", queueProps);
    acknowledge(
      rejectedQueue,
      "AwsSolutions-SQS3",
      "This queue is itself a dead-letter store: records that cannot be decoded, kept for people to read.",
    );

    // FIFO: each alert carries a deduplication id, so an alert re-published from the outbox is dropped.
    const alertTopic = new sns.Topic(this, "AlertTopic", { fifo: true, masterKey: key, enforceSSL: true });
    const alertDeadLetters = new sqs.Queue(this, "AlertDeadLetterQueue", { ...queueProps, fifo: true });
    const alertQueue = new sqs.Queue(this, "AlertQueue", {
      ...queueProps,
      fifo: true,
      deadLetterQueue: { queue: alertDeadLetters, maxReceiveCount: 5 },
    });
    alertTopic.addSubscription(new subscriptions.SqsSubscription(alertQueue, { rawMessageDelivery: true }));

    const outputs: Partial<Record<OutputKey, string>> = {
      AlertTopicArn: alertTopic.topicArn,
      AlertQueueUrl: alertQueue.queueUrl,
      RejectedQueueUrl: rejectedQueue.queueUrl,
    };
    const alarms: cloudwatch.Alarm[] = [];
    const tables: [string, dynamodb.Table][] = [];
    const outputMetrics: [metric: string, service: string][] = [];

    for (const app of APPS as readonly AppManifest[]) {
      const table = new dynamodb.Table(this, app.table.id, {
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: key,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy,
        partitionKey: { name: app.table.key, type: dynamodb.AttributeType.STRING },
        ...(app.table.ttl ? { timeToLiveAttribute: app.table.ttl } : {}),
      });
      tables.push([app.table.id.replace(/Table$/, ""), table]);
      outputs[`${app.table.id}Name` as OutputKey] = table.tableName;
      const own = app.resources?.({ scope: this, key, removalPolicy, queueDefaults }) ?? {};
      for (const [name, value] of Object.entries(own.outputs ?? {})) outputs[name as OutputKey] = value;
      for (const [construct, rule, reason] of own.acknowledgements ?? []) acknowledge(construct, rule, reason);
      alarms.push(...(own.alarms ?? []));
      const settings = app.settings?.(context) ?? {};

      for (const stream of app.streams) {
        const f = new StreamFunction(this, logicalIdOf(stream.name), {
          key,
          removalPolicy,
          retentionHours: config.streamRetentionHours,
          shardCount: config.shardCount,
          logRetentionDays: config.logRetentionDays,
          handler: stream.name,
          settings: config.eventSources[stream.name] ?? missing(stream.name),
          environment: {
            [COMMON_ENV.rejectedQueueUrl]: rejectedQueue.queueUrl,
            [app.table.env]: table.tableName,
            ...(app.alerts ? { [COMMON_ENV.alertTopicArn]: alertTopic.topicArn } : {}),
            ...settings,
            ...own.environment?.[stream.name],
          },
        });
        this.functions[stream.name] = f;
        // Least privilege: each function gets the calls it makes, on the resources it makes them on, as
        // declared by the store adapter that makes them (test/integration/iam.test.ts holds them to the calls).
        table.grant(f.fn, ...stream.tableActions);
        table.encryptionKey?.grantEncryptDecrypt(f.fn);
        rejectedQueue.grantSendMessages(f.fn);
        if (app.alerts) alertTopic.grantPublish(f.fn);
        own.grant?.(stream.name, f.fn);
        alarms.push(...f.alarms);
        for (const metric of stream.outputMetrics) outputMetrics.push([metric, stream.name]);
        outputs[`${logicalIdOf(stream.name)}StreamName` as OutputKey] = f.stream.streamName;
        outputs[`${logicalIdOf(stream.name)}FailureQueueUrl` as OutputKey] = f.failureQueue.queueUrl;
      }
    }
    const all = Object.values(this.functions);

    alarms.push(
      new cloudwatch.Alarm(this, "RejectedRecordsAlarm", {
        alarmDescription: "Records were rejected as bad input: see the rejected-records queue",
        metric: rejectedQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const [name, table] of tables) {
      alarms.push(
        new cloudwatch.Alarm(this, `${name}TableThrottleAlarm`, {
          alarmDescription: `${name} table requests are throttled`,
          metric: new cloudwatch.MathExpression({
            // DynamoDB publishes a throttle metric only when there are throttles. Metric math counts
            // a missing value as 0 against the other series; FILL makes it explicit, and makes a
            // minute without throttles a data point of 0 rather than none.
            expression: "FILL(r, 0) + FILL(w, 0)",
            usingMetrics: {
              r: table.metric("ReadThrottleEvents", { statistic: "Sum", period: Duration.minutes(1) }),
              w: table.metric("WriteThrottleEvents", { statistic: "Sum", period: Duration.minutes(1) }),
            },
            period: Duration.minutes(1),
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const dashboard = new cloudwatch.Dashboard(this, "Dashboard", { dashboardName: `Tripwire-${config.stage}` });
    const custom = (metricName: string, service: string) =>
      new cloudwatch.Metric({ namespace: NAMESPACE, metricName, dimensionsMap: { service }, statistic: "Sum" });
    const streams = Object.keys(this.functions);
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Records in (per stream)",
        left: all.map((f) => f.stream.metricIncomingRecords({ statistic: "Sum" })),
      }),
      new cloudwatch.GraphWidget({
        title: "Iterator age (ms)",
        left: all.map((f) => f.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: "Maximum" })),
      }),
      new cloudwatch.GraphWidget({
        title: "Processed / rejected",
        left: streams.map((s) => custom("RecordsProcessed", s)),
        right: streams.map((s) => custom("RecordsRejected", s)),
      }),
      new cloudwatch.GraphWidget({
        title: "Coupons and alerts",
        left: outputMetrics.map(([metric, service]) => custom(metric, service)),
      }),
      new cloudwatch.GraphWidget({
        title: "Function errors and duration",
        left: all.map((f) => f.fn.metricErrors({ statistic: "Sum" })),
        right: all.map((f) => f.fn.metricDuration({ statistic: "p99" })),
      }),
      new cloudwatch.SingleValueWidget({
        title: "Records processed (last 5 minutes)",
        metrics: streams.map((s) => custom("RecordsProcessed", s).with({ period: Duration.minutes(5) })),
        width: 24,
        height: 3,
      }),
      new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms, width: 24 }),
      new cloudwatch.TextWidget({
        markdown:
          "Records that cannot be decoded are in the rejected-records queue, with a reason; records a function " +
          "gave up on are in its failure queue. `npm run status -- APP` shows what the applications hold.",
        width: 24,
        height: 2,
      }),
    );

    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}

function missing(stream: string): never {
  throw new Error(`no event-source settings for the stream "${stream}"`);
}
