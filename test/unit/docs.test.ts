import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { expect, test } from "vitest";
import { projectRoot } from "../../local/stack.js";
import { SCENARIOS } from "../parity/scenarios/index.js";

// The README and docs/ as a reader follows them: every relative link reaches a file of the
// repository, every #anchor a heading of the page it names; the parity table says what the suite runs.

const pages = ["README.md", ...readdirSync(path.join(projectRoot, "docs")).map((f) => path.join("docs", f))].filter(
  (f) => f.endsWith(".md"),
);

/** A page's text without its fenced code blocks and, unless kept, inline code (their brackets are not links). */
function prose(file: string, keepInlineCode = false): string {
  const text = readFileSync(path.join(projectRoot, file), "utf8").replace(/^```[\s\S]*?^```/gm, "");
  return keepInlineCode ? text : text.replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  // A heading's inline code is part of its anchor (GitHub drops only the backticks).
  for (const [, heading = ""] of prose(file, true).matchAll(/^#{1,6}\s+(.*?)\s*#*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

test("every relative link and anchor of the README and docs/ resolves", () => {
  expect(pages).toContain("docs/local-stack.md");
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    for (const [, target = ""] of prose(page).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      checked++;
      const [file = "", anchor] = target.split("#");
      const resolved = file === "" ? page : path.join(path.dirname(page), decodeURI(file));
      const absolute = path.join(projectRoot, resolved);
      if (!existsSync(absolute)) {
        broken.push(`${page}: ${target} (no ${resolved})`);
      } else if (anchor !== undefined && !(statSync(absolute).isFile() && anchorsOf(resolved).has(anchor))) {
        broken.push(`${page}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
  }
  expect(broken).toEqual([]);
  expect(checked).toBeGreaterThan(10);
});

test("the parity table in docs/local-stack.md lists each family with as many scenarios as the suite runs", () => {
  const rows = [...prose("docs/local-stack.md").matchAll(/^\| ([a-z-]+) \| +(\d+) \|/gm)].map(
    ([, family, n]) => [family, Number(n)] as const,
  );
  const suite = new Map<string, number>();
  for (const s of SCENARIOS) suite.set(s.family, (suite.get(s.family) ?? 0) + 1);
  expect(new Map(rows)).toEqual(suite);
  expect(readFileSync(path.join(projectRoot, "docs/local-stack.md"), "utf8")).toContain(
    `All ${SCENARIOS.length} agree`,
  );
});
