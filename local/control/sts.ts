import { randomBytes } from "node:crypto";
import { baseContext, contextOf } from "../iam/context.js";
import {
  type Caller,
  callerArn,
  denialMessage,
  evaluatePolicy,
  type RoleIdentity,
  statementsOf,
} from "../iam/policy.js";
import { type AwsRequest, param } from "../iam/request.js";
import { notAnswered, required, serviceError } from "./errors.js";

// STS: who the caller is (GetCallerIdentity), and a role of the template assumed (AssumeRole) under
// its trust policy: the credentials it gives are known to the gateway as that role, whose policies
// then decide every call made with them.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html

export interface AssumableRole {
  readonly identity: RoleIdentity;
  /** The role's trust policy (AssumeRolePolicyDocument). */
  readonly trust: unknown;
}

export interface StsDeps {
  readonly region: string;
  readonly account: string;
  /** A role of the template by ARN. */
  role(arn: string): AssumableRole | undefined;
  /** Makes an access key known to the gateway as a session of the role. */
  addSession(accessKeyId: string, identity: RoleIdentity): void;
}

const HOUR_SECONDS = 3600;

export function answerSts(call: AwsRequest, caller: Caller, deps: StsDeps): Record<string, unknown> {
  const { account } = deps;
  switch (call.operation) {
    case "GetCallerIdentity":
      return {
        // As aws:userid names the caller (iam/context.ts).
        UserId: baseContext(caller, { secure: true }, deps.region, account)["aws:userid"]?.[0] ?? account,
        Account: account,
        Arn: callerArn(caller, account),
      };
    case "AssumeRole": {
      const roleArn = required(param(call, "RoleArn"), "RoleArn");
      const sessionName = required(param(call, "RoleSessionName"), "RoleSessionName");
      const role = deps.role(roleArn);
      const denied = serviceError(
        "AccessDenied",
        denialMessage(callerArn(caller, account), "sts:AssumeRole", roleArn, "no resource-based policy allows"),
        403,
      );
      if (role === undefined) throw denied;
      const trust = evaluatePolicy(
        statementsOf(role.trust, `${role.identity.roleName}'s trust policy`),
        {
          action: "sts:AssumeRole",
          resource: roleArn,
          caller,
          account,
          context: contextOf(baseContext(caller, { secure: true }, deps.region, account)),
        },
        "resource",
      );
      // The trust policy must allow the caller: itself, or by naming the caller's account.
      if (trust.deny || trust.allow === undefined || caller.kind === "service") throw denied;
      const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
      deps.addSession(accessKeyId, { ...role.identity, functionName: sessionName });
      const seconds = Number(param(call, "DurationSeconds") ?? HOUR_SECONDS);
      const roleId = role.identity.roleId ?? role.identity.roleName;
      return {
        Credentials: {
          AccessKeyId: accessKeyId,
          SecretAccessKey: randomBytes(20).toString("base64"),
          SessionToken: randomBytes(32).toString("base64"),
          Expiration: new Date(Date.now() + seconds * 1000),
        },
        AssumedRoleUser: {
          AssumedRoleId: `${roleId}:${sessionName}`,
          Arn: `arn:aws:sts::${account}:assumed-role/${role.identity.roleName}/${sessionName}`,
        },
      };
    }
    default:
      throw notAnswered();
  }
}
