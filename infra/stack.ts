import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { DynamoCampaignStore } from "../apps/campaign/store.js";
import { SERVER_KEY } from "../apps/cpu/app.js";
import { ZONE_KEY } from "../apps/zones/app.js";
import { DynamoKeyedStore } from "../core/keyed-store.js";
import { logicalIdOf, STREAM_FUNCTIONS, type StreamFunctionName } from "./event-sources.js";
import { functionEnvironments } from "./function-env.js";
import { acknowledge } from "./nag.js";
import type { OutputKey } from "./outputs.js";
import type { StageConfig } from "./stage.js";
import { StreamFunction } from "./stream-function.js";

export interface TripwireStackProps extends StackProps {
  readonly config: StageConfig;
}

/** Tripwire: the ad-campaign and zone-temperature applications, their streams, state and outputs. */
export class TripwireStack extends Stack {
  readonly functions: Record<StreamFunctionName, StreamFunction>;

  constructor(scope: Construct, id: string, props: TripwireStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const key = new kms.Key(this, "DataKey", {
      description: "Tripwire: streams, tables, queues and topic at rest",
      enableKeyRotation: true,
      removalPolicy,
    });
    // SNS encrypts what it delivers into the (encrypted) alert queue with this key.
    key.grantEncryptDecrypt(new iam.ServicePrincipal("sns.amazonaws.com"));

    const tableProps = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    };
    const campaignTable = new dynamodb.Table(this, "CampaignTable", {
      ...tableProps,
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: "expiresAt",
    });
    const zoneTable = new dynamodb.Table(this, "ZoneTable", {
      ...tableProps,
      partitionKey: { name: ZONE_KEY, type: dynamodb.AttributeType.STRING },
    });
    const serverTable = new dynamodb.Table(this, "ServerTable", {
      ...tableProps,
      partitionKey: { name: SERVER_KEY, type: dynamodb.AttributeType.STRING },
    });

