#!/usr/bin/env node
// Replays what landed in a function's failure destination: each message there names a range of
// a shard (Lambda's KinesisBatchInfo); this reads those records back from the stream and either
// reports them (the default) or puts them to the stream again and deletes the message.
//   npm run replay -- --function readings            # report
//   npm run replay -- --function readings --reput    # put them back, in order, then delete
import { type _Record, GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { outputsOf, STREAM_NAMES } from "../apps/index.js";
import { kinesisClient, sqsClient } from "../shared/aws.js";
import type { FailureRecord } from "../shared/failure-record.js";
import { compareSequence } from "../shared/kinesis-record.js";
import { putRecords } from "../shared/producer.js";
import { parseCommand } from "./args.js";
import { runMain } from "./run-main.js";
import { connect } from "./stack-target.js";

const USAGE = `usage: npm run replay -- --function ${STREAM_NAMES.join("|")} [--reput] [--outputs FILE]

Reports the batches a function's event-source mapping gave up on (its failure destination), read
back from the stream; with --reput, puts those records back on the stream (once the cause is fixed)
and removes them from the destination.

options:
  -f, --function F  ${STREAM_NAMES.join(", ")}
  --reput           put the failed records back instead of only reporting them
  --outputs FILE    a cdk deploy --outputs-file file (default: the local stack's, or ./cdk-outputs.json)
  -h, --help        this help`;

/** The records of one failed range, read back from the stream (while its retention lasts). */
export async function readRange(
  kinesis: KinesisClient,
  streamName: string,
  info: FailureRecord["KinesisBatchInfo"],
): Promise<_Record[]> {
  const records: _Record[] = [];
  let iterator = (
    await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: info.shardId,
        ShardIteratorType: "AT_SEQUENCE_NUMBER",
        StartingSequenceNumber: info.startSequenceNumber,
      }),
    )
  ).ShardIterator;
  while (iterator) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    for (const record of page.Records ?? []) {
      if (compareSequence(record.SequenceNumber ?? "0", info.endSequenceNumber) > 0) return records;
      records.push(record);
    }
    if ((page.Records ?? []).length === 0) break;
    iterator = page.NextShardIterator;
  }
  return records;
}

export interface ReplayResult {
  readonly ranges: number;
  readonly records: number;
  readonly reput: boolean;
}

/** Works through a failure queue: report each range's records, or put them back and delete it. */
export async function replay(
  clients: { kinesis: KinesisClient; sqs: SQSClient },
  queueUrl: string,
  streamName: string,
  options: { reput: boolean; print?: (line: string) => void },
): Promise<ReplayResult> {
  const print = options.print ?? console.log;
  let ranges = 0;
  let count = 0;
  const held: string[] = [];
  for (;;) {
    const out = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    for (const message of messages) {
      const failure = JSON.parse(message.Body ?? "{}") as FailureRecord;
      const info = failure.KinesisBatchInfo;
      const records = await readRange(clients.kinesis, streamName, info);
      ranges++;
      count += records.length;
      print(
        `${info.shardId} ${info.startSequenceNumber}…${info.endSequenceNumber}: ${records.length} records (${failure.requestContext.condition})`,
      );
      for (const r of records) {
        print(
          `  ${r.SequenceNumber} ${r.PartitionKey}  ${Buffer.from(r.Data ?? [])
            .toString("utf8")
            .slice(0, 200)}`,
        );
      }
      if (options.reput) {
        await putRecords(
          clients.kinesis,
          streamName,
          records.map((r) => ({ data: r.Data ?? new Uint8Array(), partitionKey: r.PartitionKey ?? "replay" })),
        );
        await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      } else if (message.ReceiptHandle) {
        held.push(message.ReceiptHandle);
      }
    }
  }
  // A report leaves the messages where they were: visible again at once.
  for (const handle of held) {
    await clients.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }),
    );
  }
  return { ranges, records: count, reput: options.reput };
}

async function main(): Promise<number> {
  const { values } = parseCommand(USAGE, {
    function: { type: "string", short: "f" },
    reput: { type: "boolean" },
    outputs: { type: "string" },
  });
  const fn = STREAM_NAMES.find((name) => name === values.function);
  if (!fn) {
    console.error(`--function must be one of ${STREAM_NAMES.join(", ")}\n\n${USAGE}`);
    return 2;
  }
  const target = await connect(values.outputs);
  console.error(`→ ${target.endpoint}`);
  const { outputs } = target;
  const { failures: queueKey, stream: streamKey } = outputsOf(fn);
  const result = await replay({ kinesis: kinesisClient(), sqs: sqsClient() }, outputs[queueKey], outputs[streamKey], {
    reput: values.reput === true,
  });
  console.log(
    result.reput
      ? `put ${result.records} records of ${result.ranges} failed ranges back to ${outputs[streamKey]}`
      : `${result.ranges} failed ranges, ${result.records} records; --reput puts them back`,
  );
  return 0;
}

// Run as a command, not when the tests import replay().
if (import.meta.url === `file://${process.argv[1]}`) runMain(main);
