import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";

// Every client takes region, credentials and endpoint from the environment: the SDK itself reads
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, so the same code talks to AWS, LocalStack or
// the local emulators without a line of endpoint code here.

const maxAttempts = 3;

/** Kinesis over HTTP/1.1: the SDK's default HTTP/2 handler breaks on plain-http emulator endpoints,
 * and we never use SubscribeToShard, the one call that needs HTTP/2. */
export function kinesisClient(): KinesisClient {
  return new KinesisClient({ maxAttempts, requestHandler: new NodeHttpHandler({ connectionTimeout: 5000 }) });
}

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** SQS client: the queue URLs of AWS, LocalStack and the local stack all work as endpoints. */
export function sqsClient(): SQSClient {
  return new SQSClient({ maxAttempts });
}

export function snsClient(): SNSClient {
  return new SNSClient({ maxAttempts });
}
