import { randomUUID } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamRecord } from "aws-lambda";
import type { FailureRecord } from "../../shared/failure-record.js";

// Where an event-source mapping puts a batch it gave up on (and an asynchronous invocation its
// record), each kind as Lambda writes it: the invocation record as an SQS message or an SNS message; in S3, an object holding the record and
// the batch itself (`payload.Records`), under aws/lambda/<mapping UUID>/<shard>/YYYY/MM/DD/….
// https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html

/** Sends one failed batch's invocation record (the records themselves where the kind keeps them). */
export type FailureDestination = (record: FailureRecord, records: readonly KinesisStreamRecord[]) => Promise<void>;

/** An SQS queue as a destination: the record (a mapping's or an asynchronous invocation's) is the message. */
export function sqsDestination(sqs: SQSClient, queueUrl: string): (record: object) => Promise<void> {
  return async (record) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
  };
}

/** An SNS topic as a destination: the record is the message. */
export function snsDestination(sns: SNSClient, topicArn: string): (record: object) => Promise<void> {
  return async (record) => {
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(record) }));
  };
}

export function s3Destination(s3: S3Client, bucket: string, mappingUuid: string): FailureDestination {
  return async (record, records) => {
    const at = new Date(record.timestamp);
    const day = at.toISOString().slice(0, 10);
    const time = at.toISOString().slice(0, 19).replace(/:/g, ".");
    const key = `aws/lambda/${mappingUuid}/${record.KinesisBatchInfo.shardId}/${day.replace(/-/g, "/")}/${time}-${randomUUID()}`;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify({ ...record, payload: { Records: records } }),
        ContentType: "application/json",
      }),
    );
  };
}
