// Compares an answer of the local stack with an answer AWS gave, as recorded in LocalStack's
// AWS-validated snapshot files: field by field, both ways (a field AWS leaves out must be left out),
// after what legitimately differs is set aside. The recorded answers carry LocalStack's placeholders
// for those values — `<uuid:1>`, `<sequence-number:2>`, `<resource:1>`, `<region>`, `<datetime>` — and
// AWS's test account 111111111111. A placeholder matches any value of the answer; one with a number
// (`<uuid:1>`) stands for one value throughout a scenario, so two fields recorded as the same id must
// be the same id here too.

export interface Mismatch {
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** The account of the recorded answers; any account matches it. */
const RECORDED_ACCOUNT = "111111111111";
const PLACEHOLDER = /<[a-z0-9][a-z0-9_-]*(?::[^<>]*)?>/gi;
/** Placeholders of values that differ from one occurrence to the next (times), never bound. */
const UNBOUND = /^<(timestamp|datetime|approximate-arrival-timestamp|execution-start|date)\b/i;

/** Keys of the SDK's own response metadata, not of the service's answer. */
const SDK_KEYS = new Set(["ResponseMetadata", "$metadata"]);

export class Bindings {
  private readonly values = new Map<string, string>();

  /** Whether a placeholder may stand for this value here (binding it on first sight). */
  accepts(placeholder: string, value: string): boolean {
    if (UNBOUND.test(placeholder) || !placeholder.includes(":")) return true;
    const bound = this.values.get(placeholder);
    if (bound === undefined) {
      this.values.set(placeholder, value);
      return true;
    }
    return bound === value;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether a recorded string matches an actual value, binding its placeholders. */
function matchesString(expected: string, actual: unknown, bindings: Bindings): boolean {
  const placeholders = [...expected.matchAll(PLACEHOLDER)].map((m) => m[0]);
  const accountFree = expected.split(RECORDED_ACCOUNT);
  if (placeholders.length === 0 && accountFree.length === 1) return expected === actual;
  // A value recorded as nothing but a placeholder may be a number in the answer (a timestamp).
  if (placeholders.length === 1 && expected === placeholders[0]) {
    if (typeof actual === "number") return true;
    if (typeof actual !== "string") return false;
    return bindings.accepts(expected, actual);
  }
  if (typeof actual !== "string") return false;
  const parts = expected.split(PLACEHOLDER);
  const pattern = parts.map((part) => escapeRegex(part).split(RECORDED_ACCOUNT).join("\\d{12}")).join("(.+?)");
  const match = new RegExp(`^${pattern}$`, "s").exec(actual);
  if (!match) return false;
  return placeholders.every((p, i) => bindings.accepts(p, match[i + 1] ?? ""));
}

/** Every difference between the recorded answer and the local stack's, by path. */
export function compare(
  expected: unknown,
  actual: unknown,
  bindings: Bindings = new Bindings(),
  path = "$",
): Mismatch[] {
  if (typeof expected === "string") {
    return matchesString(expected, actual, bindings) ? [] : [{ path, expected, actual }];
  }
  // Recorded answers hold JSON found in strings as the JSON itself (an SNS envelope's Message).
  if (typeof actual === "string" && expected !== null && typeof expected === "object") {
    const parsed = jsonOf(actual);
    if (parsed !== undefined) return compare(expected, parsed, bindings, path);
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [{ path, expected, actual }];
    return expected.flatMap((e, i) => compare(e, actual[i], bindings, `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return [{ path, expected, actual }];
    const e = { ...(expected as Record<string, unknown>) };
    const a = actual as Record<string, unknown>;
    // A key recorded as a placeholder (a table's name as a map's key) stands for a key of the answer
    // the recording has no literal for, in order.
    const loose = Object.keys(a).filter((k) => !(k in e) && !SDK_KEYS.has(k));
    for (const key of Object.keys(e).filter((k) => /^<[^<>]+>$/.test(k))) {
      const taken = loose.find((k) => matchesString(key, k, bindings));
      if (taken === undefined) continue;
      loose.splice(loose.indexOf(taken), 1);
      e[taken] = e[key];
      delete e[key];
    }
    const keys = new Set([...Object.keys(e), ...Object.keys(a)].filter((k) => !SDK_KEYS.has(k)));
    return [...keys].flatMap((key) => {
      if (!(key in e)) return [{ path: `${path}.${key}`, expected: "(absent)", actual: a[key] }];
      if (!(key in a)) return [{ path: `${path}.${key}`, expected: e[key], actual: "(absent)" }];
      return compare(e[key], a[key], bindings, `${path}.${key}`);
    });
  }
  return Object.is(expected, actual) ? [] : [{ path, expected, actual }];
}

function jsonOf(text: string): unknown {
  if (!/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
