// CloudFormation's intrinsic functions, resolved the way CloudFormation resolves them when it
// deploys a template: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If with the
// template's Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition), and the pseudo-parameters.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html

export class TemplateError extends Error {
  override readonly name = "TemplateError";
}

/** What a resolver needs from the deployment: every resource's Ref value and attributes. */
export interface Scope {
  /** A parameter of a list type (CommaDelimitedList, List<…>) is a list. */
  ref(logicalId: string): string | string[];
  getAtt(logicalId: string, attribute: string): string;
  /** Evaluated template conditions by name. */
  condition(name: string): boolean;
}

/** The value CloudFormation uses for `AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol("AWS::NoValue");

export function pseudoParameters(region: string, account: string, stackName: string): Record<string, string> {
  return {
    "AWS::Region": region,
    "AWS::AccountId": account,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": stackName,
    "AWS::StackId": `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
    "AWS::NotificationARNs": "",
  };
}

/** Resolves every intrinsic function in a template value; `AWS::NoValue` removes the property. */
export function resolve(value: unknown, scope: Scope): unknown {
  const out = resolveValue(value, scope);
  return out === NO_VALUE ? undefined : out;
}

function resolveValue(value: unknown, scope: Scope): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [first] = entries;
  if (
    entries.length === 1 &&
    first &&
    (first[0] === "Ref" || first[0].startsWith("Fn::") || first[0] === "Condition")
  ) {
    return intrinsic(first[0], first[1], scope);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const r = resolveValue(v, scope);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

function str(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new TemplateError(`${what} must resolve to a string, got ${JSON.stringify(value)}`);
}

function intrinsic(name: string, arg: unknown, scope: Scope): unknown {
  switch (name) {
    case "Ref":
      if (arg === "AWS::NoValue") return NO_VALUE;
      return scope.ref(str(arg, "Ref"));
    case "Fn::GetAtt": {
      const [id, attribute] = typeof arg === "string" ? arg.split(/\.(.*)/s) : (arg as unknown[]);
      return scope.getAtt(str(id, "Fn::GetAtt"), str(resolveValue(attribute, scope), "Fn::GetAtt attribute"));
    }
    case "Fn::Join": {
      const [sep, list] = arg as [string, unknown];
      const items = resolveValue(list, scope);
      if (!Array.isArray(items)) throw new TemplateError("Fn::Join takes a list");
      return items.map((v) => str(v, "Fn::Join item")).join(sep);
    }
    case "Fn::Sub": {
      const [text, vars] = typeof arg === "string" ? [arg, {}] : (arg as [string, Record<string, unknown>]);
      const bound = resolveValue(vars, scope) as Record<string, unknown>;
      return text.replace(/\$\{([^}]+)\}/g, (whole, expr: string) => {
        if (expr.startsWith("!")) return `\${${expr.slice(1)}}`; // ${!Literal}
        if (expr in bound) return str(bound[expr], `Fn::Sub \${${expr}}`);
        const dot = expr.indexOf(".");
        if (dot > 0 && !expr.startsWith("AWS::")) return scope.getAtt(expr.slice(0, dot), expr.slice(dot + 1));
        const value = scope.ref(expr);
        if (value === undefined) throw new TemplateError(`Fn::Sub cannot resolve ${whole}`);
        return str(value, `Fn::Sub ${whole}`);
      });
    }
    case "Fn::Select": {
      const [index, list] = arg as [unknown, unknown];
      const items = resolveValue(list, scope);
      const i = Number(resolveValue(index, scope));
      if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
        throw new TemplateError(`Fn::Select index ${i} is out of range`);
      }
      return items[i];
    }
    case "Fn::Split": {
      const [sep, source] = arg as [string, unknown];
      return str(resolveValue(source, scope), "Fn::Split source").split(sep);
    }
    case "Fn::If": {
      const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
      return resolveValue(scope.condition(condition) ? whenTrue : whenFalse, scope);
    }
    case "Fn::Equals": {
      const [a, b] = (arg as unknown[]).map((v) => resolveValue(v, scope));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case "Fn::Not":
      return !condition((arg as unknown[])[0], scope);
    case "Fn::And":
      return (arg as unknown[]).every((c) => condition(c, scope));
    case "Fn::Or":
      return (arg as unknown[]).some((c) => condition(c, scope));
    case "Condition":
      return scope.condition(str(arg, "Condition"));
    default:
      throw new TemplateError(`the intrinsic function ${name} is not supported by the local stack`);
  }
}

/** Evaluates a condition expression (an object of Fn::Equals/Not/And/Or/Condition). */
export function condition(expression: unknown, scope: Scope): boolean {
  const value = resolveValue(expression, scope);
  if (typeof value !== "boolean")
    throw new TemplateError(`a condition must be true or false: ${JSON.stringify(value)}`);
  return value;
}
