import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

// The demo data's outcomes, worked out independently of the product (data/*.expected.json), and how
// what a run sent compares with them: per subject (a zone, a server, a card) in order — the alert
// topic keeps one subject's messages in order, subjects interleave freely — field by field.

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "data");

export function expectedFile<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(dataDir, name), "utf8")) as T;
}

/** What differs between the messages expected and those sent, on the given fields: nothing when equal. */
export function compareBySubject(
  app: string,
  subject: string,
  fields: readonly string[],
  expected: readonly Record<string, unknown>[],
  sent: readonly Record<string, unknown>[],
): string[] {
  const pick = (m: Record<string, unknown>) => canonical(Object.fromEntries(fields.map((f) => [f, m[f]])));
  const subjects = [...new Set([...expected, ...sent].map((m) => String(m[subject])))].sort();
  const problems: string[] = [];
  for (const s of subjects) {
    const want = expected.filter((m) => String(m[subject]) === s).map(pick);
    const got = sent.filter((m) => String(m[subject]) === s).map(pick);
    const at = want.findIndex((w, i) => got[i] !== w);
    if (at >= 0 || got.length !== want.length) {
      const i = at >= 0 ? at : want.length;
      problems.push(
        `${app}: ${subject} ${s}: ${want.length} messages expected, ${got.length} sent; first difference at #${i + 1}: expected ${want[i] ?? "nothing"}, sent ${got[i] ?? "nothing"}`,
      );
    }
  }
  return problems;
}

/** JSON with every object's keys sorted: equal values, equal text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
