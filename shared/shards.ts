import { type KinesisClient, ListShardsCommand, type Shard } from "@aws-sdk/client-kinesis";

/** Every shard a stream lists (open, and closed but not yet expired), page by page. */
export async function listShards(kinesis: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token);
  return shards;
}
