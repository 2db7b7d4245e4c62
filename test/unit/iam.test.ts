import { describe, expect, test } from "vitest";
import {
  accessReport,
  callerArn,
  denialMessage,
  evaluate,
  type RoleIdentity,
  type Statement,
} from "../../local/iam/policy.js";

const table = "arn:aws:dynamodb:us-east-1:000000000000:table/T";
const identity = (statements: Statement[]): RoleIdentity => ({
  roleName: "R",
  roleArn: "arn:aws:iam::000000000000:role/R",
  functionName: "F",
  statements,
});

describe("IAM identity policy evaluation", () => {
  test("an Allow naming the action and resource allows; anything else is implicitly denied", () => {
    const s: Statement[] = [{ effect: "Allow", actions: ["dynamodb:UpdateItem"], resources: [table] }];
    expect(evaluate(s, "dynamodb:UpdateItem", table)).toBe("allowed");
    expect(evaluate(s, "dynamodb:BatchWriteItem", table)).toBe("implicit-deny");
    expect(evaluate(s, "dynamodb:UpdateItem", `${table}2`)).toBe("implicit-deny");
  });

  test("wildcards in actions (any case) and resources; index sub-resources need their own grant", () => {
    const s: Statement[] = [
      { effect: "Allow", actions: ["DynamoDB:Batch*Item", "sqs:Send?essage"], resources: [table, "arn:aws:sqs:*"] },
    ];
    expect(evaluate(s, "dynamodb:BatchWriteItem", table)).toBe("allowed");
    expect(evaluate(s, "sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:q")).toBe("allowed");
    expect(evaluate(s, "dynamodb:BatchGetItem", `${table}/index/byEmail`)).toBe("implicit-deny");
  });

  test("an explicit Deny wins over any Allow; NotAction and NotResource invert the match", () => {
    const s: Statement[] = [
      { effect: "Allow", actions: ["dynamodb:*"], resources: ["*"] },
      { effect: "Deny", notActions: ["dynamodb:GetItem"], resources: [table] },
    ];
    expect(evaluate(s, "dynamodb:GetItem", table)).toBe("allowed");
    expect(evaluate(s, "dynamodb:PutItem", table)).toBe("explicit-deny");
    expect(
      evaluate(
        [{ effect: "Allow", actions: ["sns:Publish"], notResources: ["arn:aws:sns:*:*:secret"] }],
        "sns:Publish",
        "arn:aws:sns:us-east-1:0:secret",
      ),
    ).toBe("implicit-deny");
  });

  test("a refusal is worded as AWS words it", () => {
    const caller = callerArn({ kind: "role", identity: identity([]) }, "000000000000");
    expect(denialMessage(caller, "dynamodb:BatchWriteItem", table)).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/R/F is not authorized to perform: dynamodb:BatchWriteItem on resource: ${table} because no identity-based policy allows the dynamodb:BatchWriteItem action`,
    );
    expect(denialMessage(caller, "sns:Publish", "arn:t", "explicit deny in an identity-based policy")).toMatch(
      /with an explicit deny in an identity-based policy$/,
    );
  });

  test("the access report lists what was used, refused and granted but never used", () => {
    const role = identity([{ effect: "Allow", actions: ["dynamodb:UpdateItem", "dynamodb:Scan"], resources: [table] }]);
    const [report] = accessReport(
      [role],
      [
        { functionName: "F", action: "dynamodb:UpdateItem", resource: table, decision: "allowed" },
        {
          functionName: "F",
          action: "dynamodb:BatchWriteItem",
          resource: table,
          decision: "implicit-deny",
          reason: "no identity-based policy allows",
        },
      ],
    );
    expect(report).toEqual({
      functionName: "F",
      used: { "dynamodb:UpdateItem": [table] },
      refused: { "dynamodb:BatchWriteItem": [table] },
      reasons: { [`dynamodb:BatchWriteItem ${table}`]: "no identity-based policy allows" },
      unused: [{ action: "dynamodb:Scan", resource: table }],
    });
  });
});
