import { randomUUID } from "node:crypto";

// SNS speaks AWS's query protocol: a form of flattened parameters in (`MessageAttributes.entry.1.Name`,
// `PublishBatchRequestEntries.member.2.Message`), XML out. This reads the one and writes the other.

const NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/";

/** A service error as SNS answers it: its code, its HTTP status, and Sender or Receiver. */
export class SnsError extends Error {
  override readonly name = "SnsError";
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The numbered members of a list parameter (`prefix.1.…`, `prefix.2.…`), each as its own flat map. */
export function members(form: URLSearchParams, prefix: string): Map<string, string>[] {
  const byIndex = new Map<number, Map<string, string>>();
  for (const [key, value] of form) {
    if (!key.startsWith(`${prefix}.`)) continue;
    const rest = key.slice(prefix.length + 1);
    const dot = rest.indexOf(".");
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index)) continue;
    const entry = byIndex.get(index) ?? new Map<string, string>();
    entry.set(dot < 0 ? "" : rest.slice(dot + 1), value);
    byIndex.set(index, entry);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
}

/** A map parameter (`Attributes.entry.N.key` / `.value`). */
export function entries(form: URLSearchParams, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of members(form, `${prefix}.entry`)) {
    const key = entry.get("key");
    if (key !== undefined) out[key] = entry.get("value") ?? "";
  }
  return out;
}

/** The same map, read off one member's flat map (a batch entry's `Attributes.entry.N.key`). */
export function subEntries(member: Map<string, string>, prefix: string): URLSearchParams {
  const form = new URLSearchParams();
  for (const [key, value] of member) if (key.startsWith(`${prefix}.`)) form.set(key, value);
  return form;
}

export function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * A value as XML: elements for an object's keys, `<member>`s for a list, `<entry><key>…</key>
 * <value>…</value></entry>`s for a Map (the query protocol's maps), text otherwise.
 */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join("");
  if (value instanceof Map) {
    return [...value]
      .map(([k, v]) => `<entry><key>${xmlEscape(String(k))}</key><value>${xmlEscape(String(v))}</value></entry>`)
      .join("");
  }
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join("");
  }
  return xmlEscape(String(value));
}

/** The answer of an operation: `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>`. */
export function answer(action: string, result: unknown): string {
  const body = result === undefined ? "" : `<${action}Result>${toXml(result)}</${action}Result>`;
  return (
    `<${action}Response xmlns="${NAMESPACE}">${body}` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`
  );
}
