import type { RequestContext } from "./conditions.js";
import { type Caller, callerArn } from "./policy.js";
import { type AwsRequest, param } from "./request.js";

// A call's request context: the condition keys AWS sets for it, as far as they have a local meaning
// — how it came (TLS or not, from which address), who made it, for which resource a service acts,
// the time, the region, and the keys of the service called (DynamoDB's leading keys and attributes,
// SNS's subscription protocol, S3's prefix, …). KMS's own keys are added per key use (authorizer.ts).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html

/** How a call reached the account. */
export interface Arrival {
  /** Over TLS (aws:SecureTransport). A service's own deliveries always are. */
  readonly secure: boolean;
  /** The caller's address (aws:SourceIp); a service acting for a resource has none. */
  readonly sourceIp?: string;
  /** The resource a service acts for (aws:SourceArn, aws:SourceAccount). */
  readonly source?: { readonly arn: string; readonly account: string };
}

type Values = Record<string, readonly string[]>;

/** The keys every call has: arrival, principal, time, region. */
export function baseContext(
  caller: Caller,
  arrival: Arrival,
  region: string,
  account: string,
  now = new Date(),
): Values {
  const keys: Values = {
    "aws:securetransport": [String(arrival.secure)],
    "aws:currenttime": [now.toISOString()],
    "aws:epochtime": [String(Math.floor(now.getTime() / 1000))],
    "aws:requestedregion": [region],
    "aws:principalisawsservice": [String(caller.kind === "service")],
    "aws:viaawsservice": ["false"],
  };
  if (arrival.sourceIp !== undefined) keys["aws:sourceip"] = [arrival.sourceIp];
  if (arrival.source) {
    keys["aws:sourcearn"] = [arrival.source.arn];
    keys["aws:sourceaccount"] = [arrival.source.account];
    // SNS's older name for the source account, still in many topic and queue policies.
    keys["aws:sourceowner"] = [arrival.source.account];
  }
  switch (caller.kind) {
    case "service":
      keys["aws:principalservicename"] = [caller.service];
      break;
    case "root":
      keys["aws:principalarn"] = [callerArn(caller, account)];
      keys["aws:principalaccount"] = [account];
      keys["aws:principaltype"] = ["Account"];
      keys["aws:userid"] = [account];
      break;
    case "role": {
      const { identity } = caller;
      keys["aws:principalarn"] = [identity.roleArn];
      keys["aws:principalaccount"] = [account];
      keys["aws:principaltype"] = ["AssumedRole"];
      keys["aws:userid"] = [`${identity.roleId ?? identity.roleName}:${identity.functionName}`];
      for (const [k, v] of Object.entries(identity.tags ?? {})) keys[`aws:principaltag/${k.toLowerCase()}`] = [v];
      break;
    }
  }
  return keys;
}

/** What the service itself reads off a request into its own condition keys. */
export function serviceContext(call: AwsRequest, partitionKeyOf: (table: string) => string | undefined): Values {
  const keys: Values = {};
  const json = call.json ?? {};
  switch (call.service) {
    case "dynamodb": {
      const table = param(call, "TableName");
      const hash = table === undefined ? undefined : partitionKeyOf(table);
      const items = [json.Key, json.Item].filter((x): x is Record<string, Record<string, unknown>> => !!x);
      if (hash !== undefined) {
        const leading = items
          .map((i) => i[hash])
          .filter((v) => v !== undefined)
          .map(attributeText);
        if (leading.length > 0) keys["dynamodb:leadingkeys"] = leading;
      }
      const names = new Set<string>();
      for (const i of items) for (const name of Object.keys(i)) names.add(name);
      for (const name of Object.values((json.ExpressionAttributeNames as Record<string, string>) ?? {}))
        names.add(name);
      for (const name of (json.AttributesToGet as string[] | undefined) ?? []) names.add(name);
      if (names.size > 0) keys["dynamodb:attributes"] = [...names];
      for (const [key, field] of [
        ["dynamodb:select", "Select"],
        ["dynamodb:returnvalues", "ReturnValues"],
        ["dynamodb:returnconsumedcapacity", "ReturnConsumedCapacity"],
      ] as const) {
        const value = param(call, field);
        if (value !== undefined) keys[key] = [value];
      }
      break;
    }
    case "sns": {
      if (call.operation === "Subscribe") {
        for (const [key, field] of [
          ["sns:protocol", "Protocol"],
          ["sns:endpoint", "Endpoint"],
        ] as const) {
          const value = param(call, field);
          if (value !== undefined) keys[key] = [value];
        }
      }
      break;
    }
    case "secretsmanager": {
      const id = param(call, "SecretId");
      if (id !== undefined) keys["secretsmanager:secretid"] = [id];
      const stage = param(call, "VersionStage");
      if (stage !== undefined) keys["secretsmanager:versionstage"] = [stage];
      break;
    }
    case "s3": {
      if (call.query) {
        for (const name of ["prefix", "delimiter", "max-keys"]) {
          const value = call.query.get(name);
          if (value !== null) keys[`s3:${name}`] = [value];
        }
      }
      break;
    }
    default:
      break;
  }
  return keys;
}

