// The parity suite's CDK app, written as AWS's documentation writes apps (NodejsFunction with its
// defaults, KinesisEventSource, on-failure destinations, grants): one stream, function and mapping
// per fixture (fixtures.ts). Synthesized into its own cdk.out by test/parity/parity.test.ts.
import * as path from "node:path";
import { App, CfnOutput, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kinesis from "aws-cdk-lib/aws-kinesis";
import type { IEventSourceDlq } from "aws-cdk-lib/aws-lambda";
import * as lambda from "aws-cdk-lib/aws-lambda";
import {
  KinesisEventSource,
  S3OnFailureDestination,
  SnsDlq,
  SqsDlq,
  SqsEventSource,
} from "aws-cdk-lib/aws-lambda-event-sources";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import {
  type FanInFixture,
  FIXTURES,
  type Fixture,
  type FunctionFixture,
  type QueueFixture,
  type StreamFixture,
} from "./fixtures";

const app = new App();
const stack = new Stack(app, "Parity");

function fn(id: string, fixture: Exclude<Fixture, FanInFixture>, role?: iam.IRole): NodejsFunction {
  return new NodejsFunction(stack, id, {
    ...(role ? { role } : {}),
    entry: path.join(__dirname, "functions", `${fixture.code}.ts`),
    runtime: lambda.Runtime.NODEJS_22_X,
    timeout: Duration.seconds(("timeoutSeconds" in fixture ? fixture.timeoutSeconds : undefined) ?? 30),
    ...(fixture.kind === "kinesis" && fixture.response !== undefined
      ? { environment: { RESPONSE: fixture.response === "raise" ? "raise" : JSON.stringify(fixture.response) } }
      : {}),
  });
}

/** The mapping's on-failure destination, and where a scenario reads what reached it. */
function onFailure(fixture: StreamFixture): { destination: IEventSourceDlq; readFrom: string } | undefined {
  switch (fixture.onFailure) {
    case "sqs": {
      const queue = new sqs.Queue(stack, `${fixture.id}Dlq`);
      return { destination: new SqsDlq(queue), readFrom: queue.queueUrl };
    }
    case "sns": {
      // SNS's record is read from a queue subscribed to the topic, as LocalStack's test reads it.
      const topic = new sns.Topic(stack, `${fixture.id}Topic`);
      const queue = new sqs.Queue(stack, `${fixture.id}TopicQueue`);
      topic.addSubscription(new subscriptions.SqsSubscription(queue));
      return { destination: new SnsDlq(topic), readFrom: queue.queueUrl };
    }
    case "s3": {
      const bucket = new s3.Bucket(stack, `${fixture.id}Bucket`, { removalPolicy: RemovalPolicy.DESTROY });
      return { destination: new S3OnFailureDestination(bucket), readFrom: bucket.bucketName };
    }
    default:
      return undefined;
  }
}

/** A queue feeding a function (with its dead-letter queue, and a queue for the function's results). */
function queueFixture(fixture: QueueFixture): void {
  const q = fixture.queue;
  const deadLetter = q.maxReceiveCount === undefined ? undefined : new sqs.Queue(stack, `${fixture.id}Dlq`);
  const queue = new sqs.Queue(stack, `${fixture.id}Queue`, {
    ...(q.visibilityTimeoutSeconds === undefined
      ? {}
      : { visibilityTimeout: Duration.seconds(q.visibilityTimeoutSeconds) }),
    ...(deadLetter && q.maxReceiveCount !== undefined
      ? { deadLetterQueue: { queue: deadLetter, maxReceiveCount: q.maxReceiveCount } }
      : {}),
  });
  const f = fn(`${fixture.id}Function`, fixture);
  const results = fixture.results ? new sqs.Queue(stack, `${fixture.id}Results`) : undefined;
  if (results) {
    results.grantSendMessages(f);
    if (fixture.code === "sqs-batch-failure") f.addEnvironment("DESTINATION_QUEUE_URL", results.queueUrl);
  }
  if (fixture.overwriteResult !== undefined) f.addEnvironment("OVERWRITE_RESULT", fixture.overwriteResult);
  const m = fixture.mapping;
  f.addEventSource(
    new SqsEventSource(queue, {
      ...(m.batchSize === undefined ? {} : { batchSize: m.batchSize }),
      ...(m.maxBatchingWindowSeconds === undefined
        ? {}
        : { maxBatchingWindow: Duration.seconds(m.maxBatchingWindowSeconds) }),
      ...(m.reportBatchItemFailures ? { reportBatchItemFailures: true } : {}),
      ...(m.filters ? { filters: m.filters.map((p) => lambda.FilterCriteria.filter(p)) } : {}),
    }),
  );
  // Read by the parity scenarios as a DeployedFixture (test/parity/scenario.ts).
  const deployed = {
    queue: queue.queueUrl,
    functions: [f.functionName],
    ...(results ? { destination: results.queueUrl } : {}),
    ...(deadLetter ? { deadLetter: deadLetter.queueUrl } : {}),
  };
  new CfnOutput(stack, `Fixture${fixture.id}`, { value: stack.toJsonString(deployed) });
}

/** A stream feeding one function or more (with its on-failure destination). */
function streamFixture(fixture: StreamFixture): void {
  const stream = new kinesis.Stream(stack, `${fixture.id}Stream`, { shardCount: 1 });
  const m = fixture.mapping;
  const failure = onFailure(fixture);
  const destination = failure?.destination;
  // Functions on one stream share a role, as LocalStack's test gives them one.
  const role = fixture.alsoFeeds
    ? new iam.Role(stack, `${fixture.id}Role`, {
        assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("service-role/AWSLambdaBasicExecutionRole")],
      })
    : undefined;
  const functions = Array.from({ length: 1 + (fixture.alsoFeeds ?? 0) }, (_, i) =>
    fn(`${fixture.id}Function${i === 0 ? "" : i}`, fixture, role),
  );
  // Read by the parity scenarios as a DeployedFixture (test/parity/scenario.ts).
  const deployed = {
    stream: stream.streamName,
    functions: functions.map((f) => f.functionName),
    ...(failure ? { destination: failure.readFrom } : {}),
  };
  new CfnOutput(stack, `Fixture${fixture.id}`, { value: stack.toJsonString(deployed) });
  for (const f of functions) {
    f.addEventSource(
      new KinesisEventSource(stream, {
        startingPosition: lambda.StartingPosition[m.startingPosition],
        ...(m.batchSize === undefined ? {} : { batchSize: m.batchSize }),
        ...(m.maxBatchingWindowSeconds === undefined
          ? {}
          : { maxBatchingWindow: Duration.seconds(m.maxBatchingWindowSeconds) }),
        ...(m.retryAttempts === undefined ? {} : { retryAttempts: m.retryAttempts }),
        ...(m.maxRecordAgeSeconds === undefined ? {} : { maxRecordAge: Duration.seconds(m.maxRecordAgeSeconds) }),
        ...(m.reportBatchItemFailures ? { reportBatchItemFailures: true } : {}),
        ...(m.bisectBatchOnError ? { bisectBatchOnError: true } : {}),
        ...(m.filters ? { filters: m.filters.map((f) => lambda.FilterCriteria.filter(f)) } : {}),
        ...(destination ? { onFailure: destination } : {}),
      }),
    );
  }
}

