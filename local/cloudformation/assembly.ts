import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { condition, pseudoParameters, resolve, type Scope, TemplateError } from "./intrinsics.js";

// A synthesized cloud assembly (`cdk synth`'s cdk.out), read as `cdk deploy` reads it: each stack's
// template with its intrinsic functions resolved against local physical names, ARNs and URLs, and
// each function's asset bundle. What the local stack creates and runs comes from here and nowhere else.

export const LOCAL_ACCOUNT = "000000000000";

/** Resource types the local stack creates and runs. */
/** A stream consumer's creation time in its ARN: fixed, so a re-synthesized template names it alike. */
const CONSUMER_CREATED = 1_700_000_000;

/** The stream an enhanced fan-out consumer's ARN (`…:stream/NAME/consumer/CONSUMER:TIME`) reads; other ARNs as they are. */
export function consumedStreamArn(arn: string): string {
  const at = arn.indexOf("/consumer/");
  return arn.startsWith("arn:aws:kinesis:") && at > 0 ? arn.slice(0, at) : arn;
}

/** The one published version of a function locally (its qualified ARNs and metrics name it). */
export const LOCAL_VERSION = "1";

/**
 * A function's name, and its qualifier (a version or an alias) if any, from what names it — its
 * name, its ARN, a partial ARN or a qualified one (`name:live`, `arn:…:function:name:1`) — as
 * Lambda reads FunctionName.
 */
export function functionReference(nameOrArn: string): { name: string; qualifier?: string } {
  const parts = nameOrArn.split(":");
  // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q], ACCOUNT:function:NAME[:Q] (a partial ARN), NAME[:Q].
  const at = parts[0] === "arn" ? 6 : parts[1] === "function" ? 2 : 0;
  const [name, qualifier] = [parts[at], parts[at + 1]];
  return { name: name ?? nameOrArn, ...(qualifier ? { qualifier } : {}) };
}

const ALARMS = new Set(["AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"]);

const EMULATED = new Set([
  "AWS::Kinesis::Stream",
  "AWS::DynamoDB::Table",
  "AWS::DynamoDB::GlobalTable",
  "AWS::SQS::Queue",
  "AWS::SNS::Topic",
  "AWS::SNS::Subscription",
  "AWS::Lambda::Function",
  "AWS::Lambda::EventSourceMapping",
  "AWS::Lambda::EventInvokeConfig",
  "AWS::IAM::Role",
  "AWS::IAM::Policy",
  "AWS::IAM::ManagedPolicy",
  "AWS::SecretsManager::Secret",
  "AWS::S3::Bucket",
  // Answered by the control plane (local/control): SSM's GetParameter(s).
  "AWS::SSM::Parameter",
  // Decided, not created: the resource-based and key policies every call is held to (local/iam/).
  "AWS::KMS::Key",
  "AWS::KMS::Alias",
  "AWS::SQS::QueuePolicy",
  "AWS::SNS::TopicPolicy",
  "AWS::S3::BucketPolicy",
  "AWS::Lambda::Permission",
  "AWS::Kinesis::ResourcePolicy",
  "AWS::SecretsManager::ResourcePolicy",
]);

/** Resource types with no local meaning, and why; named once when the stack starts. */
export const NOT_EMULATED: Readonly<Record<string, string>> = {
  "AWS::Logs::LogGroup": "function logs go to files under the work directory",
  "AWS::CDK::Metadata": "CDK's own bookkeeping",
  "AWS::ECR::Repository": "container images are not run locally: functions run from their zip bundles",
  "AWS::CloudFormation::CustomResource": "custom resources' providers run at deploy time in an account, not locally",
  "AWS::Kinesis::StreamConsumer":
    "an enhanced fan-out consumer's mapping polls its stream locally (no throughput of its own to reserve)",
  "AWS::Lambda::Version":
    "one version of each function runs locally: a mapping on a version or an alias feeds the function; provisioned concurrency has no local meaning",
  "AWS::Lambda::Alias":
    "one version of each function runs locally: a mapping on a version or an alias feeds the function; provisioned concurrency has no local meaning",
};

