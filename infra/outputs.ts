/** The stack's outputs: the CDK stack declares exactly these, and the local stack writes them too. */
export const OUTPUT_KEYS = [
  "LoyaltyStreamName",
  "ConversionsStreamName",
  "ReadingsStreamName",
  "CpuStreamName",
  "PromoQueueUrl",
  "AlertTopicArn",
  "AlertQueueUrl",
  "RejectedQueueUrl",
  "CouponSecretArn",
  "CampaignTableName",
  "ZoneTableName",
  "ServerTableName",
  "LoyaltyFailureQueueUrl",
  "ConversionsFailureQueueUrl",
  "ReadingsFailureQueueUrl",
  "CpuFailureQueueUrl",
] as const;

export type OutputKey = (typeof OUTPUT_KEYS)[number];
export type StackOutputs = Record<OutputKey, string>;

export const STACK_NAME = "Tripwire";
