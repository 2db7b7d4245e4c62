import type { FailureRecord, InvokeInfo } from "../../local/runner.js";

/**
 * What the event-source runner saw each function finish, from its invocation results: a record
 * is finished when an invocation returned without reporting it (or anything before it) failed.
 * With the rejected-records queue and the failure destination it answers, per function:
 * records put = records processed + records rejected + records in the failure destination.
 */
export class Ledger {
  private readonly finished = new Map<string, Set<string>>();
  private readonly failed = new Map<string, number>();

  readonly onInvoke = (info: InvokeInfo): void => {
    if (info.outcome === "error") return;
    const set = this.finished.get(info.functionName) ?? new Set<string>();
    const end =
      info.failedFrom === undefined ? info.sequenceNumbers.length : info.sequenceNumbers.indexOf(info.failedFrom);
    for (const seq of info.sequenceNumbers.slice(0, end)) set.add(seq);
    this.finished.set(info.functionName, set);
  };

  readonly onFailureDestination = (record: FailureRecord): void => {
    const fn = record.requestContext.functionArn.split(":").at(-1) ?? "";
    this.failed.set(fn, (this.failed.get(fn) ?? 0) + record.KinesisBatchInfo.batchSize);
  };

  /** The books of one function, given the sequence numbers its rejected records carried. */
  account(functionName: string, rejected: readonly string[]) {
    const finished = this.finished.get(functionName) ?? new Set<string>();
    const rejectedSet = new Set(rejected);
    for (const seq of rejectedSet) {
      if (!finished.has(seq)) throw new Error(`record ${seq} was rejected but its invocation never finished`);
    }
    return {
      processed: finished.size - rejectedSet.size,
      rejected: rejectedSet.size,
      failureDestination: this.failed.get(functionName) ?? 0,
      total: finished.size + (this.failed.get(functionName) ?? 0),
    };
  }
}
