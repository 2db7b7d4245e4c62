import type { StackDeployment } from "../cloudformation/assembly.js";
import { TemplateError } from "../cloudformation/intrinsics.js";
import { type ConditionBlock, conditionHolds, conditionKeys, type RequestContext } from "./conditions.js";
import { glob } from "./glob.js";
import { awsManagedPolicyPath, MANAGED_POLICIES, MANAGED_POLICIES_READ_ON } from "./managed-policies.js";
import type { FunctionAccess } from "./report.js";

export { glob } from "./glob.js";
export type { FunctionAccess } from "./report.js";

// IAM policy evaluation, as an account does it: a policy's statements apply to a call when their
// action, resource, principal (resource-based policies) and Condition match it; an explicit Deny
// anywhere wins, then an Allow. Actions match case-insensitively with * and ? wildcards, resources
// case-sensitively. A role's identity policies are its inline ones, the AWS::IAM::Policy resources
// naming it, and the managed policies it attaches (AWS's from their published documents:
// managed-policies.ts). Resource-based and key policies are read in resource-policies.ts, and how
// the policies of one call combine is authorizer.ts's.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

/** Whom a resource-based policy's statement names (its Principal or NotPrincipal). */
export interface Principals {
  /** `"*"` or `{"AWS": "*"}`: everyone. */
  readonly any?: boolean;
  /** Account ids, root ARNs, role, user and assumed-role session ARNs. */
  readonly aws?: readonly string[];
  /** Service principals (`sns.amazonaws.com`). */
  readonly service?: readonly string[];
}

export interface Statement {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  /** Resource-based policies only: whom the statement is about. */
  readonly principals?: Principals;
  readonly notPrincipals?: Principals;
  readonly condition?: ConditionBlock;
}

/** A function's identity as an account sees its calls. */
export interface RoleIdentity {
  readonly roleName: string;
  readonly roleArn: string;
  readonly functionName: string;
  readonly statements: readonly Statement[];
  /** The role's unique id (aws:userid's first half), when the template gives one. */
  readonly roleId?: string;
  /** The role's tags (aws:PrincipalTag/*). */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Who makes a call: a function's role session, the account's administrator (its root user), or a service. */
export type Caller =
  | { readonly kind: "role"; readonly identity: RoleIdentity }
  | { readonly kind: "root" }
  | { readonly kind: "service"; readonly service: string };

export type Decision = "allowed" | "implicit-deny" | "explicit-deny";

/** The ARN a caller is known by in a refusal (the assumed-role session of a function's role). */
export function callerArn(caller: Caller, account: string): string {
  switch (caller.kind) {
    case "role":
      return `arn:aws:sts::${account}:assumed-role/${caller.identity.roleName}/${caller.identity.functionName}`;
    case "root":
      return `arn:aws:iam::${account}:root`;
    case "service":
      return caller.service;
  }
}

const matchesAny = (patterns: readonly string[], value: string, caseless: boolean) =>
  patterns.some((p) => glob(p, caseless).test(value));

/** How a statement's principals name a caller: itself, or its account (which delegates to the account's IAM policies). */
function named(p: Principals | undefined, caller: Caller, account: string): "direct" | "account" | undefined {
  if (p === undefined) return undefined;
  if (p.any) return "direct";
  if (caller.kind === "service") return p.service?.includes(caller.service) ? "direct" : undefined;
  const root = `arn:aws:iam::${account}:root`;
  const ofAccount = p.aws?.some((a) => a === account || a === root) ?? false;
  // The root user is the account: a statement naming the account names it.
  if (caller.kind === "root") return ofAccount ? "direct" : undefined;
  const { roleArn } = caller.identity;
  if (p.aws?.some((a) => a === roleArn || a === callerArn(caller, account))) return "direct";
  return ofAccount ? "account" : undefined;
}

/** One call as a policy sees it. */
export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
  readonly caller: Caller;
  readonly account: string;
  readonly context: RequestContext;
}

/** What one policy says of a call: an explicit deny, an allow (of the caller itself, or of its account), or nothing. */
export interface PolicyAnswer {
  readonly deny: boolean;
  readonly allow: "direct" | "account" | undefined;
}

/**
 * Decides a call against one policy. An identity-based policy's statements are about its owner; a
 * resource-based one's about the principals they name.
 */
