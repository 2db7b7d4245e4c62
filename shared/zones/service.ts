import type { SNSClient } from "@aws-sdk/client-sns";
import { mapLimit } from "../concurrency.js";
import { sleep } from "../dynamo.js";
import type { BatchOutcome, Decoded } from "../stream-batch.js";
import { publishAlerts } from "./publish.js";
import type { Reading } from "./reading.js";
import type { RuleConfig } from "./rules.js";
import type { ZoneStore } from "./store.js";
import { type Alert, applyReadings, type ZoneReading } from "./zone.js";

export interface ZoneDeps {
  readonly store: ZoneStore;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly rules: RuleConfig;
}

export interface ZoneBatchCounts {
  applied: number;
  replayed: number;
  stale: number;
  alarms: number;
  oks: number;
  conflicts: number;
}

/** Optimistic-lock retries per zone before its records are handed back to Lambda to retry. */
const MAX_CONFLICTS = 10;

/**
 * Applies a batch of readings: grouped by zone, one read of all zones, then per zone one
 * conditional write of its new state (with its alerts in the outbox) and one publish.
 */
export async function processReadings(
  records: readonly Decoded<Reading>[],
  deps: ZoneDeps,
  counts: ZoneBatchCounts = { applied: 0, replayed: 0, stale: 0, alarms: 0, oks: 0, conflicts: 0 },
): Promise<BatchOutcome> {
  const byZone = new Map<string, ZoneReading[]>();
  for (const { ref, event } of records) {
    const list = byZone.get(event.zoneId) ?? [];
    list.push({ reading: event, shardId: ref.shardId, sequenceNumber: ref.sequenceNumber });
    byZone.set(event.zoneId, list);
  }
  const zones = [...byZone.keys()];
  const loaded = await deps.store.load(zones);
  const results = await mapLimit(zones, 10, async (zone) => {
    const readings = byZone.get(zone) ?? [];
    let stored = loaded.get(zone);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        // Jitter, so that racing writers do not collide again in lockstep.
        await sleep(Math.random() * 20 * attempt);
        stored = (await deps.store.load([zone])).get(zone);
      }
      if (stored === undefined) throw new Error(`zone ${zone} was not loaded`);
      // A crash after an earlier write and before its publish left alerts in the outbox.
      const leftover: Alert[] = [...stored.pending];
      const step = applyReadings(stored.state, readings, deps.rules);
      const pending = [...leftover, ...step.alerts];
      if (step.outcomes.every((o) => o === "replayed") && leftover.length === 0) {
        counts.replayed += readings.length;
        return;
      }
      if (!(await deps.store.save(stored, step.state, pending))) {
        counts.conflicts++;
        if (attempt + 1 >= MAX_CONFLICTS) throw new Error(`zone ${zone}: ${MAX_CONFLICTS} write conflicts in a row`);
        continue;
      }
      if (pending.length > 0) {
        await publishAlerts(deps.sns, deps.topicArn, pending);
        await deps.store.clearPending(zone, stored.version + 1);
      }
      for (const outcome of step.outcomes) counts[outcome]++;
      for (const alert of step.alerts) alert.status === "ALARM" ? counts.alarms++ : counts.oks++;
      return;
    }
  });
  const failed = new Set<string>();
  results.forEach((result, i) => {
    if (result.status === "rejected") {
      for (const r of byZone.get(zones[i] as string) ?? []) failed.add(r.sequenceNumber);
    }
  });
  return { failed, errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])) };
}
