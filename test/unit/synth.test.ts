import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect, test } from "vitest";
import { appSources, sourcesFingerprint } from "../../local/cloudformation/synth.js";
import { projectRoot } from "../../local/stack.js";

// What decides whether `npm start` synthesizes again: the content of what the app reads.

function app(): string {
  const root = mkdtempSync(path.join(tmpdir(), "tripwire-fingerprint-"));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  write("cdk.json", JSON.stringify({ app: "x", watch: { include: ["infra/**", "functions/**"] } }));
  write("package.json", "{}");
  write("package-lock.json", "{}");
  write("infra/stack.ts", "stack");
  write("functions/a.ts", "handler a");
  write("functions/deep/b.ts", "handler b");
  write("docs/notes.md", "not read by the app");
  return root;
}

test("the fingerprint covers cdk.json's watched sources, the lock file and the context — content, not times", () => {
  const root = app();
  const before = sourcesFingerprint(root);
  expect(appSources(root)).toEqual([
    "cdk.json",
    "functions/a.ts",
    "functions/deep/b.ts",
    "infra/stack.ts",
    "package-lock.json",
    "package.json",
  ]);
  writeFileSync(path.join(root, "functions/a.ts"), "handler a"); // saved, unchanged
  writeFileSync(path.join(root, "docs/notes.md"), "edited");
  expect(sourcesFingerprint(root)).toBe(before);
  writeFileSync(path.join(root, "functions/deep/b.ts"), "handler b, changed");
  const changed = sourcesFingerprint(root);
  expect(changed).not.toBe(before);
  writeFileSync(path.join(root, "package-lock.json"), '{"lockfileVersion":3}');
  expect(sourcesFingerprint(root)).not.toBe(changed);
  expect(sourcesFingerprint(root, { stage: "prod" })).not.toBe(sourcesFingerprint(root));
  writeFileSync(path.join(root, "functions/new.ts"), "a new handler");
  expect(sourcesFingerprint(root)).not.toBe(changed);
});

test("this project's fingerprint reads every folder the app is built from", () => {
  const sources = appSources(projectRoot);
  for (const dir of ["infra/", "functions/", "apps/", "core/", "shared/"]) {
    expect(
      sources.some((f) => f.startsWith(dir)),
      dir,
    ).toBe(true);
  }
  expect(sources).toContain("package-lock.json");
});
