import type { Resource, StackDeployment } from "../cloudformation/assembly.js";
import { functionReference } from "../cloudformation/assembly.js";
import { TemplateError } from "../cloudformation/intrinsics.js";
import { conditionKeys } from "./conditions.js";
import { type Statement, statementsOf } from "./policy.js";

// The policies an account holds on its resources, read from the deployed templates: queue, topic,
// bucket, stream and secret policies, functions' permissions (AWS::Lambda::Permission), keys' policies;
// which key encrypts each resource (and the encryption context the service passes KMS); and each
// resource's tags (aws:ResourceTag). authorizer.ts decides calls with them.

/** A customer managed key of the template, or an AWS managed one (`alias/aws/sqs`). */
export interface Key {
  readonly arn: string;
  readonly policy: readonly Statement[];
  readonly enabled: boolean;
  /** The AWS managed key of a service (its policy is AWS's, used only through that service). */
  readonly managedFor?: string;
}

/** A resource encrypted at rest with a key: each call writing or reading it uses the key. */
export interface Encryption {
  readonly key: Key;
  /** What the service passes KMS as the encryption context. */
  readonly context: Readonly<Record<string, string>>;
}

export interface AccountPolicies {
  readonly account: string;
  readonly region: string;
  /** The resource-based policy of a resource (by ARN), undefined when it has none. */
  resourcePolicy(arn: string): readonly Statement[] | undefined;
  /** The key a resource (by ARN) is encrypted with, if a KMS key encrypts it. */
  encryption(arn: string): Encryption | undefined;
  /** A resource's tags (aws:ResourceTag/<key>). */
  tags(arn: string): Readonly<Record<string, string>>;
  /** A key of the template (or an AWS managed key) by its ARN, id, alias name or alias ARN. */
  key(id: string): Key | undefined;
  /** The template's keys, each once, with their aliases (KMS's ListKeys, ListAliases). */
  readonly keys: readonly { readonly key: Key; readonly id: string; readonly aliases: readonly string[] }[];
  /** A table's partition key attribute (dynamodb:LeadingKeys), by table name. */
  partitionKey(table: string): string | undefined;
  /** Every statement of every resource-based and key policy, with where it is (for the condition keys named at start). */
  readonly statements: readonly { readonly where: string; readonly statement: Statement }[];
}

/** The resource types that are only a policy on another resource (watch mode swaps them). */
export const RESOURCE_POLICY_TYPES: readonly string[] = [
  "AWS::SQS::QueuePolicy",
  "AWS::SNS::TopicPolicy",
  "AWS::S3::BucketPolicy",
  "AWS::Lambda::Permission",
  "AWS::Kinesis::ResourcePolicy",
  "AWS::SecretsManager::ResourcePolicy",
];

/**
 * An AWS managed key's policy as AWS writes it: every principal of the account may use it through
 * the one service it is for; no service principal (SNS, CloudWatch) may, which is why SNS cannot
 * deliver to a queue encrypted with alias/aws/sqs.
 * https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
 */
function awsManagedKey(service: string, region: string, account: string): Key {
  return {
    arn: `arn:aws:kms:${region}:${account}:alias/aws/${service}`,
    enabled: true,
    managedFor: service,
    policy: [
      {
        effect: "Allow",
        principals: { any: true, aws: ["*"] },
        actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        resources: ["*"],
        condition: {
          StringEquals: { "kms:CallerAccount": account, "kms:ViaService": `${service}.${region}.amazonaws.com` },
        },
      },
      {
        effect: "Allow",
        principals: { aws: [`arn:aws:iam::${account}:root`] },
        actions: ["kms:Describe*", "kms:Get*", "kms:List*"],
        resources: ["*"],
      },
    ],
  };
}

/** A key policy CloudFormation gives a key without one: the account's IAM policies decide. */
const defaultKeyPolicy = (account: string): Statement[] => [
  { effect: "Allow", principals: { aws: [`arn:aws:iam::${account}:root`] }, actions: ["kms:*"], resources: ["*"] },
];