/** A function on its own, invoked through Lambda's Invoke. */
function functionFixture(fixture: FunctionFixture): void {
  const f = fn(`${fixture.id}Function`, fixture);
  new CfnOutput(stack, `Fixture${fixture.id}`, { value: stack.toJsonString({ functions: [f.functionName] }) });
}

/** Many streams feeding one function, each by a mapping of its own (TRIM_HORIZON, retried forever). */
function fanInFixture(fixture: FanInFixture): void {
  const f = new NodejsFunction(stack, `${fixture.id}Function`, {
    entry: path.join(__dirname, "functions", "fan-in.ts"),
    runtime: lambda.Runtime.NODEJS_22_X,
    timeout: Duration.seconds(30),
  });
  const streams = Array.from({ length: fixture.streams }, (_, i) => {
    const stream = new kinesis.Stream(stack, `${fixture.id}Stream${i}`, { shardCount: 1 });
    f.addEventSource(
      new KinesisEventSource(stream, { startingPosition: lambda.StartingPosition.TRIM_HORIZON, retryAttempts: -1 }),
    );
    return stream.streamName;
  });
  new CfnOutput(stack, `Fixture${fixture.id}`, { value: stack.toJsonString({ functions: [f.functionName], streams }) });
}

for (const fixture of FIXTURES) {
  if (fixture.kind === "fan-in") fanInFixture(fixture);
  else if (fixture.kind === "kinesis") streamFixture(fixture);
  else if (fixture.kind === "sqs") queueFixture(fixture);
  else functionFixture(fixture);
}
app.synth();
