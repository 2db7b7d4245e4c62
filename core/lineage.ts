// A stream's shards and their parents, as Kinesis lists them: what lets a key's item forget the
// watermarks of shards that can no longer deliver to it (core/keyed.ts has the argument).

/** Per shard the stream lists, its parents (none for a shard the stream was created with). A shard
 * not in it has expired: Kinesis no longer lists a shard once its retention period has passed, and
 * none of its records can be delivered again. */
export type ShardLineage = ReadonlyMap<string, readonly string[]>;

/** Where a batch's lineage comes from: a port, answered by a Kinesis adapter (core/kinesis-lineage.ts). */
export interface LineageSource {
  /**
   * The stream's lineage, listed no earlier than the first time a shard of `mustKnow` was missing
   * from it: every shard named there that still exists is in the answer, so one that is not has
   * expired. Undefined when it cannot be listed: nothing is then pruned.
   */
  of(stream: string, mustKnow: readonly string[]): Promise<ShardLineage | undefined>;
}

/** Whether `ancestor` is a parent of `shard`, or a parent's parent, and so on. */
export function isAncestor(lineage: ShardLineage, ancestor: string, shard: string): boolean {
  const seen = new Set<string>();
  const todo = [...(lineage.get(shard) ?? [])];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (next === ancestor) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(lineage.get(next) ?? []));
  }
  return false;
}
