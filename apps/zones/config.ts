import * as z from "zod/mini";
import { COMMON_ENV } from "../../shared/config.js";
import { requireEnv } from "../../shared/env.js";
import { parseSettings } from "../../shared/settings.js";
import { DEFAULT_RULES, type RuleConfig } from "./rules.js";

/** The zone function's environment: its table, and its rules as one JSON value. */
export const ZONE_ENV = { zoneTable: "ZONE_TABLE", rules: "ZONE_RULES" } as const;

const on = z.optional(z.boolean());
const number = z.optional(z.number().check(z.nonnegative()));

/**
 * The alert rules' one schema: what `cdk deploy -c rules='…'` may say and what the function reads
 * from its environment. Each rule's given settings replace its defaults; unknown rules or settings,
 * and values of the wrong type, are refused with where they are.
 */
const RULES = z.strictObject({
  highTemperature: z.optional(z.strictObject({ enabled: on, thresholdF: number })),
  stdDev: z.optional(z.strictObject({ enabled: on, multiplier: number, minReadings: number })),
  windowAverage: z.optional(
    z.strictObject({ enabled: on, windowMs: number, minReadings: number, percentAbove: number }),
  ),
  rateOfRise: z.optional(z.strictObject({ enabled: on, lookbackMs: number, percentRise: number })),
  lowTemperature: z.optional(z.strictObject({ enabled: on, thresholdF: z.optional(z.number()) })),
  rateOfFall: z.optional(z.strictObject({ enabled: on, lookbackMs: number, percentFall: number })),
});

/** Rules from a JSON text or object, merged per rule over the defaults. */
export function parseRules(input: unknown, where: string): RuleConfig {
  return parseSettings(RULES, DEFAULT_RULES, input, where);
}

export interface ZoneConfig {
  readonly zoneTable: string;
  readonly alertTopicArn: string;
  readonly rejectedQueueUrl: string;
  readonly rules: RuleConfig;
}

export function zoneConfig(env: NodeJS.ProcessEnv = process.env): ZoneConfig {
  const rules = env[ZONE_ENV.rules];
  return {
    zoneTable: requireEnv(ZONE_ENV.zoneTable, env),
    alertTopicArn: requireEnv(COMMON_ENV.alertTopicArn, env),
    rejectedQueueUrl: requireEnv(COMMON_ENV.rejectedQueueUrl, env),
    rules: rules === undefined ? DEFAULT_RULES : parseRules(rules, ZONE_ENV.rules),
  };
}

/** The rules as the stack writes them into the function's environment (read back by {@link zoneConfig}). */
export function rulesEnvironment(rules: RuleConfig): Record<string, string> {
  return { [ZONE_ENV.rules]: JSON.stringify(rules) };
}
