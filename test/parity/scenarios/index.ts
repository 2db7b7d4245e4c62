import type { Scenario } from "../scenario.js";
import { CLOUDWATCH_SCENARIOS } from "./cloudwatch.js";
import { DYNAMODB_SCENARIOS } from "./dynamodb.js";
import { KINESIS_API_SCENARIOS } from "./kinesis-api.js";
import { KINESIS_MAPPING_SCENARIOS } from "./kinesis-mapping.js";
import { LAMBDA_INVOKE_SCENARIOS } from "./lambda-invoke.js";
import { SNS_SCENARIOS } from "./sns.js";
import { SQS_MAPPING_SCENARIOS } from "./sqs-mapping.js";

/** Every parity scenario, by family. */
export const SCENARIOS: readonly Scenario[] = [
  ...KINESIS_MAPPING_SCENARIOS,
  ...SNS_SCENARIOS,
  ...DYNAMODB_SCENARIOS,
  ...SQS_MAPPING_SCENARIOS,
  ...KINESIS_API_SCENARIOS,
  ...CLOUDWATCH_SCENARIOS,
  ...LAMBDA_INVOKE_SCENARIOS,
];
