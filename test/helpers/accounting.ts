import type { FailureRecord, InvokeInfo } from "../../local/lambda/kinesis-poller.js";

/**
 * What the event-source runner saw each stream's function finish, from its invocation results: a record
 * is finished when an invocation returned without reporting it (or anything before it) failed.
 * With the rejected-records queue and the failure destination it answers, per function:
 * records put = records processed + records rejected + records in the failure destination.
 */
export class Ledger {
  private readonly finished = new Map<string, Set<string>>();
  private readonly failed = new Map<string, number>();

  readonly onInvoke = (info: InvokeInfo): void => {
    if (info.outcome === "error") return;
    const set = this.finished.get(info.streamName) ?? new Set<string>();
    const end =
      info.failedFrom === undefined ? info.sequenceNumbers.length : info.sequenceNumbers.indexOf(info.failedFrom);
    for (const seq of info.sequenceNumbers.slice(0, end)) set.add(seq);
    this.finished.set(info.streamName, set);
  };

  readonly onFailureDestination = (record: FailureRecord): void => {
    const stream = record.KinesisBatchInfo.streamArn.slice(record.KinesisBatchInfo.streamArn.indexOf("/") + 1);
    this.failed.set(stream, (this.failed.get(stream) ?? 0) + record.KinesisBatchInfo.batchSize);
  };

  /** The books of one stream's function, given the sequence numbers its rejected records carried. */
  account(streamName: string, rejected: readonly string[]) {
    const finished = this.finished.get(streamName) ?? new Set<string>();
    const rejectedSet = new Set(rejected);
    for (const seq of rejectedSet) {
      if (!finished.has(seq)) throw new Error(`record ${seq} was rejected but its invocation never finished`);
    }
    return {
      processed: finished.size - rejectedSet.size,
      rejected: rejectedSet.size,
      failureDestination: this.failed.get(streamName) ?? 0,
      total: finished.size + (this.failed.get(streamName) ?? 0),
    };
  }
}