export function evaluatePolicy(
  statements: readonly Statement[],
  request: PolicyRequest,
  kind: "identity" | "resource",
): PolicyAnswer {
  let allow: PolicyAnswer["allow"];
  for (const s of statements) {
    const actionOk = s.actions
      ? matchesAny(s.actions, request.action, true)
      : !matchesAny(s.notActions ?? [], request.action, true);
    if (!actionOk) continue;
    const resourceOk = s.resources
      ? matchesAny(s.resources, request.resource, false)
      : s.notResources
        ? !matchesAny(s.notResources, request.resource, false)
        : kind === "resource"; // a resource-based policy's statement may leave Resource out: its resource
    if (!resourceOk) continue;
    let whom: "direct" | "account" | undefined = "direct";
    if (kind === "resource") {
      whom = s.principals
        ? named(s.principals, request.caller, request.account)
        : named(s.notPrincipals, request.caller, request.account)
          ? undefined
          : "direct";
      if (whom === undefined) continue;
    }
    if (!conditionHolds(s.condition, request.context)) continue;
    if (s.effect === "Deny") return { deny: true, allow: undefined };
    if (whom === "direct" || allow === undefined) allow = whom;
  }
  return { deny: false, allow };
}

/** Decides one action on one resource against an identity's statements alone. */
export function evaluate(
  statements: readonly Statement[],
  action: string,
  resource: string,
  context: RequestContext = new Map(),
): Decision {
  const answer = evaluatePolicy(
    statements,
    { action, resource, caller: { kind: "root" }, account: "", context },
    "identity",
  );
  return answer.deny ? "explicit-deny" : answer.allow ? "allowed" : "implicit-deny";
}

/** Which policy a refusal comes from, in AWS's words. */
export type RefusalReason =
  | "explicit deny in an identity-based policy"
  | "explicit deny in a resource-based policy"
  | "no identity-based policy allows"
  | "no resource-based policy allows";

