import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";

// AWS's DynamoDB Local is a Java program: the local stack needs a Java 17 (or newer) runtime. It is
// found as JAVA_HOME/bin/java or `java` on the PATH; where there is none and the machine can install
// Debian's package itself (apt-get, as root — a fresh CI machine), it is installed once, saying so;
// otherwise the start stops with what to install.

/** Debian's headless Java 17 runtime: what a machine without Java gets. */
export const JAVA_PACKAGE = "openjdk-17-jre-headless";

export class JavaMissingError extends Error {
  override readonly name = "JavaMissingError";
}

export interface JavaRuntime {
  readonly java: string;
  /** javac beside it (a JDK), to compile the launcher once; undefined on a runtime alone. */
  readonly javac: string | undefined;
  readonly major: number;
}

let found: JavaRuntime | undefined;

/** The Java runtime to run DynamoDB Local on, installed first where it is missing and can be. */
export function javaRuntime(print: (line: string) => void = (line) => console.error(line)): JavaRuntime {
  found ??= locate() ?? install(print);
  return found;
}

function locate(): JavaRuntime | undefined {
  const candidates = [
    ...(process.env.JAVA_HOME ? [path.join(process.env.JAVA_HOME, "bin", "java")] : []),
    ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "java")),
  ];
  for (const java of candidates.filter((c) => existsSync(c))) {
    const major = majorOf(java);
    if (major === undefined || major < 17) continue;
    const javac = path.join(path.dirname(java), "javac");
    return { java, javac: existsSync(javac) ? javac : undefined, major };
  }
  return undefined;
}

/** `java -version` says `openjdk version "17.0.15"` (or "1.8.0_…" for Java 8) on stderr. */
function majorOf(java: string): number | undefined {
  const out = spawnSync(java, ["-version"], { encoding: "utf8" });
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!version) return undefined;
  const first = Number(version[1]);
  return first === 1 ? Number(version[2]) : first;
}

function install(print: (line: string) => void): JavaRuntime {
  const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (!canInstall) {
    throw new JavaMissingError(
      `DynamoDB Local needs a Java 17 runtime, and none was found (JAVA_HOME, PATH). Install one — on Debian or Ubuntu: sudo apt-get install ${JAVA_PACKAGE}`,
    );
  }
  print(`java     not found: installing Debian's ${JAVA_PACKAGE} for DynamoDB Local (once) …`);
  const apt = (args: string[]) =>
    execFileSync("apt-get", args, {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  apt(["update", "-qq"]);
  apt(["install", "-y", "-qq", "--no-install-recommends", JAVA_PACKAGE]);
  const installed = locate();
  if (!installed) throw new JavaMissingError(`${JAVA_PACKAGE} was installed, but no java 17 is on the PATH`);
  return installed;
}
