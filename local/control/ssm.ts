import type { Resource, StackDeployment } from "../cloudformation/assembly.js";
import type { AwsRequest } from "../iam/request.js";
import { notAnswered, serviceError } from "./errors.js";

// SSM Parameter Store's reads, answered from the template's AWS::SSM::Parameter resources: each at
// version 1, as CloudFormation created it.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html

export interface SsmDeps {
  readonly stacks: readonly StackDeployment[];
  readonly createdAt: Date;
}

export function answerSsm(call: AwsRequest, deps: SsmDeps): Record<string, unknown> {
  const parameters = deps.stacks.flatMap((s) => s.byType("AWS::SSM::Parameter"));
  const describe = (p: Resource) => ({
    Name: p.name,
    Type: String(p.properties.Type ?? "String"),
    Value: String(p.properties.Value ?? ""),
    Version: 1,
    LastModifiedDate: deps.createdAt,
    ARN: p.arn,
    DataType: String(p.properties.DataType ?? "text"),
  });
  // A name or an ARN, as both operations take; a selector (:version or :label) other than version 1 finds nothing.
  const find = (named: string) => {
    const [name, selector] = named.startsWith("arn:")
      ? [named, undefined]
      : (named.split(/:(?=[^/]*$)/) as [string, string?]);
    if (selector !== undefined && selector !== "1") return undefined;
    return parameters.find((p) => p.name === name || p.arn === name);
  };
  switch (call.operation) {
    case "GetParameter": {
      const named = String(call.json?.Name ?? "");
      const found = find(named);
      if (!found) throw serviceError("ParameterNotFound", `Parameter ${named} not found.`);
      return { Parameter: describe(found) };
    }
    case "GetParameters": {
      const names = ((call.json?.Names as unknown[] | undefined) ?? []).map(String);
      const found = names.map((n) => [n, find(n)] as const);
      return {
        Parameters: found.flatMap(([, p]) => (p ? [describe(p)] : [])),
        InvalidParameters: found.filter(([, p]) => !p).map(([n]) => n),
      };
    }
    default:
      throw notAnswered();
  }
}
