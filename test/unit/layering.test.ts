import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { StateValue } from "@aws-sdk/client-cloudwatch";
import { expect, test } from "vitest";
import { APPS, STREAMS } from "#apps/index.js";

// The README's dependency diagram, held to the code: every import of every source file resolved to
// the top-level folder it reaches, and each folder allowed only the folders the diagram shows
// below it (itself always). A new import that points the other way fails here.

const root = path.resolve(import.meta.dirname, "../..");
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  shared: [],
  core: ["shared"],
  apps: ["core", "shared"],
  functions: ["apps", "core", "shared"],
  infra: ["apps", "core", "shared"],
  local: ["apps", "infra", "core", "shared"],
  cli: ["apps", "infra", "local", "core", "shared"],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(full);
    return /\.(ts|mjs)$/.test(entry.name) ? [full] : [];
  });
}

/** The top-level folders a file imports from (package imports `#apps/…` included). */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1] as string);
  return specifiers.flatMap((s) => {
    if (s.startsWith("#")) return [s.slice(1).split("/")[0] as string];
    if (!s.startsWith(".")) return [];
    const target = path.relative(root, path.resolve(path.dirname(file), s));
    return [target.split(path.sep)[0] as string];
  });
}

test("imports go one way: apps → core → shared, local never into cli, nothing into functions", () => {
  const wrong: string[] = [];
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    const files = sources(path.join(root, folder));
    expect(files.length, folder).toBeGreaterThan(0);
    for (const file of files) {
      for (const target of importedFolders(file)) {
        if (target !== folder && target in ALLOWED && !allowed.includes(target)) {
          wrong.push(`${path.relative(root, file)} imports ${target}/`);
        }
      }
    }
  }
  expect(wrong).toEqual([]);
});

/**
 * The words of a file's code, its comments left out: strings kept whole (a `//` inside one is no
 * comment), identifiers split where camelCase joins words (`campaignTable` names the campaign).
 */
function codeWords(file: string): string[] {
  const code = readFileSync(file, "utf8").replace(
    /("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|\/\/[^\n]*|\/\*[\s\S]*?\*\//g,
    (_, literal: string | undefined) => literal ?? " ",
  );
  return code
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9_]+|_(?=[a-z])/)
    .filter(Boolean);
}

test("no code outside apps/ names an application: not its name, its streams or its own statuses", () => {
  // An application's statuses: those its code gives `status`, but CloudWatch's alarm states (AWS's words, not its).
  const alarmStates = new Set<string>(Object.values(StateValue));
  const statuses = new Set(
    sources(path.join(root, "apps")).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/\bstatus\b[^;\n]*/g)].flatMap((line) =>
        [...line[0].matchAll(/"([A-Z][A-Z_]+)"/g)].map((m) => m[1] as string),
      ),
    ),
  );
  for (const state of alarmStates) statuses.delete(state);
  expect(statuses.size).toBeGreaterThan(0);
  const names = [...APPS.map((a) => a.name), ...STREAMS.map((s) => s.name)];
  const named = new Set(names.map((n) => n.toLowerCase()));
  const found: string[] = [];
  // (functions/ holds each application's Lambda entry, one file naming it; the tests and the benchmark
  // measure the seeds by name. Everything else serves any application.)
  for (const folder of ["core", "local", "cli", "infra", "shared"]) {
    for (const file of sources(path.join(root, folder))) {
      const hits = codeWords(file).filter((w) => statuses.has(w) || named.has(w.toLowerCase()));
      if (hits.length > 0) found.push(`${path.relative(root, file)}: ${[...new Set(hits)].join(", ")}`);
    }
  }
  expect(found).toEqual([]);
});
