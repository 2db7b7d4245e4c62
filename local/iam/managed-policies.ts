// AWS managed policies, as AWS publishes them: the documents a role's ManagedPolicyArns attach,
// evaluated like its inline policies. Read from the AWS Managed Policy reference
// (docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html), each at its default version.
// A policy AWS edits later is read again; one not here stops the start with its name.

/** When these documents were read. */
export const MANAGED_POLICIES_READ_ON = "2026-12-03";

interface ManagedPolicy {
  readonly version: string;
  readonly document: { readonly Version: string; readonly Statement: readonly Record<string, unknown>[] };
}

const LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"];
const allow = (actions: string[], sid?: string) => ({
  Version: "2012-10-17",
  Statement: [{ ...(sid ? { Sid: sid } : {}), Effect: "Allow", Action: actions, Resource: "*" }],
});

/** By the path after `arn:<partition>:iam::aws:policy/`. */
export const MANAGED_POLICIES: Readonly<Record<string, ManagedPolicy>> = {
  "service-role/AWSLambdaBasicExecutionRole": { version: "v1", document: allow(LOGS) },
  "service-role/AWSLambdaKinesisExecutionRole": {
    version: "v2",
    document: allow([
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
      "kinesis:ListStreams",
      "kinesis:SubscribeToShard",
      ...LOGS,
    ]),
  },
  "service-role/AWSLambdaDynamoDBExecutionRole": {
    version: "v1",
    document: allow([
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
      ...LOGS,
    ]),
  },
  "service-role/AWSLambdaSQSQueueExecutionRole": {
    version: "v1",
    document: allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", ...LOGS]),
  },
  AWSXRayDaemonWriteAccess: {
    version: "v2",
    document: allow(
      [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
      ],
      "AWSXRayDaemonWriteAccess",
    ),
  },
  "service-role/AWSLambdaVPCAccessExecutionRole": {
    version: "v3",
    document: allow(
      [
        ...LOGS,
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      "AWSLambdaVPCAccessExecutionPermissions",
    ),
  },
  // What `cdk bootstrap` gives CloudFormation's execution role when no policy is named.
  AdministratorAccess: { version: "v1", document: allow(["*"]) },
  // `cdk bootstrap`'s lookup role. AWS's policy lists each service's read verbs; these are the same
  // verbs for every service (a read-only role of the template reads what it would read in an account).
  ReadOnlyAccess: {
    version: "v121",
    document: allow(["*:Describe*", "*:Get*", "*:List*", "*:BatchGet*", "*:Query", "*:Scan", "*:Select*"]),
  },
  // `cdk bootstrap`'s deployment role.
  AWSCloudFormationReadOnlyAccess: {
    version: "v3",
    document: allow([
      "cloudformation:Describe*",
      "cloudformation:EstimateTemplateCost",
      "cloudformation:Get*",
      "cloudformation:List*",
      "cloudformation:ValidateTemplate",
      "cloudformation:Detect*",
    ]),
  },
};

/** The path of an AWS managed policy's ARN (`service-role/AWSLambdaBasicExecutionRole`), or undefined for another ARN. */
export function awsManagedPolicyPath(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
}
