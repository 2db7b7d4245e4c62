import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

// Lambda unpacks a function's zip into /var/task, and nothing above it is the function's: no
// package.json that says "type": "module", no node_modules. A bundle run from cdk.out inside a
// user's project would see both (a CommonJS bundle dies as an ES module under the project's
// "type": "module"; a package the bundle left out resolves from the project). So each bundle runs
// from a copy outside every project, under a directory whose package.json says nothing — only what
// is in the asset counts, as on Lambda.

const ROOT = path.join(tmpdir(), "tripwire-task-roots");

/** The directory a function's code runs from: a copy of its asset, made once per asset and content. */
export function taskRoot(assetDir: string): string {
  const key = fingerprint(assetDir);
  const home = path.join(ROOT, key);
  const task = path.join(home, "task");
  if (existsSync(task)) return task;
  mkdirSync(home, { recursive: true });
  // The boundary: Node's search for a package.json (the module type) ends here, as at /var on Lambda.
  writeFileSync(path.join(home, "package.json"), "{}\n");
  // Copied beside, then moved in: two stacks starting at once never run half a copy.
  const copying = path.join(home, `task.${process.pid}.${Date.now()}`);
  cpSync(assetDir, copying, { recursive: true });
  try {
    renameSync(copying, task);
  } catch {
    rmSync(copying, { recursive: true, force: true });
  }
  return task;
}

/** The asset's path and every file's name, size and time: a new synthesis into the same folder is a new copy. */
function fingerprint(assetDir: string): string {
  const hash = createHash("sha256").update(path.resolve(assetDir));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const stat = statSync(full);
        hash.update(`${path.relative(assetDir, full)}:${stat.size}:${stat.mtimeMs}\n`);
      }
    }
  };
  walk(assetDir);
  return hash.digest("hex").slice(0, 16);
}
