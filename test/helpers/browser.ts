import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

// A real browser for the page tests: Debian's chromium, installed here when missing and possible
// (CI starts from a fresh machine as root; apt-get reaches Debian's mirrors). Undefined, with why,
// when no browser can be had — the test then says so instead of passing silently.

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function chromiumPath(): { path: string } | { why: string } {
  const given = process.env.CHROMIUM_PATH;
  if (given) return existsSync(given) ? { path: given } : { why: `CHROMIUM_PATH=${given} does not exist` };
  const found = CANDIDATES.find((c) => existsSync(c));
  if (found) return { path: found };
  if (process.platform !== "linux" || process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    return { why: "no chromium here, and no root apt-get to install Debian's (apt-get install chromium)" };
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    execFileSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "chromium"], {
      env,
      stdio: "ignore",
      timeout: 300_000,
    });
  try {
    install();
  } catch {
    try {
      execFileSync("apt-get", ["update", "-q"], { env, stdio: "ignore", timeout: 120_000 });
      install();
    } catch (err) {
      return { why: `apt-get install chromium failed: ${err instanceof Error ? err.message : err}` };
    }
  }
  const installed = CANDIDATES.find((c) => existsSync(c));
  return installed ? { path: installed } : { why: "apt-get installed chromium, but no chromium executable appeared" };
}
