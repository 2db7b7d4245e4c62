import { seededRandom } from "../../shared/random.js";
import type { AwsRequest } from "../iam/request.js";

// Faults injected into the functions' own calls (the reliability tests and --chaos): a seeded share
// of matching calls throttled, failed, failing after taking effect, or never answered. The mapping's
// calls and the stream's are never faulted.

/** throttle or error: refused at once; after: takes effect, the caller hears it failed; hang: never answered. */
export type Fault = "throttle" | "error" | "after" | "hang";

export interface FaultPlan {
  /** Share of matching calls that fail, 0–1. */
  readonly rate: number;
  readonly faults: readonly Fault[];
  /** Which operations may fail (e.g. "PutItem", "SendMessageBatch"); all when absent. */
  readonly operations?: readonly string[];
  readonly seed?: number;
}

export class FaultInjector {
  private plan: FaultPlan | undefined;
  private next = seededRandom(42);

  setPlan(plan: FaultPlan | undefined): void {
    this.plan = plan;
    this.next = seededRandom(plan?.seed ?? 42);
  }

  /** The fault this call gets, if any: only a function's own calls (`faultable`), never Kinesis's. */
  draw(call: AwsRequest, faultable: boolean): Fault | undefined {
    const { plan } = this;
    if (!faultable || call.service === "kinesis" || !plan) return undefined;
    if (plan.operations && !plan.operations.includes(call.operation)) return undefined;
    if (this.next() >= plan.rate) return undefined;
    return plan.faults[Math.floor(this.next() * plan.faults.length)];
  }
}