/** AWS's wording of a refusal, e.g. for DynamoDB's AccessDeniedException. */
export function denialMessage(
  caller: string,
  action: string,
  resource: string,
  reason: RefusalReason = "no identity-based policy allows",
): string {
  const why = reason.startsWith("explicit") ? `with an ${reason}` : `because ${reason} the ${action} action`;
  return `User: ${caller} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

const list = (value: unknown): string[] | undefined =>
  value === undefined ? undefined : [value].flat().map((v) => String(v));

function principalsOf(value: unknown): Principals | undefined {
  if (value === undefined) return undefined;
  if (value === "*") return { any: true };
  const p = value as { AWS?: unknown; Service?: unknown };
  const aws = list(p.AWS);
  return {
    ...(aws?.includes("*") ? { any: true } : {}),
    ...(aws ? { aws } : {}),
    ...(p.Service === undefined ? {} : { service: list(p.Service) }),
  };
}

/** A policy document's statements; a Condition operator IAM does not have stops the start. */
export function statementsOf(document: unknown, where: string): Statement[] {
  const doc = (typeof document === "string" ? JSON.parse(document) : document) as { Statement?: unknown } | undefined;
  return [doc?.Statement ?? []].flat().map((raw) => {
    const s = raw as Record<string, unknown>;
    if (s.Effect !== "Allow" && s.Effect !== "Deny") throw new TemplateError(`${where}: a statement needs an Effect`);
    const condition = s.Condition as ConditionBlock | undefined;
    const { unknownOperators } = conditionKeys(condition);
    if (unknownOperators.length > 0) {
      throw new TemplateError(`${where}: IAM has no condition operator ${unknownOperators.join(", ")}`);
    }
    const principals = principalsOf(s.Principal);
    const notPrincipals = principalsOf(s.NotPrincipal);
    return {
      ...(typeof s.Sid === "string" ? { sid: s.Sid } : {}),
      effect: s.Effect,
      actions: list(s.Action),
      notActions: list(s.NotAction),
      resources: list(s.Resource),
      notResources: list(s.NotResource),
      ...(principals ? { principals } : {}),
      ...(notPrincipals ? { notPrincipals } : {}),
      ...(condition ? { condition } : {}),
    };
  });
}

export interface IdentityOptions {
  /** A managed policy the local stack does not know: stop the start (IAM enforced) or say so and go on. */
  readonly unknownManagedPolicy: "stop" | "warn";
  readonly warn?: (message: string) => void;
}

/** Every function's role and the identity policies attached to it, from the deployed template. */
export function roleIdentities(
  stack: StackDeployment,
  options: IdentityOptions = { unknownManagedPolicy: "stop" },
): Map<string, RoleIdentity> {
  const byRoleName = new Map<string, Statement[]>();
  for (const role of stack.byType("AWS::IAM::Role")) {
    const inline = (role.properties.Policies as { PolicyDocument: unknown }[] | undefined) ?? [];
    const managed = ((role.properties.ManagedPolicyArns as unknown[] | undefined) ?? []).flatMap((arn) => {
      const known = MANAGED_POLICIES[awsManagedPolicyPath(String(arn)) ?? ""];
      if (known) return statementsOf(known.document, `${role.logicalId} (${String(arn)})`);
      // The template's own managed policies are attached below.
      if (stack.byType("AWS::IAM::ManagedPolicy").some((p) => p.arn === String(arn))) return [];
      const message = `${role.logicalId}: the managed policy ${String(arn)} is not known to the local stack (it knows ${Object.keys(MANAGED_POLICIES).join(", ")}, read ${MANAGED_POLICIES_READ_ON})`;
      if (options.unknownManagedPolicy === "stop") throw new TemplateError(message);
      options.warn?.(`${message}; its grants are left out`);
      return [];
    });
    byRoleName.set(role.name, [...inline.flatMap((p) => statementsOf(p.PolicyDocument, role.logicalId)), ...managed]);
  }
  // Customer managed policies of the template: attached by their Roles, or by a role's ManagedPolicyArns.
  for (const policy of stack.byType("AWS::IAM::ManagedPolicy")) {
    const statements = statementsOf(policy.properties.PolicyDocument, policy.logicalId);
    const attached = new Set((policy.properties.Roles as string[] | undefined) ?? []);
    for (const role of stack.byType("AWS::IAM::Role")) {
      if (((role.properties.ManagedPolicyArns as unknown[] | undefined) ?? []).includes(policy.arn))
        attached.add(role.name);
    }
    for (const roleName of attached) byRoleName.get(roleName)?.push(...statements);
  }
  for (const policy of stack.byType("AWS::IAM::Policy")) {
    const statements = statementsOf(policy.properties.PolicyDocument, policy.logicalId);
    for (const roleName of (policy.properties.Roles as string[] | undefined) ?? []) {
      byRoleName.get(roleName)?.push(...statements);
    }
  }
  const identities = new Map<string, RoleIdentity>();
  for (const fn of stack.byType("AWS::Lambda::Function")) {
    const roleArn = String(fn.properties.Role);
    const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
    const statements = byRoleName.get(roleName);
    if (statements === undefined)
      throw new TemplateError(`${fn.logicalId}: its role ${roleArn} is not in the template`);
    identities.set(fn.logicalId, { roleName, roleArn, functionName: fn.name, statements });
  }
  return identities;
}

/** The actions a role's Allow statements name (wildcards as written), with their resources. */
export function grantedActions(identity: RoleIdentity): { action: string; resources: readonly string[] }[] {
  return identity.statements
    .filter((s) => s.effect === "Allow" && s.actions)
    .flatMap((s) => (s.actions ?? []).map((action) => ({ action, resources: s.resources ?? ["*"] })));
}

/** One call a function (or a service, for a delivery) made or was refused, as the local stack decided it. */
export interface Access {
  /** The function whose role called; for a service's delivery, the service principal. */
  readonly functionName: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
  /** For a refusal: which policy refused, in AWS's words. */
  readonly reason?: RefusalReason;
}

/**
 * Least privilege shown: per function, what it used, what was refused (and by which policy), and
 * what it never used; then each service that delivered for a resource, with what it was allowed and refused.
 */
export function accessReport(identities: Iterable<RoleIdentity>, accesses: readonly Access[]): FunctionAccess[] {
  const group = (list: readonly Access[]) => {
    const out: Record<string, string[]> = {};
    for (const a of list) {
      const resources = out[a.action] ?? [];
      if (!resources.includes(a.resource)) resources.push(a.resource);
      out[a.action] = resources;
    }
    return out;
  };
  const entry = (name: string, granted: { action: string; resources: readonly string[] }[]): FunctionAccess => {
    const mine = accesses.filter((a) => a.functionName === name);
    const allowed = mine.filter((a) => a.decision === "allowed");
    const refused = mine.filter((a) => a.decision !== "allowed");
    const unused = granted.flatMap(({ action, resources }) =>
      resources
        .filter(
          (resource) =>
            !allowed.some((a) => glob(action, true).test(a.action) && glob(resource, false).test(a.resource)),
        )
        .map((resource) => ({ action, resource })),
    );
    return {
      functionName: name,
      used: group(allowed),
      refused: group(refused),
      reasons: Object.fromEntries(refused.map((a) => [`${a.action} ${a.resource}`, a.reason ?? "refused"])),
      unused,
    };
  };
  const roles = [...identities];
  const functions = new Set(roles.map((i) => i.functionName));
  const services = [...new Set(accesses.map((a) => a.functionName).filter((name) => !functions.has(name)))];
  return [...roles.map((i) => entry(i.functionName, grantedActions(i))), ...services.map((s) => entry(s, []))];
}
