import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { listShards } from "../shared/shards.js";
import type { LineageSource, ShardLineage } from "./lineage.js";

/**
 * The lineage from Kinesis's ListShards, kept for the life of the function's environment and listed
 * again only when a batch names a shard it does not hold (a reshard since, or an item naming a shard
 * that has expired): one call per cold start and per reshard, not per batch.
 */
export function kinesisLineage(kinesis: KinesisClient): LineageSource {
  const known = new Map<string, ShardLineage>();
  return {
    async of(stream, mustKnow) {
      const held = known.get(stream);
      if (held && mustKnow.every((shard) => held.has(shard))) return held;
      const lineage: ShardLineage = new Map(
        (await listShards(kinesis, stream)).flatMap((s) =>
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
