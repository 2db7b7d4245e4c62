import { readFileSync } from "node:fs";
import * as path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// Test files in the order that finishes soonest on two workers: the longest first, as a CI run
// measured them (test/durations.json; `npm run test:durations` writes it from Vitest's own results
// of the last run), files not measured yet before them. Vitest orders by its results cache, which a
// fresh clone does not have; by file size instead, a short file with a long test (the parity suite,
// the tutorial) would start last and keep one worker busy while the other waits.

const DURATIONS = path.join(import.meta.dirname, "durations.json");
const measured = JSON.parse(readFileSync(DURATIONS, "utf8")) as Record<string, number>;

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const key = (f: TestSpecification) => `${f.project.name}:${path.relative(this.ctx.config.root, f.moduleId)}`;
    const cost = (f: TestSpecification) => measured[key(f)] ?? Number.POSITIVE_INFINITY;
    return [...files].sort((a, b) => {
      // One project after the other, as Vitest runs them.
      if (a.project.name !== b.project.name) return a.project.name < b.project.name ? -1 : 1;
      return cost(b) - cost(a);
    });
  }
}
