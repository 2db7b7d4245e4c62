import type { Service } from "./request.js";

// What a call on an encrypted resource asks of KMS, per service as AWS documents it: the KMS
// actions the caller (or the service principal delivering) must be allowed on the resource's key,
// and how the service answers when they are not.
// Kinesis: https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html
// SQS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
// SNS: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
// Secrets Manager: https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
// DynamoDB: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
// S3: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html

const WRITE_AND_READ = ["kms:GenerateDataKey", "kms:Decrypt"];

/** The KMS actions an operation needs on its resource's key (none: it uses no key). */
const KEY_USE: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  kinesis: { PutRecord: ["kms:GenerateDataKey"], PutRecords: ["kms:GenerateDataKey"], GetRecords: ["kms:Decrypt"] },
  sqs: {
    SendMessage: WRITE_AND_READ,
    SendMessageBatch: WRITE_AND_READ,
    ReceiveMessage: ["kms:Decrypt"],
  },
  sns: { Publish: WRITE_AND_READ, PublishBatch: WRITE_AND_READ },
  secretsmanager: { GetSecretValue: ["kms:Decrypt"], PutSecretValue: ["kms:GenerateDataKey"] },
  // A table's key is decrypted for every read and write of its items.
  dynamodb: Object.fromEntries(
    [
      "GetItem",
      "PutItem",
      "UpdateItem",
      "DeleteItem",
      "BatchGetItem",
      "BatchWriteItem",
      "Query",
      "Scan",
      "TransactGetItems",
      "TransactWriteItems",
      "ExecuteStatement",
      "BatchExecuteStatement",
    ].map((op) => [op, ["kms:Decrypt"]]),
  ),
  s3: { PutObject: ["kms:GenerateDataKey"], CopyObject: WRITE_AND_READ, GetObject: ["kms:Decrypt"] },
};

export function kmsActionsFor(service: Service, operation: string): readonly string[] {
  return KEY_USE[service]?.[operation] ?? [];
}

/** How each service answers a call whose key use KMS refused: status, error code and message. */
export function kmsRefusal(
  service: Service,
  kmsMessage: string,
): { status: number; code: string; queryCode?: string; message: string } {
  const detailed = `${kmsMessage} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)`;
  switch (service) {
    case "sqs":
      return { status: 400, code: "KmsAccessDenied", queryCode: "KMS.AccessDeniedException", message: detailed };
    case "kinesis":
      return { status: 400, code: "KMSAccessDeniedException", message: detailed };
    case "sns":
      return { status: 400, code: "KMSAccessDenied", message: detailed };
    case "secretsmanager":
      return { status: 400, code: "AccessDeniedException", message: "Access to KMS is not allowed" };
    case "s3":
      return { status: 403, code: "AccessDenied", message: kmsMessage };
    default:
      return { status: 400, code: "AccessDeniedException", message: kmsMessage };
  }
}
