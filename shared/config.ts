// The environment names every application shares; each application's own are in its folder
// (apps/*/config.ts), read by its function and set by the stack from the same constants.
export const COMMON_ENV = {
  rejectedQueueUrl: "REJECTED_QUEUE_URL",
  alertTopicArn: "ALERT_TOPIC_ARN",
} as const;
