#!/usr/bin/env node
// Puts records to a Tripwire stream, one record a line, from a file or standard input:
//   npm run put -- --stream conversions data/conversions.txt
//   cat data/readings.csv | npm run put -- --stream readings
// --stream takes loyalty, conversions or readings (the name is read from the outputs file) or a
// stream's real name with --kind saying how to find the partition key.
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { kinesisClient } from "../shared/aws.js";
import { partitionKeyOf, type RecordKind } from "../shared/partition-key.js";
import { findOutputs } from "./outputs-file.js";
import { MAX_BYTES_PER_RECORD, type ProducerRecord, putRecords } from "./producer.js";
import { runMain } from "./run-main.js";

const KINDS = ["loyalty", "conversions", "readings"] as const;
const STREAM_OUTPUT = {
  loyalty: "LoyaltyStreamName",
  conversions: "ConversionsStreamName",
  readings: "ReadingsStreamName",
} as const;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      stream: { type: "string", short: "s" },
      kind: { type: "string" },
      outputs: { type: "string" },
      quiet: { type: "boolean", short: "q" },
    },
    allowPositionals: true,
  });
  const stream = values.stream;
  if (!stream) {
    console.error("usage: put --stream loyalty|conversions|readings|<stream name> [--kind …] [--outputs file] [file]");
    return 2;
  }
  const kind = (values.kind ?? stream) as RecordKind;
  if (!KINDS.includes(kind)) {
    console.error(`--kind must be one of ${KINDS.join(", ")} when --stream is a stream's own name`);
    return 2;
  }
  const streamName = KINDS.includes(stream as RecordKind)
    ? findOutputs(values.outputs)[STREAM_OUTPUT[stream as RecordKind]]
    : stream;

  const file = positionals[0];
  if (file !== undefined && !existsSync(file)) {
    console.error(`no such file: ${file}`);
    return 2;
  }
  const input = file === undefined ? process.stdin : createReadStream(file);
  const records: ProducerRecord[] = [];
  let errors = 0;
  let lineNo = 0;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") {
      console.error(`line ${lineNo}: empty line, not put`);
      errors++;
      continue;
    }
    const data = Buffer.from(line, "utf8");
    const partitionKey = partitionKeyOf(kind, line);
    if (data.length + Buffer.byteLength(partitionKey) > MAX_BYTES_PER_RECORD) {
      console.error(`line ${lineNo}: ${data.length} bytes is over Kinesis's 1 MiB record limit, not put`);
      errors++;
      continue;
    }
    records.push({ data, partitionKey });
  }
  const total = records.length;
  let lastReport = 0;
  const result = await putRecords(kinesisClient(), streamName, records, {
    onProgress: ({ put, retried }) => {
      if (values.quiet || total < 1000 || (Date.now() - lastReport < 1000 && put < total)) return;
      lastReport = Date.now();
      console.error(`  ${put}/${total} records put (${Math.round((100 * put) / total)} %, ${retried} re-sent)`);
    },
  });
  console.log(
    `put ${result.put} records to ${streamName}` +
      (result.retried > 0 ? ` (${result.retried} re-sent after throttling)` : "") +
      (errors > 0 ? `; ${errors} lines not put, see above` : ""),
  );
  return errors > 0 ? 1 : 0;
}

runMain(main);