/** What both kinds of DynamoDB table declare and the local table is made of. */
const TABLE_PROPERTIES = [
  "TableName",
  "AttributeDefinitions",
  "KeySchema",
  "BillingMode",
  "TimeToLiveSpecification",
  "GlobalSecondaryIndexes",
  "LocalSecondaryIndexes",
];

/**
 * The properties of each emulated type that the local stack honours or knowingly leaves to the
 * account (KMS, tracing, point-in-time recovery: `ignored`). Any other property stops the start.
 */
const PROPERTIES: Readonly<Record<string, { honoured: string[]; ignored?: string[] }>> = {
  "AWS::Kinesis::Stream": {
    honoured: ["Name", "ShardCount", "StreamModeDetails", "RetentionPeriodHours", "StreamEncryption", "Tags"],
  },
  "AWS::DynamoDB::Table": {
    // Throughput is kept by the table; the emulator does not throttle at it.
    honoured: [...TABLE_PROPERTIES, "ProvisionedThroughput", "SSESpecification", "Tags"],
    // Streams of a table feed DynamoDB event sources, which the local stack does not run (a mapping
    // on one stops the start); the table itself works without.
    ignored: ["PointInTimeRecoverySpecification", "StreamSpecification", "DeletionProtectionEnabled", "TableClass"],
  },
  // CDK's TableV2: one table here (replicas are other regions' copies of it).
  "AWS::DynamoDB::GlobalTable": {
    honoured: [...TABLE_PROPERTIES, "Replicas", "WriteProvisionedThroughputSettings", "SSESpecification"],
    ignored: ["StreamSpecification", "Tags"],
  },

  "AWS::SQS::Queue": {
    honoured: [
      "QueueName",
      "FifoQueue",
      "ContentBasedDeduplication",
      "RedrivePolicy",
      "VisibilityTimeout",
      "MessageRetentionPeriod",
      "DelaySeconds",
      "MaximumMessageSize",
      "ReceiveMessageWaitTimeSeconds",
      "KmsMasterKeyId",
      "SqsManagedSseEnabled",
      "Tags",
    ],
    // How long SQS reuses a data key: fewer KMS calls in an account, the same permissions needed.
    ignored: ["KmsDataKeyReusePeriodSeconds"],
  },
  "AWS::SNS::Topic": {
    honoured: ["TopicName", "FifoTopic", "ContentBasedDeduplication", "KmsMasterKeyId", "Tags"],
  },
  "AWS::SNS::Subscription": {
    honoured: ["TopicArn", "Protocol", "Endpoint", "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope"],
  },
  "AWS::Lambda::Function": {
    honoured: [
      "Code",
      "Handler",
      "Runtime",
      "Environment",
      "MemorySize",
      "Timeout",
      "Role",
      "FunctionName",
      "ReservedConcurrentExecutions",
      "DeadLetterConfig",
    ],
    // arm64: the bundles are JavaScript without native code, so they run the same on this machine.
    // (DeadLetterConfig, honoured: where an asynchronous invocation — an SNS subscription's — goes when
    // its retries fail; a mapping's failures go to the mapping's own destination.)
    ignored: ["Architectures", "LoggingConfig", "TracingConfig", "Tags", "Description"],
  },
  // Read by the function's asynchronous invocations (local/lambda/async-invoke.ts).
  "AWS::Lambda::EventInvokeConfig": {
    honoured: ["FunctionName", "Qualifier", "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"],
  },
  "AWS::Lambda::EventSourceMapping": {
    honoured: [
      "EventSourceArn",
      "FunctionName",
      "BatchSize",
      "MaximumBatchingWindowInSeconds",
      "StartingPosition",
      "BisectBatchOnFunctionError",
      "MaximumRetryAttempts",
      "MaximumRecordAgeInSeconds",
      "FunctionResponseTypes",
      "ParallelizationFactor",
      "DestinationConfig",
      "Enabled",
      "FilterCriteria",
      "TumblingWindowInSeconds",
      "StartingPositionTimestamp",
      "ScalingConfig",
    ],
    // Encrypting the filter criteria at rest, and the mapping's own CloudWatch metrics.
    ignored: ["KmsKeyArn", "MetricsConfig", "Tags"],
  },
  "AWS::S3::Bucket": {
    honoured: ["BucketName", "BucketEncryption", "Tags"],
    ignored: [
      // Public access and ACLs concern callers outside the account; every call here is the account's.
      "AccessControl",
      "PublicAccessBlockConfiguration",
      "OwnershipControls",
      "VersioningConfiguration",
      "LifecycleConfiguration",
    ],
  },
  "AWS::IAM::Role": {
    honoured: ["AssumeRolePolicyDocument", "Policies", "RoleName", "ManagedPolicyArns"],
    ignored: ["Description", "Tags"],
  },
  "AWS::IAM::Policy": { honoured: ["PolicyDocument", "PolicyName", "Roles"] },
  "AWS::IAM::ManagedPolicy": {
    honoured: ["PolicyDocument", "ManagedPolicyName", "Roles", "Description", "Path"],
    // Groups and users are not identities of the local stack's calls.
    ignored: ["Groups", "Users"],
  },
  "AWS::SecretsManager::Secret": {
    honoured: ["Name", "Description", "GenerateSecretString", "SecretString", "KmsKeyId", "Tags"],
  },
  "AWS::KMS::Key": {
    honoured: ["KeyPolicy", "Enabled", "Tags"],
    // Rotation, the key's spec and its deletion window change nothing a call is decided on.
    ignored: [
      "Description",
      "EnableKeyRotation",
      "RotationPeriodInDays",
      "KeySpec",
      "KeyUsage",
      "MultiRegion",
      "PendingWindowInDays",
      "BypassPolicyLockoutSafetyCheck",
    ],
  },
  "AWS::KMS::Alias": { honoured: ["AliasName", "TargetKeyId"] },
  "AWS::SSM::Parameter": {
    honoured: ["Name", "Type", "Value", "Description", "DataType"],
    // Limits on values set later, and an advanced parameter's tier, change nothing a read answers.
    ignored: ["AllowedPattern", "Tier", "Policies", "Tags"],
  },
  "AWS::SQS::QueuePolicy": { honoured: ["PolicyDocument", "Queues"] },
  "AWS::SNS::TopicPolicy": { honoured: ["PolicyDocument", "Topics"] },
  "AWS::S3::BucketPolicy": { honoured: ["Bucket", "PolicyDocument"] },
  "AWS::Lambda::Permission": {
    honoured: ["Action", "FunctionName", "Principal", "SourceArn", "SourceAccount", "PrincipalOrgID"],
    // Function URLs and Alexa skills do not call functions locally.
    ignored: ["FunctionUrlAuthType", "EventSourceToken", "InvokedViaFunctionUrl"],
  },
  "AWS::Kinesis::ResourcePolicy": { honoured: ["ResourceArn", "ResourcePolicy"] },
  "AWS::SecretsManager::ResourcePolicy": {
    honoured: ["SecretId", "ResourcePolicy"],
    // Refusing a public policy is the deploy's check; the policy itself is decided.
    ignored: ["BlockPublicPolicy"],
  },
};

