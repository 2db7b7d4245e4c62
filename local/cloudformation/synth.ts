import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { TemplateError } from "./intrinsics.js";

// `cdk synth`, as `cdk deploy` runs it before deploying — skipped when nothing it reads has changed.
// What it reads is what `cdk watch` watches: cdk.json's `watch.include` (the app's sources), plus
// cdk.json itself, package.json, package-lock.json and tsconfig.json (dependencies and how the
// sources compile) and the context given on the command line. Their content is hashed, not their
// times, so a checkout or a save without a change keeps the assembly.

/** Files of `root` the synthesized app depends on, sorted: cdk.json's watch.include and the build's own files. */
export function appSources(root: string): string[] {
  const config = JSON.parse(readFileSync(path.join(root, "cdk.json"), "utf8")) as {
    watch?: { include?: string[]; exclude?: string[] };
  };
  const files = new Set(["cdk.json", "package.json", "package-lock.json", "tsconfig.json"]);
  for (const pattern of config.watch?.include ?? []) {
    const dir = pattern.replace(/\/\*\*(\/\*)?$/, "");
    const full = path.join(root, dir);
    if (!existsSync(full)) continue;
    if (dir === pattern) files.add(pattern);
    else for (const file of walk(full)) files.add(path.relative(root, file));
  }
  const excluded = (config.watch?.exclude ?? []).map((p) => p.replace(/\/\*\*(\/\*)?$/, ""));
  return [...files]
    .filter((f) => existsSync(path.join(root, f)) && !excluded.some((x) => f === x || f.startsWith(`${x}/`)))
    .sort();
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : entry.isFile() ? [full] : [];
  });
}

/** The hash of everything a synthesis reads: the app's sources' contents and the context. */
export function sourcesFingerprint(root: string, context: Readonly<Record<string, string>> = {}): string {
  const hash = createHash("sha256");
  for (const file of appSources(root)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(root, file)));
    hash.update("\0");
  }
  hash.update(JSON.stringify(Object.entries(context).sort()));
  return hash.digest("hex");
}

/** `cdk synth` of the app in `root` into a directory: the cloud assembly `cdk deploy` would upload. */
export function synthesize(root: string, outdir: string, context: Readonly<Record<string, string>> = {}): string {
  const cdk = path.join(root, "node_modules", ".bin", "cdk");
  const args = ["synth", "--no-notices", "-q", "-o", outdir];
  for (const [k, v] of Object.entries(context)) args.push("-c", `${k}=${v}`);
  try {
    execFileSync(cdk, args, {
      cwd: root,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    throw new TemplateError(`cdk synth failed:\n${stderr ?? ""}${stdout ?? ""}`);
  }
  return outdir;
}

const FINGERPRINT_FILE = "tripwire-sources.sha256";

/**
 * The app's cloud assembly in `outdir`: the one already there when it was synthesized from the same
 * sources and context, else a new synthesis. Says which.
 */
export function assemblyFor(
  root: string,
  outdir: string,
  context: Readonly<Record<string, string>> = {},
): { dir: string; reused: boolean } {
  const fingerprint = sourcesFingerprint(root, context);
  const recorded = path.join(outdir, FINGERPRINT_FILE);
  const unchanged =
    existsSync(path.join(outdir, "manifest.json")) &&
    existsSync(recorded) &&
    readFileSync(recorded, "utf8").trim() === fingerprint;
  if (unchanged) return { dir: outdir, reused: true };
  synthesize(root, outdir, context);
  writeFileSync(recorded, `${fingerprint}\n`);
  return { dir: outdir, reused: false };
}

/** `cdk synth` without blocking this process (the gateway and pollers go on meanwhile). */
export function synthesizeInBackground(
  root: string,
  outdir: string,
  context: Readonly<Record<string, string>> = {},
): Promise<string> {
  const args = ["synth", "--no-notices", "-q", "-o", outdir];
  for (const [k, v] of Object.entries(context)) args.push("-c", `${k}=${v}`);
  return new Promise((resolve, reject) => {
    execFile(
      path.join(root, "node_modules", ".bin", "cdk"),
      args,
      { cwd: root, env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: "true" }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new TemplateError(`cdk synth failed:\n${stderr}${stdout}`));
        else {
          writeFileSync(path.join(outdir, FINGERPRINT_FILE), `${sourcesFingerprint(root, context)}\n`);
          resolve(outdir);
        }
      },
    );
  });
}
