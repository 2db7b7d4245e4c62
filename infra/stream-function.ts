import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as kinesis from "aws-cdk-lib/aws-kinesis";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { KinesisEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { EventSourceSettings } from "./event-sources.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface StreamFunctionProps {
  /** The handler module under functions/, without extension. */
  readonly handler: string;
  readonly streamName?: string;
  readonly shardCount: number | undefined;
  readonly retentionHours: number;
  readonly settings: EventSourceSettings;
  readonly environment: Record<string, string>;
  readonly key: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetentionDays: number;
}

/**
 * The shape both applications repeat: an encrypted Kinesis stream feeding a Lambda function through
 * an event source mapping with partial batch responses, bisection, bounded retries and record age,
 * and an encrypted SQS failure destination; with the alarms that say it is falling behind or failing.
 */
export class StreamFunction extends Construct {
  readonly stream: kinesis.Stream;
  readonly fn: nodejs.NodejsFunction;
  readonly failureQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: StreamFunctionProps) {
    super(scope, id);
    const { settings } = props;
    this.stream = new kinesis.Stream(this, "Stream", {
      streamName: props.streamName,
      ...(props.shardCount === undefined
        ? { streamMode: kinesis.StreamMode.ON_DEMAND }
        : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: props.shardCount }),
      retentionPeriod: Duration.hours(props.retentionHours),
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
    });

    this.failureQueue = new sqs.Queue(this, "FailureQueue", {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });

    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });

    this.fn = new nodejs.NodejsFunction(this, "Function", {
      entry: path.join(root, "functions", `${props.handler}.ts`),
      handler: "handler",
      projectRoot: root,
      depsLockFilePath: path.join(root, "package-lock.json"),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(60),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.handler,
        POWERTOOLS_METRICS_NAMESPACE: "Tripwire",
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: "node22",
        minify: true,
        sourceMap: true,
        mainFields: ["module", "main"],
        // Some dependencies still call require(); give the ESM bundle one.
        banner:
          "import { createRequire as __tripwireRequire } from 'node:module'; const require = __tripwireRequire(import.meta.url);",
        forceDockerBundling: false,
      },
    });

    this.fn.addEventSource(
      new KinesisEventSource(this.stream, {
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
        startingPosition: lambda.StartingPosition[settings.startingPosition],
        bisectBatchOnError: settings.bisectBatchOnError,
        retryAttempts: settings.retryAttempts,
        maxRecordAge: Duration.seconds(settings.maxRecordAgeSeconds),
        reportBatchItemFailures: settings.reportBatchItemFailures,
        parallelizationFactor: settings.parallelizationFactor,
        onFailure: new SqsDlq(this.failureQueue),
      }),
    );

    this.alarms.push(
      new cloudwatch.Alarm(this, "IteratorAgeAlarm", {
        alarmDescription: `${props.handler}: the function is falling behind its stream`,
        metric: this.stream.metricGetRecordsIteratorAgeMilliseconds({
          statistic: "Maximum",
          period: Duration.minutes(1),
        }),
        threshold: 60_000,
        evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, "ReadThrottleAlarm", {
        alarmDescription: `${props.handler}: reads from the stream are throttled`,
        metric: this.stream.metricReadProvisionedThroughputExceeded({ statistic: "Sum", period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, "ErrorsAlarm", {
        alarmDescription: `${props.handler}: the function fails`,
        metric: this.fn.metricErrors({ statistic: "Sum", period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, "FailureDestinationAlarm", {
        alarmDescription: `${props.handler}: records landed in the failure destination`,
        metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
