import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kinesis from "aws-cdk-lib/aws-kinesis";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { KinesisEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { NAMESPACE } from "../core/observability.js";
import type { EventSourceSettings } from "./event-sources.js";
import { acknowledge } from "./nag.js";

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
 * The shape every application's streams repeat: an encrypted Kinesis stream feeding a Lambda function through
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
    // A role of its own instead of AWSLambdaBasicExecutionRole: it may write to its log group only.
    const role = new iam.Role(this, "Role", { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") });
    logGroup.grantWrite(role);

    this.fn = new nodejs.NodejsFunction(this, "Function", {
      entry: path.join(root, "functions", `${props.handler}.ts`),
      handler: "handler",
      projectRoot: root,
      depsLockFilePath: path.join(root, "package-lock.json"),
      role,
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
        POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
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

    acknowledge(
      this.failureQueue,
      "AwsSolutions-SQS3",
      "This queue is itself the failure destination (a dead-letter store) of the stream's event source mapping.",
    );
    acknowledge(
      this.fn,
      "AwsSolutions-L1",
      "nodejs22.x is the runtime the project targets and tests on; moving to a newer one is a deliberate change.",
    );
    acknowledge(
      role,
      "AwsSolutions-IAM5[Resource::*]",
      "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions.",
    );
    acknowledge(
      role,
      "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      "CDK's grant on the one data key of this stack (encrypting writes to the encrypted queue, topic and table).",
    );
    acknowledge(
      role,
      "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
      "CDK's grant on the one data key of this stack; scoped to that key's ARN.",
    );
    acknowledge(
      this.stream,
      "AwsSolutions-KDS3",
      "A customer-managed key on purpose: one rotated key for all of the stack's data, under our key policy.",
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
      // A stream function answers with a partial batch response: a record it cannot finish (a refused
      // call, a service error) is handed back to Lambda, and the invocation is not an error. Lambda's
      // Errors alone never saw a role missing a grant (the local stack's alarms showed it), so the
      // alarm adds the records the function handed back (its own metric; FILLed: it is sparse).
      new cloudwatch.Alarm(this, "ErrorsAlarm", {
        alarmDescription: `${props.handler}: the function fails, or hands records back to be retried`,
        metric: new cloudwatch.MathExpression({
          expression: "FILL(errors, 0) + FILL(retried, 0)",
          usingMetrics: {
            errors: this.fn.metricErrors({ statistic: "Sum", period: Duration.minutes(1) }),
            retried: new cloudwatch.Metric({
              namespace: NAMESPACE,
              metricName: "RecordsRetried",
              dimensionsMap: { service: props.handler },
              statistic: "Sum",
              period: Duration.minutes(1),
            }),
          },
          period: Duration.minutes(1),
        }),
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
