import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { LOCAL_ACCOUNT } from "../cloudformation/assembly.js";
import { LocalCloudWatch } from "../cloudwatch/cloudwatch.js";
import { type Emulators, LOCAL_REGION, startEmulators } from "../emulators/emulators.js";
import { type Gateway, startGateway } from "../gateway/gateway.js";
import { endpointTls } from "../gateway/tls.js";
import { ADMIN_CREDENTIALS, type ClientConfig } from "../iam/credentials.js";
import { SnsDeliveries } from "../sns/deliveries.js";
import { snsSigner } from "../sns/envelope.js";
import { answer } from "../sns/query.js";
import { LocalSns } from "../sns/sns.js";
import { type LocalStackOptions, logDirOf } from "./options.js";
import type { Parts } from "./stages.js";

// Stages: the endpoint (the gateway, listening), then the services behind the endpoint — the emulators (Kinesis, DynamoDB, SQS, SNS, S3) and the
// local CloudWatch (metrics store, alarms, API) — connected to the gateway, and the account
// administrator's clients through it.

export interface AdminClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly s3: S3Client;
}

/** The administrator's clients of an endpoint (`config()` gives each its own connections). */
export function adminClients(config: () => ClientConfig): AdminClients {
  const dynamodb = new DynamoDBClient(config());
  return {
    kinesis: new KinesisClient({ requestHandler: new NodeHttpHandler(), ...config() }),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: new SQSClient(config()),
    sns: new SNSClient(config()),
    s3: new S3Client(config()),
  };
}

export interface Services {
  readonly emulators: Emulators;
  readonly cloudwatch: LocalCloudWatch;
  /** SNS, answered by the local stack: its topics, subscriptions and deliveries. */
  readonly sns: LocalSns;
  /** Where SNS delivers; the functions stage lets it reach the functions. */
  readonly snsDeliveries: SnsDeliveries;
  readonly region: string;
  /** The account administrator's clients, through the gateway (never faulted, never refused). */
  readonly clients: AdminClients;
}

/** The endpoint first: the gateway listening, its address known to the assembly, its services not yet behind it. */
export async function startEndpoint(parts: Parts, options: LocalStackOptions): Promise<Gateway> {
  const gateway = await startGateway({
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
    ...(options.port === undefined ? {} : { port: options.port }),
    iam: options.iam !== false,
    tls: await endpointTls(options.workDir),
    ...(options.onRefusal ? { onRefusal: options.onRefusal } : {}),
  });
  parts.add(() => gateway.stop());
  return gateway;
}

export async function startServices(parts: Parts, options: LocalStackOptions, gateway: Gateway): Promise<Services> {
  const emulators = await startEmulators({
    logDir: logDirOf(options),
    ...(options.dynamodb === undefined ? {} : { dynamodb: options.dynamodb }),
  });
  parts.add(() => emulators.stop());
  const { region } = emulators;
  const cloudwatch = new LocalCloudWatch({
    region,
    account: LOCAL_ACCOUNT,
    ...(options.alarmTimeScale === undefined ? {} : { timeScale: options.alarmTimeScale }),
    ...(options.onAlarm ? { onAlarm: options.onAlarm } : {}),
  });
  parts.add(() => cloudwatch.stop());
  const snsDeliveries = new SnsDeliveries(
    new SQSClient({ region, endpoint: emulators.endpoints.sqs, credentials: ADMIN_CREDENTIALS }),
    (queueArn) => `${emulators.sqsUrlPrefix}/${LOCAL_ACCOUNT}/${queueArn.slice(queueArn.lastIndexOf(":") + 1)}`,
    cloudwatch.metrics,
    (call) => gateway.decide(call),
  );
  const signer = await snsSigner();
  const sns = new LocalSns({
    region,
    account: LOCAL_ACCOUNT,
    signer,
    origin: () => gateway.url,
    deliveries: snsDeliveries,
  });
  // What a receiver of SNS's messages fetches: the signing certificate, and the unsubscribe link.
  gateway.addPage(signer.certificatePath, () => ({
    status: 200,
    contentType: "application/x-pem-file",
    body: signer.certificate,
  }));
  gateway.addPage("/?Action=Unsubscribe&SubscriptionArn=", (arn) => {
    sns.subscriptions.delete(arn);
    return { status: 200, contentType: "text/xml", body: answer("Unsubscribe", undefined) };
  });
  parts.add(() => sns.delivered());
  gateway.connect({
    sns: (operation, form, caller) => sns.handle(operation, form, caller),
    runtimePolicy: (arn) => sns.topics.get(arn)?.attributes.Policy,
    upstreams: emulators.endpoints,
    sqsUrlPrefix: emulators.sqsUrlPrefix,
    upstreamAccessKeys: { dynamodb: emulators.dynamodbAccessKey },
    cloudwatch: cloudwatch.handle,
    observe: (call, resources, status, answer) => {
      cloudwatch.metrics.call(call, resources, status, answer);
      options.onCall?.(call, Date.now());
    },
  });
  parts.add(() => gateway.disconnect());
  return { emulators, cloudwatch, sns, snsDeliveries, region, clients: adminClients(() => gateway.clientConfig()) };
}
