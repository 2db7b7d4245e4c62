import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { partitionKeyOf } from "#apps/index.js";
import { kinesisClient } from "#shared/aws.js";
import { createStream } from "../../local/cloudformation/deploy.js";
import type { Emulators } from "../../local/emulators/emulators.js";
import { projectRoot } from "../../local/stack.js";
import { dataLines } from "../helpers/data.js";
import { emulatorsForTests } from "../helpers/emulators.js";

const run = promisify(execFile);
let emulators: Emulators;
let kinesis: KinesisClient;

beforeAll(async () => {
  emulators = await emulatorsForTests();
  kinesis = kinesisClient();
});
afterAll(async () => {
  await emulators?.stop();
});

/** Every record of a stream, shard by shard, in stream order. */
async function readAll(streamName: string): Promise<{ key: string; line: string }[]> {
  const out: { key: string; line: string }[] = [];
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of shards.Shards ?? []) {
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shard.ShardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      )
    ).ShardIterator;
    for (;;) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? [])
        out.push({ key: r.PartitionKey ?? "", line: Buffer.from(r.Data ?? []).toString() });
      if ((page.Records ?? []).length === 0 || !page.NextShardIterator) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

const put = (args: string[]) =>
  run(process.execPath, ["--import", "tsx", path.join(projectRoot, "cli/put.ts"), ...args], {
    cwd: projectRoot,
    env: process.env,
  });

test("3,000 readings put through the command come back from the stream, in order per zone", async () => {
  await createStream(kinesis, "producer-readings", 4);
  const { stdout, stderr } = await put(["--stream", "producer-readings", "--kind", "readings", "data/readings.csv"]);
  expect(stdout).toMatch(/put 3000 records to producer-readings/);
  expect(stderr).toMatch(/3000\/3000 records put/);

  const lines = dataLines("readings.csv");
  const back = await readAll("producer-readings");
  expect(back).toHaveLength(lines.length);
  expect(back.map((r) => r.line).sort()).toEqual([...lines].sort());
  const zones = new Set(back.map((r) => r.key));
  expect(zones).toEqual(new Set(["atrium", "kitchen", "lobby", "office-3", "server-room"]));
  for (const zone of zones) {
    const sent = lines.filter((line) => partitionKeyOf("readings", line) === zone);
    expect(back.filter((r) => r.key === zone).map((r) => r.line)).toEqual(sent);
  }
});

test("conversions go under the normalised e-mail, from standard input too", async () => {
  await createStream(kinesis, "producer-conversions", 2);
  const file = path.join(tmpdir(), "tripwire-conversions.txt");
  writeFileSync(file, `${dataLines("conversions.txt").slice(0, 20).join("\n")}\n`);
  await run(
    "sh",
    [
      "-c",
      `cat ${file} | ${process.execPath} --import tsx cli/put.ts --stream producer-conversions --kind conversions`,
    ],
    {
      cwd: projectRoot,
      env: process.env,
    },
  );
  const back = await readAll("producer-conversions");
  expect(back).toHaveLength(20);
  expect(back.find((r) => r.line.includes("NUMBATZ18"))?.key).toBe("numbatz18@fakeemail.com");
});

test("an empty or oversized line gets a clear error and a failing exit, the rest still goes in", async () => {
  await createStream(kinesis, "producer-bad", 1);
  const file = path.join(tmpdir(), "tripwire-bad.txt");
  writeFileSync(file, ["d1, z, 70", "", `d1, z, 71, ${"x".repeat(1024 * 1024)}`, "d1, z, 72"].join("\n"));
  const failed = await put(["--stream", "producer-bad", "--kind", "readings", file]).catch((err: unknown) => err);
  expect(failed).toMatchObject({ code: 1 });
  const { stderr, stdout } = failed as { stderr: string; stdout: string };
  expect(stderr).toMatch(/line 2: empty line/);
  expect(stderr).toMatch(/line 3: .* over Kinesis's 1 MiB record limit/);
  expect(stdout).toMatch(/put 2 records/);
  expect((await readAll("producer-bad")).map((r) => r.line)).toEqual(["d1, z, 70", "d1, z, 72"]);
});
