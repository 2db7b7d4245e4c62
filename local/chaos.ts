import { DescribeStreamSummaryCommand, type KinesisClient, UpdateShardCountCommand } from "@aws-sdk/client-kinesis";
import { seededRandom } from "../shared/random.js";
import { streamActive } from "./cloudformation/deploy.js";
import type { Fault } from "./gateway/gateway.js";

// Chaos as a switch (`npm start -- --chaos[=LEVEL] [--chaos-seed N]`): every fault the test suite
// knows, at once, on the functions' own calls and invocations — each one a thing Lambda, Kinesis,
// DynamoDB, SQS or SNS does to a function in an account on a bad day, never a hook the code under
// test could see: throttling and 5xx answers, calls that take effect but lose their response, a
// function's environment killed mid-batch, invocations timed out, batches delivered twice or raced
// by a duplicate invocation, and streams resharded (split, then merged back) while records flow.

export interface ChaosPlan {
  readonly level: ChaosLevel;
  /** The seed of every draw: the same seed and input make the same faults (a failing run replays). */
  readonly seed: number;
  /** Share of the functions' DynamoDB, SQS and SNS calls refused or losing their response. */
  readonly callFaultRate: number;
  readonly callFaults: readonly Fault[];
  /** Shares of invocations whose environment is killed, or that time out. */
  readonly crashRate: number;
  readonly timeoutRate: number;
  /** Shares of batches delivered a second time, and raced by a duplicate invocation. */
  readonly duplicateRate: number;
  readonly raceRate: number;
  /** Every so often one stream is resharded: doubled, and on its next turn halved back. */
  readonly reshardEveryMs: number;
}

export const CHAOS_LEVELS = ["low", "medium", "high"] as const;
export type ChaosLevel = (typeof CHAOS_LEVELS)[number];

const RATES: Record<ChaosLevel, Omit<ChaosPlan, "level" | "seed" | "callFaults">> = {
  low: {
    callFaultRate: 0.02,
    crashRate: 0.01,
    timeoutRate: 0.01,
    duplicateRate: 0.05,
    raceRate: 0.05,
    reshardEveryMs: 20_000,
  },
  medium: {
    callFaultRate: 0.05,
    crashRate: 0.02,
    timeoutRate: 0.02,
    duplicateRate: 0.1,
    raceRate: 0.1,
    reshardEveryMs: 10_000,
  },
  high: {
    callFaultRate: 0.1,
    crashRate: 0.05,
    timeoutRate: 0.05,
    duplicateRate: 0.25,
    raceRate: 0.25,
    reshardEveryMs: 5_000,
  },
};

export function chaosPlan(level: string, seed: number): ChaosPlan {
  if (!CHAOS_LEVELS.includes(level as ChaosLevel)) {
    throw new Error(`--chaos takes ${CHAOS_LEVELS.join(", ")}, got "${level}"`);
  }
  return {
    level: level as ChaosLevel,
    seed,
    callFaults: ["throttle", "error", "after"],
    ...RATES[level as ChaosLevel],
  };
}

/** The kinds of fault injected, as the counts name them. */
export const FAULT_KINDS = [
  "throttled",
  "5xx",
  "lost-response",
  "killed",
  "timed-out",
  "twice",
  "raced",
  "resharded",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How many faults of each kind were injected. */
export class ChaosCounts {
  readonly counts: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;

  add(kind: FaultKind, n = 1): void {
    this.counts[kind] += n;
  }

  /** The gateway's own counts (throttle, error, after) under the names above. */
  withGateway(injected: Readonly<Record<Fault, number>>): Record<FaultKind, number> {
    return { ...this.counts, throttled: injected.throttle, "5xx": injected.error, "lost-response": injected.after };
  }

  static line(counts: Readonly<Record<FaultKind, number>>): string {
    return FAULT_KINDS.map((k) => `${k} ${counts[k]}`).join(" · ");
  }
}

/**
 * Reshards the streams in turn: a stream is split to twice its shards, and on its next turn merged
 * back — as UpdateShardCount does in an account (the runner must lose nothing across either).
 */
export function reshardNowAndThen(
  kinesis: KinesisClient,
  streams: readonly string[],
  everyMs: number,
  random: () => number,
  onReshard: (stream: string, from: number, to: number) => void,
  onError: (err: unknown) => void,
): { stop(): Promise<void> } {
  let stopped = false;
  let wake: () => void = () => undefined;
  let turn = Math.floor(random() * Math.max(1, streams.length));
  const split = new Map<string, number>();
  const loop = (async () => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs * (0.5 + random()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped || streams.length === 0) return;
      const stream = streams[turn++ % streams.length] as string;
      try {
        const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
        const open = summary.StreamDescriptionSummary?.OpenShardCount ?? 1;
        const original = split.get(stream);
        const to = original ?? Math.min(open * 2, 8);
        if (to === open) continue;
        await kinesis.send(
          new UpdateShardCountCommand({ StreamName: stream, TargetShardCount: to, ScalingType: "UNIFORM_SCALING" }),
        );
        if (original === undefined) split.set(stream, open);
        else split.delete(stream);
        onReshard(stream, open, to);
        await streamActive(kinesis, stream);
      } catch (err) {
        onError(err);
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
    },
  };
}

export const chaosRandom = (plan: ChaosPlan, stream: number) => seededRandom(plan.seed * 7919 + stream);