interface RawResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface RawTemplate {
  readonly Resources: Record<string, RawResource>;
  readonly Description?: string;
  readonly Outputs?: Record<string, { Value: unknown; Condition?: string; Description?: string }>;
  readonly Parameters?: Record<string, { Type?: string; Default?: unknown; Description?: string }>;
  readonly Conditions?: Record<string, unknown>;
}

export interface Resource {
  readonly logicalId: string;
  readonly type: string;
  /** Properties with every intrinsic resolved. */
  readonly properties: Record<string, unknown>;
  /** The physical name (Ref of a stream, table, function, role; the queue's name). */
  readonly name: string;
  readonly arn: string;
  /** What `Ref` gives for it (a queue's URL, a topic's ARN, otherwise the name). */
  readonly ref: string;
}

export interface StackDeployment {
  readonly stackName: string;
  /** The template as synthesized, before anything is resolved (CloudFormation's GetTemplate). */
  readonly template: RawTemplate;
  readonly region: string;
  readonly account: string;
  readonly resources: readonly Resource[];
  /** The template's Outputs, resolved. */
  readonly outputs: Record<string, string>;
  /** The types present that the local stack does not emulate, with the reason. */
  readonly notEmulated: Record<string, string>;
  /** A function's bundle directory, by the function's logical id. */
  readonly bundles: Record<string, string>;
  byType(type: string): Resource[];
  /** The template's CloudWatch alarms, metric and composite, resolved (run by the local CloudWatch). */
  readonly alarms: readonly Resource[];
  /** The template's CloudWatch dashboards, resolved (drawn by the local dashboard page). */
  readonly dashboards: readonly Resource[];
  byLogicalId(id: string): Resource;
  /** The resource whose ARN (or queue URL) this is. */
  byArn(arn: string): Resource | undefined;
}

