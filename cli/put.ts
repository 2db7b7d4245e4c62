#!/usr/bin/env node
// Puts records to a Tripwire stream, one record a line, from a file or standard input:
//   npm run put -- --stream conversions data/conversions.txt
//   cat data/readings.csv | npm run put -- --stream readings
// --stream takes loyalty, conversions or readings (the name is read from the outputs file) or a
// stream's real name with --kind saying how to find the partition key.
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import {
  isCsvHeader,
  outputsOf,
  partitionKeyOf,
  STREAM_NAMES,
  STREAMS,
  type StreamName,
  streamOf,
  USAGE_EXAMPLES,
} from "../apps/index.js";
import { kinesisClient } from "../shared/aws.js";
import { MAX_BYTES_PER_RECORD, type ProducerRecord, putRecords } from "../shared/producer.js";
import { parseCommand } from "./args.js";
import { runMain } from "./run-main.js";
import { connect } from "./stack-target.js";

const KINDS: readonly string[] = STREAM_NAMES;
const [EXAMPLE, OTHER] = USAGE_EXAMPLES;

const USAGE = `usage: npm run put -- --stream ${KINDS.join("|")} [options] [file]

Puts records to a Tripwire stream, one record a line, from a file or standard input, keyed by the
field its stream keys on (${STREAMS.map((s) => `${s.name}: ${s.key.jsonField}`).join(", ")}), in PutRecords
batches within Kinesis's limits, re-sending what is refused. The stream's name comes from the outputs
file; with the local stack's, the command finds it running.

options:
  -s, --stream S    ${KINDS.join(", ")}; or a stream's own name with --kind
  --kind K          how to key records of a stream given by its own name (${KINDS.join("|")})
  --outputs FILE    a cdk deploy --outputs-file file (default: $TRIPWIRE_OUTPUTS, ./cdk-outputs.json,
                    .tripwire/cdk-outputs.json)
  -q, --quiet       no progress lines
  -h, --help        this help

examples:
  npm run put -- --stream ${EXAMPLE.stream} ${EXAMPLE.file}
  cat ${OTHER.file} | npm run put -- --stream ${OTHER.stream}`;

async function main(): Promise<number> {
  const { values, positionals } = parseCommand(USAGE, {
    stream: { type: "string", short: "s" },
    kind: { type: "string" },
    outputs: { type: "string" },
    quiet: { type: "boolean", short: "q" },
  });
  const stream = values.stream;
  if (!stream) {
    console.error(`--stream is required\n\n${USAGE}`);
    return 2;
  }
  const named = KINDS.includes(stream);
  if (!named && values.kind === undefined) {
    console.error(`unknown stream "${stream}": use ${KINDS.join(", ")}, or a stream's own name with --kind`);
    return 2;
  }
  const kind = values.kind ?? stream;
  const spec = streamOf(kind)?.stream;
  if (spec === undefined) {
    console.error(`--kind must be one of ${KINDS.join(", ")}, got "${kind}"`);
    return 2;
  }
  // A stream given by its own name needs no outputs file; one named by kind is looked up in it.
  const target = named || values.outputs !== undefined ? await connect(values.outputs) : undefined;
  const streamName = target && named ? target.outputs[outputsOf(stream as StreamName).stream] : stream;
  console.error(`→ ${target?.endpoint ?? process.env.AWS_ENDPOINT_URL ?? "AWS"}`);

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
    if (lineNo === 1 && isCsvHeader(spec, line)) {
      console.error(`line 1: a CSV header (${line.trim()}), skipped`);
      continue;
    }
    const data = Buffer.from(line, "utf8");
    const partitionKey = partitionKeyOf(spec, line);
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
    `put ${result.put} record${result.put === 1 ? "" : "s"} to ${streamName}` +
      (result.retried > 0 ? ` (${result.retried} re-sent after throttling)` : "") +
      (errors > 0 ? `; ${errors} lines not put, see above` : ""),
  );
  return errors > 0 ? 1 : 0;
}

runMain(main);
