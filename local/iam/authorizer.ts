import type { RequestContext } from "./conditions.js";
import { type Arrival, baseContext, contextOf, serviceContext } from "./context.js";
import { kmsActionsFor } from "./kms.js";
import {
  type Access,
  type Caller,
  callerArn,
  type Decision,
  denialMessage,
  evaluatePolicy,
  type PolicyAnswer,
  type RefusalReason,
} from "./policy.js";
import type { AwsRequest, Service } from "./request.js";
import type { AccountPolicies } from "./resource-policies.js";

// How the policies of one call combine, as AWS's evaluation logic has it for calls within one
// account: an explicit Deny in any policy that applies wins; otherwise an Allow in the caller's
// identity-based policies or in the resource's policy suffices — but a resource policy that names
// the account (its root) only delegates to the account's IAM policies, and a service principal has
// no identity policies, so only the resource's policy can allow it. A KMS key's policy must allow
// every use of the key, itself or by delegating to IAM. An encrypted resource's calls use its key
// as the service does (kms.ts), through the service (kms:ViaService) for a caller, or as the
// service principal for a delivery.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html

/** One call to decide: who, which action on which resources, and how it arrived. */
export interface CallToDecide {
  readonly caller: Caller;
  readonly service: Service;
  readonly operation: string;
  readonly action: string;
  readonly resources: readonly string[];
  readonly arrival: Arrival;
  /** The request as the service read it, for its own condition keys (none for a service's delivery). */
  readonly request?: AwsRequest;
}

export interface Refusal {
  readonly action: string;
  readonly resource: string;
  readonly decision: Exclude<Decision, "allowed">;
  readonly reason: RefusalReason;
  /** AWS's words for it ("User: … is not authorized to perform: …"). */
  readonly message: string;
  /** A use of the resource's key was refused: the service answers with its KMS error. */
  readonly kms: boolean;
}

/** Root is governed by no identity policy: its account's delegations allow it, and only a Deny refuses it. */
const ROOT_IDENTITY: PolicyAnswer = { deny: false, allow: "direct" };

export class Authorizer {
  private readonly seen = new Set<string>();
  readonly accesses: Access[] = [];

  constructor(private policies: AccountPolicies) {}

  /** The deployment's policies (watch mode replaces them). */
  setPolicies(policies: AccountPolicies): void {
    this.policies = policies;
  }

  /** The first refusal among the call's resources and their keys; undefined when all of it is allowed. */
  decide(call: CallToDecide): Refusal | undefined {
    const { account, region } = this.policies;
    const base = baseContext(call.caller, call.arrival, region, account);
    const service = call.request ? serviceContext(call.request, (table) => this.policies.partitionKey(table)) : {};
    let refusal: Refusal | undefined;
    for (const resource of call.resources) {
      const tags = Object.fromEntries(
        Object.entries(this.policies.tags(resource)).map(([k, v]) => [`aws:resourcetag/${k.toLowerCase()}`, [v]]),
      );
      const context = contextOf(base, service, tags, { "aws:resourceaccount": [account] });
      // A call to KMS itself on a key: the key's policy must allow it, as every use of a key.
      const key = call.service === "kms" ? this.policies.key(resource) : undefined;
      const first = key
        ? this.decideOne(call, call.action, key.arn, context, true, key.policy)
        : (this.decideOne(call, call.action, resource, context, false) ?? this.decideKeyUses(call, resource, context));
      refusal ??= first;
    }
    return refusal;
  }

