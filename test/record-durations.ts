import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";

// `npm run test:durations`: after a full `npm test`, writes each test file's duration from Vitest's
// results cache into test/durations.json, the order test/sequencer.ts runs files in.

const root = path.join(import.meta.dirname, "..");
const cache = path.join(root, "node_modules", ".vite", "vitest");
// The results of the last run (one file per configuration Vitest has run with).
const [latest] = readdirSync(cache)
  .map((dir) => path.join(cache, dir, "results.json"))
  .filter((file) => existsSync(file))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
if (latest === undefined) throw new Error(`no Vitest results under ${cache}: run npm test first`);
const { results } = JSON.parse(readFileSync(latest, "utf8")) as { results: [string, { duration?: number }][] };
const durations = Object.fromEntries(
  results
    .filter(([, r]) => r.duration !== undefined)
    .map(([file, r]) => [file, Math.round(r.duration ?? 0)] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1)),
);
writeFileSync(path.join(root, "test", "durations.json"), `${JSON.stringify(durations, null, 2)}\n`);
console.log(`test/durations.json: ${Object.keys(durations).length} files`);
