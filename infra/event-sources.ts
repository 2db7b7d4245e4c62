import { STREAMS } from "../apps/index.js";
import type { EventSourceSettings, StreamManifest } from "../apps/manifest.js";

// How each stream feeds its function: the one definition that both the CDK stack and the local
// runner read, so that what runs on a laptop is what runs in the account. A test compares it
// with the synthesized template's AWS::Lambda::EventSourceMapping properties.

export type { EventSourceSettings } from "../apps/manifest.js";

/** Lambda's mapping settings as every stream starts with them. */
export const DEFAULT_EVENT_SOURCE: EventSourceSettings = {
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  startingPosition: "TRIM_HORIZON",
  bisectBatchOnError: true,
  retryAttempts: 5,
  maxRecordAgeSeconds: 24 * 3600,
  reportBatchItemFailures: true,
  // One batch per shard at a time: per-key order is what the applications rely on.
  parallelizationFactor: 1,
};

/** The event-source settings of every stream's function in a stage: the defaults, then the stream's own for that stage. */
export function eventSources(
  stage: string,
  streams: readonly StreamManifest[] = STREAMS,
): Record<string, EventSourceSettings> {
  return Object.fromEntries(
    streams.map((s) => {
      const settings = { ...DEFAULT_EVENT_SOURCE, ...s.eventSource?.[stage] };
      if (s.mode === "facts" && settings.parallelizationFactor !== 1) {
        throw new Error(
          `the ${s.name} stream runs on the core's facts mode, whose tallies need one batch per shard at a time: ` +
            `its ParallelizationFactor must be 1, not ${settings.parallelizationFactor} (core/facts.ts)`,
        );
      }
      return [s.name, settings];
    }),
  );
}