const tagsOf = (r: Resource): Record<string, string> => {
  const tags = r.properties.Tags;
  if (Array.isArray(tags)) {
    return Object.fromEntries(
      (tags as { Key?: unknown; Value?: unknown }[]).map((t) => [String(t.Key), String(t.Value ?? "")]),
    );
  }
  // SSM-style maps ({ key: value }) on some types.
  if (tags !== null && typeof tags === "object") {
    return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)]));
  }
  return {};
};

export function accountPolicies(stacks: readonly StackDeployment[], region: string, account: string): AccountPolicies {
  const policies = new Map<string, Statement[]>();
  const statements: { where: string; statement: Statement }[] = [];
  const addPolicy = (arn: string, where: string, document: unknown) => {
    const read = statementsOf(document, where);
    for (const statement of read) statements.push({ where, statement });
    policies.set(arn, [...(policies.get(arn) ?? []), ...read]);
  };
  const keys = new Map<string, Key>(); // by ARN, key id, alias name and alias ARN
  const encryptions = new Map<string, { keyId: string; context: Record<string, string>; service: string }>();
  const tags = new Map<string, Record<string, string>>();
  const partitionKeys = new Map<string, string>();

  for (const stack of stacks) {
    const byRef = (ref: string) => stack.byArn(ref) ?? stack.resources.find((r) => r.ref === ref || r.name === ref);
    for (const r of stack.resources) {
      const p = r.properties;
      if (Object.keys(tagsOf(r)).length > 0) tags.set(r.arn, tagsOf(r));
      switch (r.type) {
        case "AWS::KMS::Key": {
          const policy = p.KeyPolicy === undefined ? defaultKeyPolicy(account) : statementsOf(p.KeyPolicy, r.logicalId);
          if (p.KeyPolicy !== undefined)
            for (const statement of policy) statements.push({ where: r.logicalId, statement });
          const key = { arn: r.arn, policy, enabled: p.Enabled !== false && p.Enabled !== "false" };
          keys.set(r.arn, key);
          keys.set(r.name, key);
          break;
        }
        case "AWS::SQS::QueuePolicy":
          for (const url of (p.Queues as string[] | undefined) ?? []) {
            const queue = byRef(String(url));
            if (!queue) throw new TemplateError(`${r.logicalId}: the queue ${url} is not in the template`);
            addPolicy(queue.arn, r.logicalId, p.PolicyDocument);
          }
          break;
        case "AWS::SNS::TopicPolicy":
          for (const topic of (p.Topics as string[] | undefined) ?? [])
            addPolicy(String(topic), r.logicalId, p.PolicyDocument);
          break;
        case "AWS::S3::BucketPolicy":
          addPolicy(`arn:aws:s3:::${String(p.Bucket)}`, r.logicalId, p.PolicyDocument);
          break;
        case "AWS::Kinesis::ResourcePolicy":
          addPolicy(String(p.ResourceArn), r.logicalId, p.ResourcePolicy);
          break;
        case "AWS::SecretsManager::ResourcePolicy": {
          const secret = byRef(String(p.SecretId));
          addPolicy(secret?.arn ?? String(p.SecretId), r.logicalId, p.ResourcePolicy);
          break;
        }
        case "AWS::Lambda::Permission":
          addPolicy(permissionFunctionArn(String(p.FunctionName), region, account), r.logicalId, {
            Statement: [permissionStatement(r, account)],
          });
          break;
        case "AWS::Kinesis::Stream": {
          const sse = p.StreamEncryption as { EncryptionType?: string; KeyId?: string } | undefined;
          if (sse?.EncryptionType === "KMS" && sse.KeyId) {
            encryptions.set(r.arn, { keyId: sse.KeyId, context: { "aws:kinesis:arn": r.arn }, service: "kinesis" });
          }
          break;
        }
        case "AWS::SQS::Queue":
          if (typeof p.KmsMasterKeyId === "string") {
            encryptions.set(r.arn, { keyId: p.KmsMasterKeyId, context: { "aws:sqs:arn": r.arn }, service: "sqs" });
          }
          break;
        case "AWS::SNS::Topic":
          if (typeof p.KmsMasterKeyId === "string") {
            encryptions.set(r.arn, { keyId: p.KmsMasterKeyId, context: { "aws:sns:topicArn": r.arn }, service: "sns" });
          }
          break;
        case "AWS::DynamoDB::Table":
        case "AWS::DynamoDB::GlobalTable": {
          const hash = (p.KeySchema as { AttributeName: string; KeyType: string }[] | undefined)?.find(
            (k) => k.KeyType === "HASH",
          );
          if (hash) partitionKeys.set(r.name, hash.AttributeName);
          const sse = p.SSESpecification as
            | { SSEEnabled?: unknown; SSEType?: string; KMSMasterKeyId?: string }
            | undefined;
          if (sse?.SSEEnabled === true || sse?.SSEEnabled === "true") {
            encryptions.set(r.arn, {
              keyId: sse.KMSMasterKeyId ?? "alias/aws/dynamodb",
              context: { "aws:dynamodb:tableName": r.name, "aws:dynamodb:subscriberId": account },
              service: "dynamodb",
            });
          }
          break;
        }
        case "AWS::SecretsManager::Secret":
          // Every secret is encrypted: with its KmsKeyId, else the account's aws/secretsmanager key.
          encryptions.set(r.arn, {
            keyId: typeof p.KmsKeyId === "string" ? p.KmsKeyId : "alias/aws/secretsmanager",
            context: { SecretARN: r.arn, SecretVersionId: "00000000-0000-0000-0000-000000000001" },
            service: "secretsmanager",
          });
          break;
        case "AWS::S3::Bucket": {
          const rules = (
            p.BucketEncryption as
              | {
                  ServerSideEncryptionConfiguration?: {
                    ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
                  }[];
                }
              | undefined
          )?.ServerSideEncryptionConfiguration;
          const sse = rules?.[0]?.ServerSideEncryptionByDefault;
          if (sse?.SSEAlgorithm === "aws:kms" || sse?.SSEAlgorithm === "aws:kms:dsse") {
            encryptions.set(r.arn, {
              keyId: sse.KMSMasterKeyID ?? "alias/aws/s3",
              context: { "aws:s3:arn": r.arn },
              service: "s3",
            });
          }
          break;
        }
      }
    }
    // Aliases name keys once the keys are known.
    for (const alias of stack.byType("AWS::KMS::Alias")) {
      const target = String(alias.properties.TargetKeyId);
      const key = keys.get(target) ?? keys.get(target.slice(target.lastIndexOf("/") + 1));
      if (!key) throw new TemplateError(`${alias.logicalId}: the key ${target} is not in the template`);
      keys.set(alias.name, key);
      keys.set(alias.arn, key);
    }
  }

  const findKey = (id: string): Key | undefined => {
    const known = keys.get(id) ?? keys.get(id.slice(id.lastIndexOf("/") + 1));
    if (known) return known;
    const managed = /^(?:arn:aws:kms:[^:]*:[^:]*:)?alias\/aws\/([a-z0-9-]+)$/.exec(id)?.[1];
    return managed ? awsManagedKey(managed, region, account) : undefined;
  };
  const keyOf = (id: string, service: string): Key => {
    const found = findKey(id);
    if (found) return found;
    throw new TemplateError(
      `a ${service} resource is encrypted with the key ${id}, which is neither in the template nor an AWS managed key`,
    );
  };
  // Each encrypted resource's key, resolved now: a key that is nowhere stops the start.
  const encrypted = new Map(
    [...encryptions].map(([arn, e]) => [arn, { key: keyOf(e.keyId, e.service), context: e.context }]),
  );

  return {
    account,
    region,
    statements,
    resourcePolicy(arn) {
      if (arn.startsWith("arn:aws:s3:::")) return policies.get(arn.split("/")[0] as string);
      return policies.get(arn);
    },
    encryption(arn) {
      if (arn.startsWith("arn:aws:s3:::")) return encrypted.get(arn.split("/")[0] as string);
      if (arn.startsWith("arn:aws:dynamodb:")) return encrypted.get(arn.split("/").slice(0, 2).join("/"));
      return encrypted.get(arn);
    },
    tags: (arn) => tags.get(arn) ?? {},
    key: findKey,
    keys: [...new Set(keys.values())].map((key) => ({
      key,
      id: key.arn.slice(key.arn.lastIndexOf("/") + 1),
      aliases: [...keys].filter(([name, k]) => k === key && name.startsWith("alias/")).map(([name]) => name),
    })),
    partitionKey: (table) => partitionKeys.get(table.slice(table.lastIndexOf("/") + 1)),
  };
}

