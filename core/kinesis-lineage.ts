import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { listShards } from "../shared/shards.js";
import type { LineageSource, ShardLineage } from "./lineage.js";

const RETRY_AFTER_MS = 60_000;

/**
 * The lineage from Kinesis's ListShards, kept for the life of the function's environment and listed
 * again only when a batch names a shard it does not hold (a reshard since, or an item naming a shard
 * that has expired): one call per cold start and per reshard, not per batch. A listing that fails
 * (a stream the function may not list, a hand-made test event naming no stream) is said once per
 * failure and the batch goes on without the lineage: its items then keep every watermark, as they
 * did before the lineage was read — correct, only not pruned. It is tried again a minute later, not
 * on every batch.
 */
export function kinesisLineage(
  kinesis: KinesisClient,
  unavailable: (stream: string, err: unknown) => void,
): LineageSource {
  const known = new Map<string, ShardLineage>();
  const failedAt = new Map<string, number>();
  return {
    async of(stream, mustKnow) {
      const held = known.get(stream);
      if (held && mustKnow.every((shard) => held.has(shard))) return held;
      if (Date.now() - (failedAt.get(stream) ?? Number.NEGATIVE_INFINITY) < RETRY_AFTER_MS) return undefined;
      let shards: Awaited<ReturnType<typeof listShards>>;
      try {
        shards = await listShards(kinesis, stream);
      } catch (err) {
        failedAt.set(stream, Date.now());
        unavailable(stream, err);
        return undefined;
      }
      const lineage: ShardLineage = new Map(
        shards.flatMap((s) =>
          s.ShardId === undefined
            ? []
            : [[s.ShardId, [s.ParentShardId, s.AdjacentParentShardId].filter((p) => p !== undefined)]],
        ),
      );
      known.set(stream, lineage);
      return lineage;
    },
  };
}
