#!/usr/bin/env node
// Writes the Kinesis event Lambda would send a function for some records, as `sam local
// generate-event` does — but from your own records, keyed as `put` keys them:
//   npm run -s event -- --stream cpu data/cpu.csv > event.json
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { outputsOf, partitionKeyOf, STREAM_NAMES, type StreamName, streamOf, USAGE_EXAMPLES } from "../apps/index.js";
import { lambdaRecord } from "../local/lambda/kinesis-event.js";
import { parseCommand } from "./args.js";
import { runMain } from "./run-main.js";
import { findOutputs } from "./stack-target.js";

const [EXAMPLE] = USAGE_EXAMPLES;

const USAGE = `usage: npm run -s event -- --stream NAME [options] [file]

Writes, to standard output, the Kinesis event Lambda would send a function for the records of a
file or of standard input (one record a line): base64 data, partition keys as \`npm run put\` chooses
them (${STREAM_NAMES.join(", ")}), increasing sequence numbers on one shard. Feed it to
\`npm run invoke\`.

options:
  -s, --stream NAME   the stream the records are for (its ARN from the outputs file when there is one)
  --key K             the partition key of every record (a stream of another app)
  --limit N           at most N records (Lambda's batch size is 100 by default)
  --outputs FILE      a cdk deploy --outputs-file file for the stream's ARN
  -h, --help          this help

examples:
  npm run -s event -- --stream ${EXAMPLE.stream} ${EXAMPLE.file} --limit 10 > event.json
  head -3 ${EXAMPLE.file} | npm run -s event -- --stream ${EXAMPLE.stream}`;

async function main(): Promise<number> {
  const { values, positionals } = parseCommand(USAGE, {
    stream: { type: "string", short: "s" },
    key: { type: "string" },
    limit: { type: "string" },
    outputs: { type: "string" },
  });
  const stream = values.stream;
  if (!stream) {
    console.error(`--stream is required\n\n${USAGE}`);
    return 2;
  }
  const spec = streamOf(stream)?.stream;
  if (spec === undefined && values.key === undefined) {
    console.error(`unknown stream "${stream}": use ${STREAM_NAMES.join(", ")}, or give --key for another stream`);
    return 2;
  }
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
  if (!(limit > 0)) {
    console.error(`--limit must be a positive number, got "${values.limit}"`);
    return 2;
  }
  const file = positionals[0];
  if (file !== undefined && !existsSync(file)) {
    console.error(`no such file: ${file}`);
    return 2;
  }
  const text = readFileSync(file ?? 0, "utf8");
  const lines = text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .slice(0, limit);
  let streamName = stream;
  try {
    if (spec)
      streamName =
        (findOutputs(values.outputs) as Record<string, string>)[outputsOf(stream as StreamName).stream] ?? stream;
  } catch {
    // No outputs file: the event names the stream by the name given.
  }
  const region = process.env.AWS_REGION ?? "us-east-1";
  const source = {
    shardId: "shardId-000000000000",
    streamArn: `arn:aws:kinesis:${region}:000000000000:stream/${streamName}`,
    roleArn: "arn:aws:iam::000000000000:role/lambda-role",
    region,
  };
  // Sequence numbers as long as Kinesis's, increasing, the same for the same input.
  const base = BigInt(`0x${createHash("sha256").update(text).digest("hex").slice(0, 12)}`);
  const start = BigInt(`496${"0".repeat(53)}`) + base * 1_000_000n;
  const now = new Date();
  const records = lines.map((line, i) =>
    lambdaRecord(source, {
      SequenceNumber: String(start + BigInt(i)),
      PartitionKey: values.key ?? (spec ? partitionKeyOf(spec, line) : ""),
      Data: Buffer.from(line),
      ApproximateArrivalTimestamp: now,
    }),
  );
  console.log(JSON.stringify({ Records: records }, null, 2));
  return 0;
}

runMain(main);
