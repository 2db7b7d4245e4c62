import { KinesisClient, ListShardsCommand, ResourceNotFoundException } from "@aws-sdk/client-kinesis";
import { mockClient } from "aws-sdk-client-mock";
import { expect, test } from "vitest";
import { kinesisLineage } from "../../core/kinesis-lineage.js";

const shards = (...ids: [id: string, parent?: string, adjacent?: string][]) => ({
  Shards: ids.map(([ShardId, ParentShardId, AdjacentParentShardId]) => ({
    ShardId,
    ParentShardId,
    AdjacentParentShardId,
    HashKeyRange: { StartingHashKey: "0", EndingHashKey: "1" },
    SequenceNumberRange: { StartingSequenceNumber: "1" },
  })),
});

test("the lineage is listed once, and again only for a shard it does not hold", async () => {
  const kinesis = mockClient(KinesisClient);
  kinesis
    .on(ListShardsCommand)
    .resolvesOnce(shards(["a"], ["b", "a"]))
    .resolves(shards(["a"], ["b", "a"], ["c", "b"]));
  const source = kinesisLineage(new KinesisClient({ region: "us-east-1" }), () => {});
  expect(await source.of("s", ["b"])).toEqual(
    new Map([
      ["a", []],
      ["b", ["a"]],
    ]),
  );
  await source.of("s", ["a", "b"]);
  expect(kinesis.commandCalls(ListShardsCommand)).toHaveLength(1);
  expect((await source.of("s", ["c"]))?.get("c")).toEqual(["b"]);
  expect(kinesis.commandCalls(ListShardsCommand)).toHaveLength(2);
  kinesis.restore();
});

test("a stream that cannot be listed is said, and the batch goes on without the lineage", async () => {
  const kinesis = mockClient(KinesisClient);
  kinesis.on(ListShardsCommand).rejects(new ResourceNotFoundException({ message: "no stream cpu", $metadata: {} }));
  const said: string[] = [];
  const source = kinesisLineage(new KinesisClient({ region: "us-east-1", maxAttempts: 1 }), (stream, err) =>
    said.push(`${stream}: ${(err as Error).message}`),
  );
  expect(await source.of("cpu", ["shardId-000000000000"])).toBeUndefined();
  expect(said).toEqual(["cpu: no stream cpu"]);
  // Not asked again on the next batch: a minute later.
  expect(await source.of("cpu", ["shardId-000000000000"])).toBeUndefined();
  expect(kinesis.commandCalls(ListShardsCommand)).toHaveLength(1);
  kinesis.restore();
});