/** A DynamoDB attribute value ({S: "a"}, {N: "1"}, {B: …}) as the condition key reads it. */
function attributeText(value: unknown): string {
  const v = value as Record<string, unknown>;
  const inner = v.S ?? v.N ?? v.B;
  return inner === undefined ? JSON.stringify(value) : String(inner);
}

export function contextOf(...parts: Values[]): RequestContext {
  const map = new Map<string, readonly string[]>();
  for (const part of parts) for (const [k, v] of Object.entries(part)) map.set(k, v);
  return map;
}

/** The condition keys with a local meaning, exactly or by prefix (lower-cased). */
const LOCAL_KEYS = new Set([
  "aws:securetransport",
  "aws:sourceip",
  "aws:currenttime",
  "aws:epochtime",
  "aws:requestedregion",
  "aws:principalarn",
  "aws:principalaccount",
  "aws:principaltype",
  "aws:userid",
  "aws:principalisawsservice",
  "aws:principalservicename",
  "aws:sourcearn",
  "aws:sourceaccount",
  "aws:sourceowner",
  "aws:resourceaccount",
  "aws:viaawsservice",
  "aws:calledvia",
  "aws:calledviafirst",
  "aws:calledvialast",
  "kms:viaservice",
  "kms:calleraccount",
  "kms:encryptioncontextkeys",
  "dynamodb:leadingkeys",
  "dynamodb:attributes",
  "dynamodb:select",
  "dynamodb:returnvalues",
  "dynamodb:returnconsumedcapacity",
  "sns:protocol",
  "sns:endpoint",
  "s3:prefix",
  "s3:delimiter",
  "s3:max-keys",
  "secretsmanager:secretid",
  "secretsmanager:versionstage",
]);
const LOCAL_PREFIXES = ["aws:resourcetag/", "aws:principaltag/", "kms:encryptioncontext:"];

/** Keys AWS defines that mean nothing on one machine, and why. */
const NO_LOCAL_MEANING: readonly [RegExp, string][] = [
  [
    /^aws:(sourcevpc|sourcevpce|vpcsourceip|sourcevpcarn|ec2instancesource)/,
    "no VPC or VPC endpoint carries a local call",
  ],
  [/^aws:multifactorauth/, "no local session is signed in with MFA"],
  [/^aws:(principalorg|resourceorg|sourceorg)/, "the local account belongs to no AWS Organization"],
  [/^aws:(tokenissuetime|federatedprovider|sourceidentity|assumedroot)/, "no local session is issued by STS"],
  [/^aws:(requesttag\/|tagkeys)/, "no local call tags a resource"],
];

/** A key's local meaning: undefined when the local stack sets it, otherwise why it never does. */
export function keyWithoutLocalMeaning(key: string): string | undefined {
  const k = key.toLowerCase();
  if (LOCAL_KEYS.has(k) || LOCAL_PREFIXES.some((p) => k.startsWith(p))) return undefined;
  return NO_LOCAL_MEANING.find(([pattern]) => pattern.test(k))?.[1] ?? "the local stack does not set it";
}
