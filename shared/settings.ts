import * as z from "zod/mini";
import { ConfigError } from "./errors.js";

/**
 * An application's rule settings from a JSON text or object — what `cdk deploy -c NAME='…'` says and
 * what its function reads from its environment — checked by the application's one schema and merged
 * per rule over the defaults. Unknown rules or settings, and values of the wrong type, are refused
 * with where they are.
 */
export function parseSettings<T extends object>(schema: z.ZodMiniType, defaults: T, input: unknown, where: string): T {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch {
      throw new ConfigError(`${where}: the rules are not JSON`);
    }
  }
  const parsed = z.safeParse(schema, value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const what =
      issue?.code === "unrecognized_keys"
        ? `unknown ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue?.code === "invalid_type"
          ? `must be a ${issue.expected}`
          : (issue?.message ?? "invalid");
    throw new ConfigError(`${where}: ${issue?.path.join(".") || "rules"}: ${what}`);
  }
  const merged: Record<string, unknown> = {};
  for (const [rule, settings] of Object.entries(defaults)) {
    merged[rule] = { ...settings, ...(parsed.data as Record<string, object | undefined>)[rule] };
  }
  return merged as T;
}
