import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { ChaosPlan } from "../chaos.js";
import type { StateChange } from "../cloudwatch/alarms.js";
import type { Access, FaultPlan } from "../gateway/gateway.js";
import type { AwsRequest } from "../iam/request.js";
import type { RunnerOptions } from "../lambda/kinesis-poller.js";
import type { SnsInvocationOptions } from "../lambda/sns-subscriptions.js";
import type { QueuePollerOptions } from "../lambda/sqs-poller.js";

// What a local stack is started with (`npm start`'s flags, the tests' and the bench's settings);
// each stage reads the options that are its own.

export interface LocalStackOptions {
  /** Where logs, the outputs file and the env file go. */
  readonly workDir: string;
  /** An already synthesized cloud assembly (like `cdk deploy --app DIR`); synthesized when absent. */
  readonly app?: string;
  /** No stack at the start: the endpoint and its services only, for `cdk bootstrap` and `cdk deploy` against it. */
  readonly noApp?: boolean;
  /** CDK context for the synthesis (`-c key=value`). */
  readonly context?: Readonly<Record<string, string>>;
  /** Run the functions (the event-source runner); off leaves the streams to other consumers. */
  readonly runFunctions?: boolean;
  /** Poll the streams for the functions (default); off: the functions only answer invocations. */
  readonly runMappings?: boolean;
  /** The CDK app's directory (its cdk.json), synthesized when no `app` is given (default: this project). */
  readonly root?: string;
  /** Synthesize again on a change under the app's sources and swap what can be swapped (`--watch`). */
  readonly watch?: { readonly print: (line: string) => void };
  /** Every fault at once, on the functions' calls and invocations and on the streams (`--chaos`). */
  readonly chaos?: ChaosPlan;
  /** One function's environment under the Node inspector (`--inspect FUNCTION`). */
  readonly inspect?: { readonly function: string; readonly port: number };
  readonly runner?: Partial<RunnerOptions>;
  /** What the SQS queues' pollers report (invocations, filtered messages, poll errors). */
  readonly queues?: Omit<QueuePollerOptions, "region">;
  /** What the functions' SNS subscriptions report (each invocation and retry). */
  readonly subscriptions?: SnsInvocationOptions;
  /** Faults injected into the functions' calls to DynamoDB, SQS and SNS (reliability tests). */
  readonly faults?: FaultPlan;
  /** Enforce the functions' IAM roles (default on). */
  readonly iam?: boolean;
  /**
   * A DynamoDB Local already running to keep this stack's tables in (the test suite shares one among
   * its stacks); default: TRIPWIRE_DYNAMODB_ENDPOINT, else one of the stack's own.
   */
  readonly dynamodb?: string;
  /** How often DynamoDB's time to live deletes expired items (default every 5 s). */
  readonly ttlSweepMs?: number;
  /** The gateway's port; a free one when absent. */
  readonly port?: number;
  readonly onRefusal?: (access: Access) => void;
  /** An alarm changed state (npm start prints it). */
  readonly onAlarm?: (change: StateChange) => void;
  /** > 1 shrinks the alarms' periods and the metrics' sampling by this factor (tests: 60 makes a minute a second). */
  readonly alarmTimeScale?: number;
  /** Every AWS call the endpoint answered, when it answered it (the benchmark times stages by it). */
  readonly onCall?: (call: AwsRequest, at: number) => void;
}

/** This project's directory: the CDK app `npm start` synthesizes unless told another. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The CDK app's directory (its cdk.json) the start synthesizes. */
export const appRoot = (options: LocalStackOptions): string => options.root ?? projectRoot;

/** Where each function's and emulator's log file goes. */
export const logDirOf = (options: LocalStackOptions): string => path.join(options.workDir, "logs");
