import type { Resource, StackDeployment } from "../cloudformation/assembly.js";
import { type AwsRequest, param } from "../iam/request.js";
import { notAnswered, required, serviceError } from "./errors.js";

// IAM's read side for roles, answered from the template: each role, its trust policy, its inline
// policies (the role's own Policies and each AWS::IAM::Policy naming it) and the managed policies
// attached to it. Policy documents are URL-encoded JSON, as IAM returns them (the SDKs decode them).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html

export interface IamDeps {
  readonly stacks: readonly StackDeployment[];
  readonly createdAt: Date;
}

export function answerIam(call: AwsRequest, deps: IamDeps): Record<string, unknown> {
  const roles = deps.stacks.flatMap((stack) => stack.byType("AWS::IAM::Role").map((role) => ({ stack, role })));
  const describe = ({ role }: { role: Resource }) => ({
    Path: String(role.properties.Path ?? "/"),
    RoleName: role.name,
    RoleId: `AROA${role.name.length.toString().padStart(3, "0")}${Buffer.from(role.name).toString("hex").slice(0, 14).toUpperCase()}`,
    Arn: role.arn,
    CreateDate: deps.createdAt,
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(role.properties.AssumeRolePolicyDocument ?? {})),
    Description: role.properties.Description === undefined ? undefined : String(role.properties.Description),
    MaxSessionDuration: Number(role.properties.MaxSessionDuration ?? 3600),
  });
  const find = () => {
    const name = required(param(call, "RoleName"), "RoleName");
    const found = roles.find((r) => r.role.name === name);
    if (!found) throw serviceError("NoSuchEntity", `The role with name ${name} cannot be found.`, 404);
    return found;
  };
  switch (call.operation) {
    case "ListRoles":
      return { Roles: roles.map(describe), IsTruncated: false };
    case "GetRole":
      return { Role: describe(find()) };
    case "ListRolePolicies":
      return { PolicyNames: inlinePolicies(find()).map((p) => p.name), IsTruncated: false };
    case "GetRolePolicy": {
      const found = find();
      const name = required(param(call, "PolicyName"), "PolicyName");
      const policy = inlinePolicies(found).find((p) => p.name === name);
      if (!policy) {
        throw serviceError("NoSuchEntity", `The role policy with name ${name} cannot be found.`, 404);
      }
      return {
        RoleName: found.role.name,
        PolicyName: name,
        PolicyDocument: encodeURIComponent(JSON.stringify(policy.document)),
      };
    }
    case "ListAttachedRolePolicies": {
      const { stack, role } = find();
      const arns = new Set(((role.properties.ManagedPolicyArns as unknown[] | undefined) ?? []).map(String));
      for (const managed of stack.byType("AWS::IAM::ManagedPolicy")) {
        if (((managed.properties.Roles as unknown[] | undefined) ?? []).map(String).includes(role.name))
          arns.add(managed.arn);
      }
      return {
        AttachedPolicies: [...arns].map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf("/") + 1), PolicyArn: arn })),
        IsTruncated: false,
      };
    }
    default:
      throw notAnswered();
  }
}

/** A role's inline policies: its own Policies, then each AWS::IAM::Policy that names it. */
function inlinePolicies({ stack, role }: { stack: StackDeployment; role: Resource }) {
  const own = (
    (role.properties.Policies as { PolicyName?: unknown; PolicyDocument?: unknown }[] | undefined) ?? []
  ).map((p) => ({ name: String(p.PolicyName), document: p.PolicyDocument }));
  const attached = stack
    .byType("AWS::IAM::Policy")
    .filter((p) => ((p.properties.Roles as unknown[] | undefined) ?? []).map(String).includes(role.name))
    .map((p) => ({ name: String(p.properties.PolicyName ?? p.name), document: p.properties.PolicyDocument }));
  return [...own, ...attached];
}
