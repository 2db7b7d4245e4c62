import { describe, expect, test } from "vitest";
import { LOCAL_ACCOUNT, readAssembly, type StackDeployment } from "../../local/cloudformation/assembly.js";
import { Authorizer, type CallToDecide } from "../../local/iam/authorizer.js";
import type { Arrival } from "../../local/iam/context.js";
import { roleIdentities } from "../../local/iam/policy.js";
import { accountPolicies } from "../../local/iam/resource-policies.js";
import { assembly, editedAssembly, resourcesOf } from "../helpers/stack.js";
import type { EditableTemplate } from "../helpers/template-edit.js";

// Our own template decided as an account decides it: the calls its deliveries and functions make,
// allowed as deployed, and refused — by the right policy, for the right reason — once one of the
// grants an account needs is taken out. (The integration tests see the same refusals end to end.)

const REGION = "us-east-1";

function deployed(dir = assembly()): { stack: StackDeployment; authorizer: Authorizer } {
  const stacks = readAssembly(dir, { region: REGION, endpoint: "https://127.0.0.1:4566" });
  const [stack] = stacks;
  if (!stack) throw new Error("no stack");
  return { stack, authorizer: new Authorizer(accountPolicies(stacks, REGION, LOCAL_ACCOUNT)) };
}

const arnOf = (stack: StackDeployment, prefix: string): string => {
  const found = stack.resources.find((r) => r.logicalId.startsWith(prefix));
  if (!found) throw new Error(`no ${prefix} in the template`);
  return found.arn;
};

/** SNS delivering a topic's message to a queue, as SNS's service principal. */
const snsToQueue = (queueArn: string, topicArn: string): CallToDecide => ({
  caller: { kind: "service", service: "sns.amazonaws.com" },
  service: "sqs",
  operation: "SendMessage",
  action: "sqs:SendMessage",
  resources: [queueArn],
  arrival: { secure: true, source: { arn: topicArn, account: LOCAL_ACCOUNT } },
});

const TLS: Arrival = { secure: true, sourceIp: "127.0.0.1" };

/** A call the account's administrator (its root) makes. */
const asRoot = (
  service: CallToDecide["service"],
  operation: string,
  resource: string,
  arrival = TLS,
): CallToDecide => ({
  caller: { kind: "root" },
  service,
  operation,
  action: `${service}:${operation}`,
  resources: [resource],
  arrival,
});

const editStatements = (
  template: EditableTemplate,
  type: string,
  idPrefix: string,
  documentKey: string,
  keep: (statement: Record<string, unknown>) => boolean,
) => {
  for (const [id, r] of resourcesOf(template, type)) {
    if (!id.startsWith(idPrefix)) continue;
    const doc = r.Properties[documentKey] as { Statement: Record<string, unknown>[] };
    doc.Statement = doc.Statement.filter(keep);
  }
};
const namesSns = (s: Record<string, unknown>) => JSON.stringify(s.Principal ?? "").includes("sns.amazonaws.com");

describe("our template, decided as an account decides it", () => {
  test("as deployed: SNS delivers to the alert queue (queue policy and key policy both allow it)", () => {
    const { stack, authorizer } = deployed();
    const topic = arnOf(stack, "AlertTopic");
    expect(authorizer.decide(snsToQueue(arnOf(stack, "AlertQueue"), topic))).toBeUndefined();
    // Only for its own topic: the queue policy's aws:SourceArn names it.
    const other = topic.replace(/:[^:]*$/, ":SomeoneElsesTopic.fifo");
    expect(authorizer.decide(snsToQueue(arnOf(stack, "AlertQueue"), other))).toMatchObject({
      action: "sqs:SendMessage",
      reason: "no resource-based policy allows",
      kms: false,
    });
    // Nor to a queue whose policy names no topic.
    expect(authorizer.decide(snsToQueue(arnOf(stack, "RejectedQueue"), topic))).toMatchObject({
      reason: "no resource-based policy allows",
    });
  });

  test("the queue policy without the topic's grant: SNS is refused by the queue", () => {
    const dir = editedAssembly((t) =>
      editStatements(t, "AWS::SQS::QueuePolicy", "AlertQueuePolicy", "PolicyDocument", (s) => !namesSns(s)),
    );
    const { stack, authorizer } = deployed(dir);
    const refusal = authorizer.decide(snsToQueue(arnOf(stack, "AlertQueue"), arnOf(stack, "AlertTopic")));
    expect(refusal).toMatchObject({ resource: arnOf(stack, "AlertQueue"), kms: false });
    expect(refusal?.message).toMatch(/^User: sns\.amazonaws\.com is not authorized to perform: sqs:SendMessage/);
  });

  test("the key policy without SNS: the queue allows, the queue's key refuses (kms:GenerateDataKey)", () => {
    const dir = editedAssembly((t) => editStatements(t, "AWS::KMS::Key", "DataKey", "KeyPolicy", (s) => !namesSns(s)));
    const { stack, authorizer } = deployed(dir);
    const refusal = authorizer.decide(snsToQueue(arnOf(stack, "AlertQueue"), arnOf(stack, "AlertTopic")));
    expect(refusal).toMatchObject({ action: "kms:GenerateDataKey", resource: arnOf(stack, "DataKey"), kms: true });
  });

  test("TLS-only queues and topic: plain HTTP is refused by an explicit deny, whoever calls", () => {
    const { stack, authorizer } = deployed();
    const queue = arnOf(stack, "RejectedQueue");
    expect(authorizer.decide(asRoot("sqs", "ReceiveMessage", queue))).toBeUndefined();
    const plain = authorizer.decide(asRoot("sqs", "ReceiveMessage", queue, { secure: false, sourceIp: "127.0.0.1" }));
    expect(plain).toMatchObject({ decision: "explicit-deny", reason: "explicit deny in a resource-based policy" });
    const topic = arnOf(stack, "AlertTopic");
    expect(authorizer.decide(asRoot("sns", "Publish", topic, { secure: false }))).toMatchObject({
      decision: "explicit-deny",
    });
  });

  test("a function's role: sending to an encrypted queue needs the key's kms:GenerateDataKey, through SQS", () => {
    const decideAs = (dir: string | undefined) => {
      const { stack, authorizer } = deployed(dir);
      const fn = stack.byType("AWS::Lambda::Function").find((f) => f.logicalId.startsWith("ConversionsFunction"));
      const identity = fn && roleIdentities(stack).get(fn.logicalId);
      if (!identity) throw new Error("no conversions function");
      return {
        stack,
        refusal: authorizer.decide({
          caller: { kind: "role", identity },
          service: "sqs",
          operation: "SendMessage",
          action: "sqs:SendMessage",
          resources: [arnOf(stack, "PromoQueue")],
          arrival: TLS,
        }),
      };
    };
    expect(decideAs(undefined).refusal).toBeUndefined();
    const { stack, refusal } = decideAs(
      editedAssembly((t) => {
        for (const [id, r] of resourcesOf(t, "AWS::IAM::Policy")) {
          if (!id.startsWith("ConversionsRole")) continue;
          const doc = r.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
          for (const s of doc.Statement)
            s.Action = [s.Action].flat().filter((a) => !a.startsWith("kms:GenerateDataKey"));
        }
      }),
    );
    expect(refusal).toMatchObject({
      action: "kms:GenerateDataKey",
      resource: arnOf(stack, "DataKey"),
      reason: "no identity-based policy allows",
      kms: true,
    });
  });
});
