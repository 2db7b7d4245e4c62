import type { StackDeployment } from "../cloudformation/assembly.js";
import { TemplateError } from "../cloudformation/intrinsics.js";
import { awsManagedPolicyPath, MANAGED_POLICIES, MANAGED_POLICIES_READ_ON } from "./managed-policies.js";
import type { FunctionAccess } from "./report.js";

export type { FunctionAccess } from "./report.js";

// IAM identity-based policy evaluation, as an account does it for a role's calls: an explicit Deny
// wins, then an Allow, and anything else is implicitly denied. Actions match case-insensitively with
// * and ? wildcards, resources case-sensitively. A role's policies are its inline ones, the
// AWS::IAM::Policy resources naming it, and the AWS managed policies it attaches (from their
// published documents: managed-policies.ts). Statements with a Condition cannot be judged locally,
// and neither can a managed policy not known here: a template that uses them stops the start.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

export interface Statement {
  readonly effect: "Allow" | "Deny";
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
}

/** A function's identity as an account sees its calls. */
export interface RoleIdentity {
  readonly roleName: string;
  readonly roleArn: string;
  readonly functionName: string;
  readonly statements: readonly Statement[];
}

export type Decision = "allowed" | "implicit-deny" | "explicit-deny";

export function glob(pattern: string, caseless: boolean): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, caseless ? "is" : "s");
}

const matchesAny = (patterns: readonly string[], value: string, caseless: boolean) =>
  patterns.some((p) => glob(p, caseless).test(value));

function applies(s: Statement, action: string, resource: string): boolean {
  const actionOk = s.actions ? matchesAny(s.actions, action, true) : !matchesAny(s.notActions ?? [], action, true);
  if (!actionOk) return false;
  return s.resources ? matchesAny(s.resources, resource, false) : !matchesAny(s.notResources ?? [], resource, false);
}

/** Decides one action on one resource against a role's statements. */
export function evaluate(statements: readonly Statement[], action: string, resource: string): Decision {
  let allowed = false;
  for (const s of statements) {
    if (!applies(s, action, resource)) continue;
    if (s.effect === "Deny") return "explicit-deny";
    allowed = true;
  }
  return allowed ? "allowed" : "implicit-deny";
}

/** AWS's wording of a refusal, e.g. for DynamoDB's AccessDeniedException. */
export function denialMessage(identity: RoleIdentity, action: string, resource: string, decision: Decision): string {
  const user = `arn:aws:sts::${identity.roleArn.split(":")[4]}:assumed-role/${identity.roleName}/${identity.functionName}`;
  const why =
    decision === "explicit-deny"
      ? "with an explicit deny in an identity-based policy"
      : `because no identity-based policy allows the ${action} action`;
  return `User: ${user} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

const list = (value: unknown): string[] | undefined =>
  value === undefined ? undefined : [value].flat().map((v) => String(v));

function statementsOf(document: unknown, where: string): Statement[] {
  const doc = document as { Statement?: unknown } | undefined;
  return [doc?.Statement ?? []].flat().map((raw) => {
    const s = raw as Record<string, unknown>;
    if (s.Condition !== undefined) {
      throw new TemplateError(`${where}: a policy statement with a Condition cannot be evaluated by the local stack`);
    }
    if (s.Effect !== "Allow" && s.Effect !== "Deny") throw new TemplateError(`${where}: a statement needs an Effect`);
    return {
      effect: s.Effect,
      actions: list(s.Action),
      notActions: list(s.NotAction),
      resources: list(s.Resource),
      notResources: list(s.NotResource),
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

/** One call a function made (or was refused), as the gateway saw it. */
export interface Access {
  readonly functionName: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
}

/** Least privilege shown: per function, what it used, what was refused, and what it never used. */
export function accessReport(identities: Iterable<RoleIdentity>, accesses: readonly Access[]): FunctionAccess[] {
  return [...identities].map((identity) => {
    const mine = accesses.filter((a) => a.functionName === identity.functionName);
    const group = (list: readonly Access[]) => {
      const out: Record<string, string[]> = {};
      for (const a of list) {
        const resources = out[a.action] ?? [];
        if (!resources.includes(a.resource)) resources.push(a.resource);
        out[a.action] = resources;
      }
      return out;
    };
    const allowed = mine.filter((a) => a.decision === "allowed");
    const unused = grantedActions(identity).flatMap(({ action, resources }) =>
      resources
        .filter(
          (resource) =>
            !allowed.some((a) => glob(action, true).test(a.action) && glob(resource, false).test(a.resource)),
        )
        .map((resource) => ({ action, resource })),
    );
    return {
      functionName: identity.functionName,
      used: group(allowed),
      refused: group(mine.filter((a) => a.decision !== "allowed")),
      unused,
    };
  });
}
