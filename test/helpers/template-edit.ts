import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export type EditableTemplate = {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};

/**
 * A copy of a cloud assembly with its template edited, as a changed app would synthesize: for the
 * benchmark's batch sizes and the tests that change a setting or a grant and deploy the result.
 */
export function editTemplate(assembly: string, edit: (template: EditableTemplate) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tripwire-edited-"));
  cpSync(assembly, dir, { recursive: true });
  const file = readdirSync(dir).find((f) => f.endsWith(".template.json"));
  if (file === undefined) throw new Error(`the assembly ${assembly} has no template`);
  const template = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as EditableTemplate;
  edit(template);
  writeFileSync(path.join(dir, file), JSON.stringify(template));
  return dir;
}
