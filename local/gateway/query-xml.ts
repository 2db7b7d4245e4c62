import { randomUUID } from "node:crypto";

// The query protocol's answers (STS, CloudFormation, IAM): `<OpResponse><OpResult>…</OpResult>`
// with the operation's output as elements — a list's items each a <member>, a timestamp in
// ISO 8601 — and the request's id in <ResponseMetadata>.
// https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#response-serialization

/** Each query service's XML namespace, as its answers declare it. */
const NAMESPACES: Readonly<Record<string, string>> = {
  sts: "https://sts.amazonaws.com/doc/2011-06-15/",
  cloudformation: "http://cloudformation.amazonaws.com/doc/2010-05-15/",
  iam: "https://iam.amazonaws.com/doc/2010-05-08/",
};

/** An operation's whole answer document. */
export function queryAnswer(service: string, operation: string, output: Record<string, unknown>): string {
  const xmlns = NAMESPACES[service] ?? `https://${service}.amazonaws.com/`;
  return (
    `<${operation}Response xmlns="${xmlns}"><${operation}Result>${elements(output)}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

/** An output structure's members as elements, in their order; absent members are left out. */
function elements(value: Record<string, unknown>): string {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => `<${name}>${content(v)}</${name}>`)
    .join("");
}

function content(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${content(item)}</member>`).join("");
  if (value !== null && typeof value === "object") return elements(value as Record<string, unknown>);
  return escapeXml(String(value));
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