  /** The uses of a resource's key the call makes, each decided by the key's policy. */
  private decideKeyUses(call: CallToDecide, resource: string, context: RequestContext): Refusal | undefined {
    const actions = kmsActionsFor(call.service, call.operation);
    const encryption = actions.length > 0 ? this.policies.encryption(resource) : undefined;
    if (!encryption) return undefined;
    const { key } = encryption;
    const via = call.caller.kind !== "service";
    const kmsKeys: Record<string, readonly string[]> = {
      ...Object.fromEntries(
        Object.entries(encryption.context).map(([k, v]) => [`kms:encryptioncontext:${k.toLowerCase()}`, [v]]),
      ),
      "kms:encryptioncontextkeys": Object.keys(encryption.context),
    };
    if (via) {
      const name = `${call.service}.${this.policies.region}.amazonaws.com`;
      Object.assign(kmsKeys, {
        "kms:viaservice": [name],
        "kms:calleraccount": [this.policies.account],
        "aws:viaawsservice": ["true"],
        "aws:calledvia": [`${call.service}.amazonaws.com`],
        "aws:calledviafirst": [`${call.service}.amazonaws.com`],
        "aws:calledvialast": [`${call.service}.amazonaws.com`],
      });
    }
    const keyContext = contextOf(Object.fromEntries(context), kmsKeys);
    for (const action of actions) {
      if (!key.enabled) {
        return this.refuse(
          call,
          action,
          key.arn,
          "explicit-deny",
          "explicit deny in a resource-based policy",
          true,
          `${key.arn} is disabled.`,
        );
      }
      const refused = this.decideOne(call, action, key.arn, keyContext, true, key.policy);
      if (refused) return refused;
    }
    return undefined;
  }

  /**
   * One action on one resource. For a key, its policy is required to allow (itself, or by
   * delegating to the account); for anything else, the identity or the resource's policy may.
   */
  private decideOne(
    call: CallToDecide,
    action: string,
    resource: string,
    context: RequestContext,
    isKey: boolean,
    keyPolicy?: readonly import("./policy.js").Statement[],
  ): Refusal | undefined {
    const { account } = this.policies;
    const request = { action, resource, caller: call.caller, account, context };
    const identity: PolicyAnswer =
      call.caller.kind === "role"
        ? evaluatePolicy(call.caller.identity.statements, request, "identity")
        : call.caller.kind === "root"
          ? ROOT_IDENTITY
          : { deny: false, allow: undefined };
    const statements = isKey ? keyPolicy : this.policies.resourcePolicy(resource);
    const onResource: PolicyAnswer = statements
      ? evaluatePolicy(statements, request, "resource")
      : { deny: false, allow: undefined };

    let decision: Decision;
    let reason: RefusalReason | undefined;
    if (identity.deny) [decision, reason] = ["explicit-deny", "explicit deny in an identity-based policy"];
    else if (onResource.deny) [decision, reason] = ["explicit-deny", "explicit deny in a resource-based policy"];
    else if (onResource.allow === "direct") decision = "allowed";
    else if (isKey) {
      // A key's policy decides: naming the account, it lets the account's IAM policies decide.
      decision = onResource.allow === "account" && identity.allow ? "allowed" : "implicit-deny";
      if (decision !== "allowed") {
        reason = onResource.allow === "account" ? "no identity-based policy allows" : "no resource-based policy allows";
      }
    } else if (identity.allow) decision = "allowed";
    else {
      decision = "implicit-deny";
      reason = call.caller.kind === "service" ? "no resource-based policy allows" : "no identity-based policy allows";
    }
    this.record(call.caller, action, resource, decision, reason);
    if (decision === "allowed" || reason === undefined) return undefined;
    return this.refuse(call, action, resource, decision, reason, isKey);
  }

  private refuse(
    call: CallToDecide,
    action: string,
    resource: string,
    decision: Exclude<Decision, "allowed">,
    reason: RefusalReason,
    kms: boolean,
    message = denialMessage(callerArn(call.caller, this.policies.account), action, resource, reason),
  ): Refusal {
    return { action, resource, decision, reason, message, kms };
  }

  private record(caller: Caller, action: string, resource: string, decision: Decision, reason?: RefusalReason) {
    if (caller.kind === "root") return;
    const functionName = caller.kind === "role" ? caller.identity.functionName : caller.service;
    const access: Access = { functionName, action, resource, decision, ...(reason ? { reason } : {}) };
    const key = JSON.stringify(access);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.accesses.push(access);
  }
}
