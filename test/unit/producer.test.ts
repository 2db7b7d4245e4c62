import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { mockClient } from "aws-sdk-client-mock";
import { expect, test } from "vitest";
import { isCsvHeader } from "#apps/index.js";
import { putRecords, RecordTooLargeError } from "../../shared/producer.js";

const kinesisMock = mockClient(KinesisClient);
const kinesis = new KinesisClient({ region: "us-east-1" });

test("entries PutRecords refuses (throttling) are sent again until every one is in", async () => {
  kinesisMock.reset();
  kinesisMock
    .on(PutRecordsCommand)
    .resolvesOnce({
      FailedRecordCount: 2,
      Records: [
        { SequenceNumber: "1", ShardId: "s" },
        { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "slow down" },
        { ErrorCode: "InternalFailure", ErrorMessage: "oops" },
      ],
    })
    .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: "2" }, { SequenceNumber: "3" }] });
  const records = ["a", "b", "c"].map((x) => ({ data: Buffer.from(x), partitionKey: x }));
  const result = await putRecords(kinesis, "stream", records, { baseDelayMs: 1 });
  expect(result).toEqual({ put: 3, retried: 2 });
  const calls = kinesisMock
    .commandCalls(PutRecordsCommand)
    .map((c) => c.args[0].input.Records?.map((r) => r.PartitionKey));
  expect(calls).toEqual([
    ["a", "b", "c"],
    ["b", "c"],
  ]);
});

test("calls stay within 500 records and 5 MiB", async () => {
  kinesisMock.reset();
  kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
    FailedRecordCount: 0,
    Records: input.Records.map(() => ({ SequenceNumber: "1" })),
  }));
  const small = Array.from({ length: 1200 }, (_, i) => ({ data: Buffer.from(`r${i}`), partitionKey: "k" }));
  await putRecords(kinesis, "s", small);
  const big = Array.from({ length: 12 }, () => ({ data: Buffer.alloc(1024 * 1024 - 10), partitionKey: "k" }));
  await putRecords(kinesis, "s", big);
  const sizes = kinesisMock.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records ?? []);
  expect(sizes.slice(0, 3).map((r) => r.length)).toEqual([500, 500, 200]);
  for (const call of sizes.slice(3)) {
    const bytes = call.reduce((sum, r) => sum + (r.Data?.length ?? 0) + (r.PartitionKey?.length ?? 0), 0);
    expect(bytes).toBeLessThanOrEqual(5 * 1024 * 1024);
  }
  expect(sizes.slice(3).flat()).toHaveLength(12);
});

test("a record over 1 MiB is refused before anything is sent", async () => {
  kinesisMock.reset();
  await expect(putRecords(kinesis, "s", [{ data: Buffer.alloc(1024 * 1024), partitionKey: "k" }])).rejects.toThrow(
    RecordTooLargeError,
  );
  expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
});

test("a CSV header line is recognised for each stream; records, JSON and e-mail-first data lines are not headers", () => {
  expect(isCsvHeader("readings", "device_id, zone_id, temperature, timestamp")).toBe(true);
  expect(isCsvHeader("cpu", "server_id,cpu_percent")).toBe(true);
  expect(isCsvHeader("loyalty", "Email, Facebook user, Instagram user, Gender")).toBe(true);
  expect(isCsvHeader("conversions", "campaign, conversion type, email, channel")).toBe(true);
  expect(isCsvHeader("readings", "device-1, lobby, 71.2")).toBe(false);
  expect(isCsvHeader("cpu", "server-1, 55")).toBe(false);
  expect(isCsvHeader("loyalty", "email@example.com, , x, F")).toBe(false);
  expect(isCsvHeader("cpu", '{"serverId":"s","cpuPercent":1}')).toBe(false);
});
