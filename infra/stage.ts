import { parseRules } from "../apps/zones/config.js";
import { DEFAULT_RULES, type RuleConfig } from "../apps/zones/rules.js";
import {
  type EventSourceOverrides,
  type EventSourceSettings,
  eventSources,
  type StreamFunctionName,
} from "./event-sources.js";

/** Everything that differs between a developer's stack and production. */
export interface StageConfig {
  readonly stage: string;
  /** Provisioned shards per stream; undefined means on-demand capacity. */
  readonly shardCount: number | undefined;
  readonly streamRetentionHours: number;
  readonly eventSources: Record<StreamFunctionName, EventSourceSettings>;
  readonly rules: RuleConfig;
  /** Keep tables, queues and keys when the stack is deleted. */
  readonly retainData: boolean;
  readonly logRetentionDays: number;
}

const overrides: Record<
  string,
  { shardCount?: number | undefined; retention?: number; events?: EventSourceOverrides; retain: boolean; logs: number }
> = {
  dev: { shardCount: 2, retention: 24, retain: false, logs: 7 },
  prod: {
    shardCount: undefined,
    retention: 7 * 24,
    events: { readings: { batchSize: 500 }, conversions: { batchSize: 200 } },
    retain: true,
    logs: 90,
  },
};

/** The configuration of a stage: `dev` (the default) or `prod`, from `cdk deploy -c stage=…`. */
export function stageConfig(stage = "dev", rules: RuleConfig = DEFAULT_RULES): StageConfig {
  const o = overrides[stage];
  if (o === undefined) throw new Error(`unknown stage "${stage}" (known: ${Object.keys(overrides).join(", ")})`);
  return {
    stage,
    shardCount: o.shardCount,
    streamRetentionHours: o.retention ?? 24,
    eventSources: eventSources(o.events),
    rules,
    retainData: o.retain,
    logRetentionDays: o.logs,
  };
}

/** Alert rules from CDK context (`-c rules='{"highTemperature":{"thresholdF":92}}'`), by the rules' one schema. */
export function rulesFromContext(context: unknown): RuleConfig {
  return context === undefined ? DEFAULT_RULES : parseRules(context, "-c rules");
}
