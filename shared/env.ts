import { ConfigError } from "./errors.js";

/** Reads a required environment variable, failing loudly at start-up when it is missing. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new ConfigError(`environment variable ${name} is required but not set`);
  }
  return value;
}

/** Reads an optional numeric environment variable with a default. */
export function numberEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ConfigError(`environment variable ${name} must be a number, got "${raw}"`);
  return value;
}