/** The ARN a permission's FunctionName (a name, an ARN, partial or qualified) names. */
function permissionFunctionArn(named: string, region: string, account: string): string {
  const { name, qualifier } = functionReference(named);
  return `arn:aws:lambda:${region}:${account}:function:${name}${qualifier ? `:${qualifier}` : ""}`;
}

/**
 * The statement Lambda writes into a function's policy for AddPermission: the principal (a service,
 * an account or an ARN), the action, and SourceArn/SourceAccount/PrincipalOrgID as conditions.
 * https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
 */
function permissionStatement(r: Resource, account: string): Record<string, unknown> {
  const p = r.properties;
  const principal = String(p.Principal);
  const isService = principal.endsWith(".amazonaws.com") || principal.endsWith(".amazonaws.com.cn");
  const condition: Record<string, Record<string, string>> = {};
  if (p.SourceArn !== undefined) condition.ArnLike = { "AWS:SourceArn": String(p.SourceArn) };
  if (p.SourceAccount !== undefined) condition.StringEquals = { "AWS:SourceAccount": String(p.SourceAccount) };
  if (p.PrincipalOrgID !== undefined) {
    condition.StringEquals = { ...condition.StringEquals, "aws:PrincipalOrgID": String(p.PrincipalOrgID) };
  }
  return {
    Sid: r.logicalId,
    Effect: "Allow",
    Principal:
      principal === "*"
        ? "*"
        : isService
          ? { Service: principal }
          : { AWS: principal === account ? `arn:aws:iam::${account}:root` : principal },
    Action: String(p.Action),
    Resource: "*",
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/** The condition keys the template's policies read, with where (for the keys named at start). */
export function policyConditionKeys(
  statements: readonly { readonly where: string; readonly statement: Statement }[],
): { key: string; where: string }[] {
  return statements.flatMap(({ where, statement }) =>
    conditionKeys(statement.condition).keys.map((key) => ({ key, where })),
  );
}

/**
 * The account's policies with those set through the API since the start (SetQueueAttributes,
 * SetTopicAttributes, a Policy given at creation): in an account such a policy replaces the one the
 * template wrote, and an empty one removes it. `runtime` answers the policy document set, if any.
 */
export function withRuntimePolicies(
  base: AccountPolicies,
  runtime: (arn: string) => string | undefined,
): AccountPolicies {
  const parsed = new Map<string, readonly Statement[]>();
  return {
    ...base,
    resourcePolicy(arn) {
      const document = runtime(arn);
      if (document === undefined) return base.resourcePolicy(arn);
      if (document === "") return undefined;
      let statements = parsed.get(document);
      if (statements === undefined) {
        statements = statementsOf(JSON.parse(document), `the policy set on ${arn}`);
        parsed.set(document, statements);
      }
      return statements;
    },
  };
}
