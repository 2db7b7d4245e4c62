import { setTimeout as sleep } from "node:timers/promises";
import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";

// PutRecords limits: 500 records and 5 MiB a call, 1 MiB a record (data plus partition key).
export const MAX_RECORDS_PER_CALL = 500;
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
export const MAX_BYTES_PER_RECORD = 1024 * 1024;

export class RecordTooLargeError extends Error {
  override readonly name = "RecordTooLargeError";
}

export interface ProducerRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

export interface PutProgress {
  readonly put: number;
  readonly retried: number;
}

export interface PutOptions {
  readonly onProgress?: (progress: PutProgress) => void;
  /** Give up on a record after this many refusals (throttling). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
}

export function recordSize(record: ProducerRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey);
}

/**
 * Puts records in order, in PutRecords calls within the service limits, re-sending the entries
 * a call refused (throttling, internal errors) with exponential backoff until all are in.
 *
 * Order per partition key holds as long as a call refuses a shard's entries from some point on,
 * which is how throttling behaves; a refused entry followed by an accepted one of the same key in
 * the same call would land after it (as with the KPL without aggregation). Refused entries go
 * first in the next call, before any new record.
 */
export async function putRecords(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly ProducerRecord[],
  options: PutOptions = {},
): Promise<PutProgress> {
  for (const record of records) {
    if (recordSize(record) > MAX_BYTES_PER_RECORD) {
      throw new RecordTooLargeError(`a record of ${recordSize(record)} bytes is over Kinesis's 1 MiB limit`);
    }
  }
  const maxAttempts = options.maxAttempts ?? 12;
  const baseDelay = options.baseDelayMs ?? 100;
  let put = 0;
  let retried = 0;
  let next = 0;
  let pending: ProducerRecord[] = [];
  let attempt = 0;
  while (next < records.length || pending.length > 0) {
    // Refused records go first, then fresh ones, up to the call's limits.
    const call: ProducerRecord[] = [...pending];
    let bytes = call.reduce((sum, r) => sum + recordSize(r), 0);
    while (next < records.length && call.length < MAX_RECORDS_PER_CALL) {
      const record = records[next] as ProducerRecord;
      if (bytes + recordSize(record) > MAX_BYTES_PER_CALL) break;
      call.push(record);
      bytes += recordSize(record);
      next++;
    }
    const entries: PutRecordsRequestEntry[] = call.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }));
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
    const refused = (out.Records ?? []).flatMap((result, i) => (result.ErrorCode ? [call[i] as ProducerRecord] : []));
    put += call.length - refused.length;
    pending = refused;
    if (refused.length > 0) {
      retried += refused.length;
      attempt++;
      if (attempt >= maxAttempts) {
        throw new Error(`${refused.length} records still refused after ${maxAttempts} attempts; ${put} were put`);
      }
      await sleep(Math.min(5000, baseDelay * 2 ** (attempt - 1)));
    } else {
      attempt = 0;
    }
    options.onProgress?.({ put, retried });
  }
  return { put, retried };
}
