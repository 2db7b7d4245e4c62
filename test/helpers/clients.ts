import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Emulators } from "../../local/emulators/emulators.js";

/** Clients bound to the emulators themselves, bypassing the gateway: for the tests of the runner,
 * the producer and the stores, which run on bare emulators without a deployed stack. */
export interface DirectClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

export function directClients(emulators: Pick<Emulators, "endpoints" | "region" | "dynamodbAccessKey">): DirectClients {
  const { endpoints, region } = emulators;
  // The emulators' own access key: DynamoDB Local keeps a database per key, and this set's is theirs.
  const common = { region, credentials: { accessKeyId: emulators.dynamodbAccessKey, secretAccessKey: "test" } };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  return {
    kinesis: new KinesisClient({ ...common, endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() }),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false }),
    sns: new SNSClient({ ...common, endpoint: endpoints.sns }),
  };
}
