import { type EventSourceSettings, eventSources } from "./event-sources.js";

/** Everything that differs between a developer's stack and production. */
export interface StageConfig {
  readonly stage: string;
  /** Provisioned shards per stream; undefined means on-demand capacity. */
  readonly shardCount: number | undefined;
  readonly streamRetentionHours: number;
  /** Per stream name. */
  readonly eventSources: Record<string, EventSourceSettings>;
  /** Keep tables, queues and keys when the stack is deleted. */
  readonly retainData: boolean;
  readonly logRetentionDays: number;
}

const overrides: Record<
  string,
  { shardCount?: number | undefined; retention?: number; retain: boolean; logs: number }
> = {
  dev: { shardCount: 2, retention: 24, retain: false, logs: 7 },
  prod: { shardCount: undefined, retention: 7 * 24, retain: true, logs: 90 },
};

/** The configuration of a stage: `dev` (the default) or `prod`, from `cdk deploy -c stage=…`. */
export function stageConfig(stage = "dev"): StageConfig {
  const o = overrides[stage];
  if (o === undefined) throw new Error(`unknown stage "${stage}" (known: ${Object.keys(overrides).join(", ")})`);
  return {
    stage,
    shardCount: o.shardCount,
    streamRetentionHours: o.retention ?? 24,
    eventSources: eventSources(stage),
    retainData: o.retain,
    logRetentionDays: o.logs,
  };
}
