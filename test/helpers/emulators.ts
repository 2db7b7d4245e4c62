import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type Emulators, startEmulators } from "../../local/emulators.js";

/** Starts the emulators for a test file and points this process's AWS SDK at them. */
export async function emulatorsForTests(): Promise<Emulators> {
  const emulators = await startEmulators({ logDir: path.join(mkdtempSync(path.join(tmpdir(), "tripwire-")), "logs") });
  Object.assign(process.env, emulators.env);
  return emulators;
}

export { drainQueue } from "../../local/queues.js";