    const queueProps = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    };
    const rejectedQueue = new sqs.Queue(this, "RejectedQueue", queueProps);
    acknowledge(
      rejectedQueue,
      "AwsSolutions-SQS3",
      "This queue is itself a dead-letter store: records that cannot be decoded, kept for people to read.",
    );
    const promoDeadLetters = new sqs.Queue(this, "PromoDeadLetterQueue", { ...queueProps, fifo: true });
    // FIFO: the coupon code is the deduplication id, so a coupon re-sent after a crash is dropped.
    const promoQueue = new sqs.Queue(this, "PromoQueue", {
      ...queueProps,
      fifo: true,
      deadLetterQueue: { queue: promoDeadLetters, maxReceiveCount: 5 },
    });

    // FIFO: each alert carries a deduplication id, so an alert re-published from the outbox is dropped.
    const alertTopic = new sns.Topic(this, "AlertTopic", {
      fifo: true,
      masterKey: key,
      enforceSSL: true,
    });
    const alertDeadLetters = new sqs.Queue(this, "AlertDeadLetterQueue", { ...queueProps, fifo: true });
    const alertQueue = new sqs.Queue(this, "AlertQueue", {
      ...queueProps,
      fifo: true,
      deadLetterQueue: { queue: alertDeadLetters, maxReceiveCount: 5 },
    });
    alertTopic.addSubscription(new subscriptions.SqsSubscription(alertQueue, { rawMessageDelivery: true }));

    // The coupon codes' key: generated at deploy, read by the conversions function at cold start.
    const couponSecret = new secretsmanager.Secret(this, "CouponSecret", {
      description: "Tripwire: the key of the coupon codes' MAC (codes stay the same while it does)",
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    acknowledge(
      couponSecret,
      "AwsSolutions-SMG4",
      "Not rotated on purpose: a coupon code is the MAC of (campaign, e-mail) under this key, and issued codes must stay valid.",
    );

    const common = {
      key,
      removalPolicy,
      retentionHours: config.streamRetentionHours,
      shardCount: config.shardCount,
      logRetentionDays: config.logRetentionDays,
    };
    const environments = functionEnvironments(
      {
        campaignTable: campaignTable.tableName,
        zoneTable: zoneTable.tableName,
        promoQueueUrl: promoQueue.queueUrl,
        rejectedQueueUrl: rejectedQueue.queueUrl,
        alertTopicArn: alertTopic.topicArn,
        serverTable: serverTable.tableName,
        couponSecretArn: couponSecret.secretArn,
      },
      config.rules,
    );
    this.functions = Object.fromEntries(
      STREAM_FUNCTIONS.map((name) => [
        name,
        new StreamFunction(this, logicalIdOf(name), {
          ...common,
          handler: name,
          settings: config.eventSources[name],
          environment: environments[name],
        }),
      ]),
    ) as Record<StreamFunctionName, StreamFunction>;
    const { loyalty, conversions, readings, cpu } = this.functions;
    const all = Object.values(this.functions);

    // Least privilege: each function gets the calls it makes, on the resources it makes them on, as
    // declared by the store adapter that makes them (test/integration/iam.test.ts holds them to the calls).
    grantItems(campaignTable, loyalty, [...DynamoCampaignStore.actions.loyalty]);
    grantItems(campaignTable, conversions, [...DynamoCampaignStore.actions.conversions]);
    grantItems(zoneTable, readings, [...DynamoKeyedStore.actions]);
    grantItems(serverTable, cpu, [...DynamoKeyedStore.actions]);
    for (const f of all) rejectedQueue.grantSendMessages(f.fn);
    promoQueue.grantSendMessages(conversions.fn);
    couponSecret.grantRead(conversions.fn);
    alertTopic.grantPublish(readings.fn);
    alertTopic.grantPublish(cpu.fn);

    const alarms = all.flatMap((f) => f.alarms);
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
    for (const [name, table] of [
      ["Campaign", campaignTable],
      ["Zone", zoneTable],
      ["Server", serverTable],
    ] as const) {
      alarms.push(
        new cloudwatch.Alarm(this, `${name}TableThrottleAlarm`, {
          alarmDescription: `${name} table requests are throttled`,
          metric: new cloudwatch.MathExpression({
            expression: "r + w",
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
      new cloudwatch.Metric({ namespace: "Tripwire", metricName, dimensionsMap: { service }, statistic: "Sum" });
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
        left: STREAM_FUNCTIONS.map((s) => custom("RecordsProcessed", s)),
        right: STREAM_FUNCTIONS.map((s) => custom("RecordsRejected", s)),
      }),
      new cloudwatch.GraphWidget({
        title: "Coupons and alerts",
        left: [
          custom("CouponsIssued", "conversions"),
          custom("MembersEnrolled", "conversions"),
          custom("AlertsRaised", "readings"),
          custom("AlertsCleared", "readings"),
          custom("AlertsRaised", "cpu"),
          custom("AlertsCleared", "cpu"),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: "Function errors and duration",
        left: all.map((f) => f.fn.metricErrors({ statistic: "Sum" })),
        right: all.map((f) => f.fn.metricDuration({ statistic: "p99" })),
      }),
      new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms, width: 24 }),
    );

    const outputs: Record<OutputKey, string> = {
      LoyaltyStreamName: loyalty.stream.streamName,
      ConversionsStreamName: conversions.stream.streamName,
      ReadingsStreamName: readings.stream.streamName,
      CpuStreamName: cpu.stream.streamName,
      PromoQueueUrl: promoQueue.queueUrl,
      AlertTopicArn: alertTopic.topicArn,
      AlertQueueUrl: alertQueue.queueUrl,
      RejectedQueueUrl: rejectedQueue.queueUrl,
      CouponSecretArn: couponSecret.secretArn,
      CampaignTableName: campaignTable.tableName,
      ZoneTableName: zoneTable.tableName,
      ServerTableName: serverTable.tableName,
      LoyaltyFailureQueueUrl: loyalty.failureQueue.queueUrl,
      ConversionsFailureQueueUrl: conversions.failureQueue.queueUrl,
      ReadingsFailureQueueUrl: readings.failureQueue.queueUrl,
      CpuFailureQueueUrl: cpu.failureQueue.queueUrl,
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}

function grantItems(table: dynamodb.Table, f: StreamFunction, actions: string[]): void {
  table.grant(f.fn, ...actions);
  table.encryptionKey?.grantEncryptDecrypt(f.fn);
}
