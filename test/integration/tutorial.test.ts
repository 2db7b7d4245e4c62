import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect, test } from "vitest";
import { projectRoot } from "../../local/stack.js";
import { runProcess } from "../helpers/processes.js";

// docs/tutorial.md, followed as a reader follows it, in a copy of the repository: each code block
// headed by a file path is written there (a block for a file that exists is the lines to add to
// it), each shell block is run in order and must succeed, and the text block after one is what it
// must print. A shell block for an account (```sh account) is left to the reader.

interface Block {
  readonly lang: string;
  readonly tag: string | undefined;
  readonly body: string;
}

const TUTORIAL = path.join(projectRoot, "docs", "tutorial.md");

function blocksOf(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w+)(?: +(\S+))?\n([\s\S]*?)^```$/gm)].map(([, lang = "", tag, body = ""]) => ({
    lang,
    tag,
    body,
  }));
}

/** The repository as a fresh clone has it (tracked and new files, not what .gitignore leaves out), its node_modules shared. */
function copyOfRepository(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tripwire-tutorial-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: projectRoot,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f !== "" && existsSync(path.join(projectRoot, f)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    copyFileSync(path.join(projectRoot, file), path.join(dir, file));
  }
  symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

const sourceOf = (line: string) => /from "([^"]+)"/.exec(line)?.[1] ?? "";
/** The linter's groups of imports: packages, then parent folders, then this folder. */
const groupOf = (source: string) => (source.startsWith("./") ? 2 : source.startsWith("../") ? 1 : 0);

/**
 * A block's lines added to a file that exists: an import among the imports, in the linter's order;
 * a declaration in place of the one it redefines (the same text up to ` = `).
 */
function addTo(existing: string, block: string, file: string): string {
  const lines = existing.split("\n");
  for (const line of block.split("\n").filter((l) => l.trim() !== "")) {
    if (line.startsWith("import ")) {
      const source = sourceOf(line);
      const imports = lines.flatMap((l, i) => (l.startsWith("import ") ? [i] : []));
      const group = imports.filter((i) => groupOf(sourceOf(lines[i] ?? "")) === groupOf(source));
      const before = group.find((i) => sourceOf(lines[i] ?? "") > source);
      lines.splice(before ?? (group.at(-1) ?? imports.at(-1) ?? -1) + 1, 0, line);
      continue;
    }
    const declared = line.slice(0, line.indexOf(" = ") + 3);
    const at = lines.findIndex((l) => declared.length > 3 && l.startsWith(declared));
    if (at < 0) throw new Error(`the tutorial adds to ${file} a line it cannot place: ${line}`);
    lines[at] = line;
  }
  return lines.join("\n");
}

/** A shell block, run as in a fresh terminal: no AWS settings of the test run's own. */
const run = (command: string, cwd: string) =>
  runProcess(
    "bash",
    ["-c", command],
    Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_"))),
    cwd,
  );

test("the tutorial, followed as written, adds an application that alerts on the local stack", async () => {
  const blocks = blocksOf(readFileSync(TUTORIAL, "utf8"));
  const dir = copyOfRepository();

  const written = blocks.filter((b) => b.tag?.includes("/") || b.tag?.includes("."));
  expect(written.length).toBeGreaterThan(3);
  for (const { tag = "", body } of written) {
    const file = path.join(dir, tag);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, existsSync(file) ? addTo(readFileSync(file, "utf8"), body, tag) : body);
  }

  let ran = 0;
  for (const [i, block] of blocks.entries()) {
    if (block.lang !== "sh" || block.tag === "account") continue;
    const { code, output } = await run(block.body, dir);
    expect(code, `${block.body}\n${output}`).toBe(0);
    ran++;
    const shown = blocks[i + 1];
    if (shown?.lang !== "text") continue;
    for (const line of shown.body.split("\n").filter((l) => l.trim() !== "")) {
      expect(output, `${block.body} should print: ${line}`).toContain(line);
    }
  }
  expect(ran).toBeGreaterThan(1);
}, 400_000);