export interface AssemblyOptions {
  readonly region: string;
  /** Where queue URLs point: the gateway's origin (`http://127.0.0.1:PORT`). */
  readonly endpoint: string;
  /** The stack's parameter values, as a deployment passes them (a parameter not given takes its Default). */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** The stacks of a cloud assembly directory, as `cdk deploy --app DIR` deploys them. */
export function readAssembly(dir: string, options: AssemblyOptions): StackDeployment[] {
  const manifestFile = path.join(dir, "manifest.json");
  if (!existsSync(manifestFile)) throw new TemplateError(`${dir} is not a cloud assembly (no manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string }; dependencies?: string[] }>;
  };
  const artifacts = Object.entries(manifest.artifacts ?? {});
  const stacks = artifacts.filter(([, a]) => a.type === "aws:cloudformation:stack");
  if (stacks.length === 0) throw new TemplateError(`the cloud assembly ${dir} has no stack`);
  return stacks.map(([stackName, artifact]) => {
    const templateFile = path.join(dir, artifact.properties?.templateFile ?? `${stackName}.template.json`);
    const template = JSON.parse(readFileSync(templateFile, "utf8")) as RawTemplate;
    const assets = (artifact.dependencies ?? [])
      .map((dep) => manifest.artifacts?.[dep])
      .find((a) => a?.type === "cdk:asset-manifest") as { properties?: { file?: string } } | undefined;
    const assetFiles = assets?.properties?.file
      ? (JSON.parse(readFileSync(path.join(dir, assets.properties.file), "utf8")) as {
          files?: Record<string, { source: { path: string } }>;
        })
      : {};
    return deployStack(stackName, template, options, (key) => {
      const hash = key.replace(/\.zip$/, "");
      const source = assetFiles.files?.[hash]?.source.path;
      return source === undefined ? undefined : path.join(dir, source);
    });
  });
}

/** A CloudFormation-like physical name: `<stack>-<logicalId>`, within a service's length limit. */
function physicalName(stackName: string, logicalId: string, max: number, suffix = ""): string {
  return `${stackName}-${logicalId}`.slice(0, max - suffix.length) + suffix;
}

export function deployStack(
  stackName: string,
  template: RawTemplate,
  options: AssemblyOptions,
  assetDir: (s3Key: string) => string | undefined,
): StackDeployment {
  const { region } = options;
  const account = LOCAL_ACCOUNT;
  const pseudo = pseudoParameters(region, account, stackName);
  const raw = template.Resources;
  const notEmulated: Record<string, string> = {};
  const alarms: Resource[] = [];
  const dashboards: Resource[] = [];
  const conditions = new Map<string, boolean>();

  // Names and ARNs come from the raw properties that name things (literal names only) and the logical id.
  const identities = new Map<string, { name: string; arn: string; ref: string; attrs: Record<string, string> }>();
  const identity = (logicalId: string) => {
    const known = identities.get(logicalId);
    if (known) return known;
    const resource = raw[logicalId];
    if (!resource) throw new TemplateError(`no resource ${logicalId} in the template of ${stackName}`);
    const p = resource.Properties ?? {};
    // A name may itself be an intrinsic (`TableName: !Join …`): resolved like any property.
    const given = (key: string) => (p[key] === undefined ? undefined : String(resolve(p[key], scope)));
    let id: { name: string; arn: string; ref: string; attrs: Record<string, string> };
    switch (resource.Type) {
      case "AWS::Kinesis::Stream": {
        const name = given("Name") ?? physicalName(stackName, logicalId, 128);
        const arn = `arn:aws:kinesis:${region}:${account}:stream/${name}`;
        id = { name, arn, ref: name, attrs: { Arn: arn } };
        break;
      }
      case "AWS::DynamoDB::Table":
      case "AWS::DynamoDB::GlobalTable": {
        const name = given("TableName") ?? physicalName(stackName, logicalId, 255);
        const arn = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
        id = { name, arn, ref: name, attrs: { Arn: arn } };
        break;
      }
      case "AWS::SQS::Queue": {
        const fifo = p.FifoQueue === true || p.FifoQueue === "true";
        const name = given("QueueName") ?? physicalName(stackName, logicalId, 80, fifo ? ".fifo" : "");
        const arn = `arn:aws:sqs:${region}:${account}:${name}`;
        const url = `${options.endpoint}/${account}/${name}`;
        id = { name, arn, ref: url, attrs: { Arn: arn, QueueName: name, QueueUrl: url } };
        break;
      }
      case "AWS::SNS::Topic": {
        const fifo = p.FifoTopic === true || p.FifoTopic === "true";
        const name = given("TopicName") ?? physicalName(stackName, logicalId, 256, fifo ? ".fifo" : "");
        const arn = `arn:aws:sns:${region}:${account}:${name}`;
        id = { name, arn, ref: arn, attrs: { TopicArn: arn, TopicName: name } };
        break;
      }
      case "AWS::Lambda::Function": {
        const name = given("FunctionName") ?? physicalName(stackName, logicalId, 64);
        const arn = `arn:aws:lambda:${region}:${account}:function:${name}`;
        id = { name, arn, ref: name, attrs: { Arn: arn } };
        break;
      }
      case "AWS::Kinesis::StreamConsumer": {
        // Its ARN is the stream's with the consumer's name (and, in an account, its creation time).
        const name = given("ConsumerName") ?? logicalId;
        const arn = `${given("StreamARN") ?? ""}/consumer/${name}:${CONSUMER_CREATED}`;
        id = {
          name,
          arn,
          ref: arn,
          attrs: {
            ConsumerARN: arn,
            ConsumerName: name,
            StreamARN: given("StreamARN") ?? "",
            ConsumerStatus: "ACTIVE",
            ConsumerCreationTimestamp: String(CONSUMER_CREATED),
          },
        };
        break;
      }
      case "AWS::Lambda::Version":
      case "AWS::Lambda::Alias": {
        // Qualified ARNs of the function (a name or an ARN in FunctionName); one version runs locally.
        const fn = functionReference(given("FunctionName") ?? "").name;
        const qualifier = resource.Type === "AWS::Lambda::Alias" ? (given("Name") ?? logicalId) : LOCAL_VERSION;
        const arn = `arn:aws:lambda:${region}:${account}:function:${fn}:${qualifier}`;
        id = { name: `${fn}:${qualifier}`, arn, ref: arn, attrs: { Version: LOCAL_VERSION, AliasArn: arn } };
        break;
      }
      case "AWS::S3::Bucket": {
        // S3 names are global, lower-case and at most 63 characters; CloudFormation makes them so.
        const name =
          given("BucketName") ??
          physicalName(stackName, logicalId, 63)
            .toLowerCase()
            .replace(/[^a-z0-9.-]/g, "-");
        const arn = `arn:aws:s3:::${name}`;
        const domain = `${name}.s3.amazonaws.com`;
        id = {
          name,
          arn,
          ref: name,
          attrs: { Arn: arn, DomainName: domain, RegionalDomainName: `${name}.s3.${region}.amazonaws.com` },
        };
        break;
      }
      case "AWS::IAM::ManagedPolicy": {
        const name = given("ManagedPolicyName") ?? physicalName(stackName, logicalId, 128);
        const arn = `arn:aws:iam::${account}:policy/${name}`;
        id = { name, arn, ref: arn, attrs: { PolicyArn: arn } };
        break;
      }
      case "AWS::IAM::Role": {
        const name = given("RoleName") ?? physicalName(stackName, logicalId, 64);
        const arn = `arn:aws:iam::${account}:role/${name}`;
        id = { name, arn, ref: name, attrs: { Arn: arn, RoleId: `AROA${logicalId.toUpperCase()}` } };
        break;
      }
      case "AWS::SecretsManager::Secret": {
        // An ARN ends in the name and six characters, as Secrets Manager makes them — the same ones
        // for the same secret, so that a template synthesized again (npm start --watch) names it alike.
        const name = given("Name") ?? physicalName(stackName, logicalId, 512);
        const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${stableId(`${stackName}/${logicalId}`).slice(0, 6)}`;
        id = { name, arn, ref: arn, attrs: { Id: arn } };
        break;
      }
      case "AWS::KMS::Key": {
        const name = stableId(`${stackName}/${logicalId}`);
        const arn = `arn:aws:kms:${region}:${account}:key/${name}`;
        id = { name, arn, ref: name, attrs: { Arn: arn, KeyId: name } };
        break;
      }
      case "AWS::ECR::Repository": {
        const name = given("RepositoryName") ?? physicalName(stackName, logicalId, 256).toLowerCase();
        const arn = `arn:aws:ecr:${region}:${account}:repository/${name}`;
        const uri = `${account}.dkr.ecr.${region}.amazonaws.com/${name}`;
        id = { name, arn, ref: name, attrs: { Arn: arn, RepositoryUri: uri } };
        break;
      }
      case "AWS::SSM::Parameter": {
        // CloudFormation names an unnamed parameter CFN-<logicalId>-<suffix>; an ARN does not repeat a leading slash.
        const name =
          given("Name") ?? `CFN-${logicalId}-${stableId(`${stackName}/${logicalId}`).slice(0, 12).toUpperCase()}`;
        const arn = `arn:aws:ssm:${region}:${account}:parameter${name.startsWith("/") ? name : `/${name}`}`;
        id = { name, arn, ref: name, attrs: { Type: given("Type") ?? "String", Value: given("Value") ?? "" } };
        break;
      }
      case "AWS::KMS::Alias": {
        const name = given("AliasName") ?? `alias/${logicalId}`;
        const arn = `arn:aws:kms:${region}:${account}:${name}`;
        id = { name, arn, ref: name, attrs: {} };
        break;
      }
      case "AWS::Logs::LogGroup": {
        const name = given("LogGroupName") ?? physicalName(stackName, logicalId, 512);
        const arn = `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
        id = { name, arn, ref: name, attrs: { Arn: arn } };
        break;
      }
      case "AWS::CloudWatch::Dashboard": {
        const name = given("DashboardName") ?? physicalName(stackName, logicalId, 255);
        const arn = `arn:aws:cloudwatch::${account}:dashboard/${name}`;
        id = { name, arn, ref: name, attrs: {} };
        break;
      }
      case "AWS::CloudWatch::Alarm":
      case "AWS::CloudWatch::CompositeAlarm": {
        const name = given("AlarmName") ?? physicalName(stackName, logicalId, 255);
        const arn = `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
        id = { name, arn, ref: name, attrs: { Arn: arn } };
        break;
      }
      case "AWS::Lambda::EventSourceMapping": {
        // Ref is the mapping's UUID, as Lambda's API names it.
        const name = stableId(`${stackName}/${logicalId}`);
        const arn = `arn:aws:lambda:${region}:${account}:event-source-mapping:${name}`;
        id = { name, arn, ref: name, attrs: { Id: name, EventSourceMappingArn: arn } };
        break;
      }
      default: {
        const name = physicalName(stackName, logicalId, 255);
        id = { name, arn: name, ref: name, attrs: {} };
      }
    }
    identities.set(logicalId, id);
    return id;
  };

  const parameters = Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([k, v]) => [k, options.parameters?.[k] ?? String(v.Default ?? "")]),
  );
  const listTyped = (id: string) => /^(CommaDelimitedList|List<)/.test(template.Parameters?.[id]?.Type ?? "");
  const scope: Scope = {
    ref: (id) => {
      const parameter = parameters[id];
      if (parameter !== undefined && listTyped(id)) return parameter.split(",");
      return pseudo[id] ?? parameter ?? identity(id).ref;
    },
    getAtt: (id, attribute) => {
      const value = identity(id).attrs[attribute];
      if (value === undefined) {
        throw new TemplateError(`Fn::GetAtt ${id}.${attribute} (${raw[id]?.Type}) is not supported by the local stack`);
      }
      return value;
    },
    condition: (name) => {
      let value = conditions.get(name);
      if (value === undefined) {
        const expression = template.Conditions?.[name];
        if (expression === undefined) throw new TemplateError(`no condition ${name} in the template`);
        value = condition(expression, scope);
        conditions.set(name, value);
      }
      return value;
    },
  };

  const resources: Resource[] = [];
  const bundles: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(raw)) {
    if (resource.Condition !== undefined && !scope.condition(resource.Condition)) continue;
    if (ALARMS.has(resource.Type) || resource.Type === "AWS::CloudWatch::Dashboard") {
      // Alarms (metric and composite) are run by the local CloudWatch over the metrics the stack
      // records (local/cloudwatch/), dashboards drawn from them (local/dashboard/).
      const { name, arn, ref } = identity(logicalId);
      const properties = resolve(resource.Properties ?? {}, scope) as Record<string, unknown>;
      (ALARMS.has(resource.Type) ? alarms : dashboards).push({
        logicalId,
        type: resource.Type,
        properties,
        name,
        arn,
        ref,
      });
      continue;
    }
    if (!EMULATED.has(resource.Type)) {
      // Custom::<Name> (CDK's auto-delete objects, log retention, …): deploy-time work of a provider.
      const type = resource.Type.startsWith("Custom::") ? "AWS::CloudFormation::CustomResource" : resource.Type;
      const why = NOT_EMULATED[type];
      if (why === undefined) {
        throw new TemplateError(
          `${logicalId} is of type ${resource.Type}, which the local stack cannot create; ` +
            `it creates ${[...EMULATED].join(", ")}`,
        );
      }
      notEmulated[type] = why;
      continue;
    }
    const known = PROPERTIES[resource.Type] ?? { honoured: [] };
    // What the resource sets once resolved: a property whose value is AWS::NoValue is not set.
    const properties = resolve(resource.Properties ?? {}, scope) as Record<string, unknown>;
    for (const property of Object.keys(properties)) {
      if (!known.honoured.includes(property) && !known.ignored?.includes(property)) {
        throw new TemplateError(
          `${logicalId} (${resource.Type}) sets ${property}, which the local stack cannot honour`,
        );
      }
    }
    const { name, arn, ref } = identity(logicalId);
    resources.push({ logicalId, type: resource.Type, properties, name, arn, ref });
    if (resource.Type === "AWS::Lambda::Function") {
      const code = properties.Code as { S3Key?: string; ZipFile?: string } | undefined;
      const dir =
        typeof code?.ZipFile === "string"
          ? inlineCode(code.ZipFile)
          : code?.S3Key === undefined
            ? undefined
            : assetDir(code.S3Key);
      if (dir === undefined) throw new TemplateError(`${logicalId}: its code is not an asset of this cloud assembly`);
      bundles[logicalId] = dir;
    }
  }

  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined && !scope.condition(output.Condition)) continue;
    outputs[key] = String(resolve(output.Value, scope));
  }

  const byArn = new Map<string, Resource>();
  for (const r of resources) {
    byArn.set(r.arn, r);
    if (r.type === "AWS::SQS::Queue") byArn.set(r.ref, r);
  }
  return {
    stackName,
    template,
    region,
    account,
    resources,
    outputs,
    notEmulated,
    bundles,
    byType: (type) => resources.filter((r) => r.type === type),
    alarms,
    dashboards,
    byLogicalId: (id) => {
      const found = resources.find((r) => r.logicalId === id);
      if (!found) throw new TemplateError(`no emulated resource ${id}`);
      return found;
    },
    byArn: (arn) => byArn.get(arn),
  };
}

/** A stack's id, as CloudFormation names it: its ARN, with a UUID that is the same for the same name. */
export function stackArn(region: string, account: string, stackName: string): string {
  return `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/${stableId(`stack/${stackName}`)}`;
}

/** A UUID-shaped id that is the same for the same input (a resource, a mapping). */
export function stableId(of: string): string {
  const h = createHash("sha256").update(of).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A function's inline code (`Code.ZipFile`) as Lambda unpacks it: `index.js` in a directory of its own. */
function inlineCode(source: string): string {
  const dir = path.join(tmpdir(), `tripwire-inline-${createHash("sha256").update(source).digest("hex").slice(0, 16)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "index.js"), source);
  return dir;
}
