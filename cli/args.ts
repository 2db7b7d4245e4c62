import { type ParseArgsConfig, parseArgs } from "node:util";

/** A usage error: the command prints it with its usage and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a command's arguments with Node's own parser; `-h`/`--help` prints the usage and exits 0,
 * a malformed command line prints what is wrong and the usage, and exits 2.
 */
export function parseCommand<O extends Options>(usage: string, options: O, args = process.argv.slice(2)) {
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    if ((parsed.values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n\n${usage}`);
    process.exit(2);
  }
}
