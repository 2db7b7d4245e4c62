import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { AdminClients } from "../../local/stack.js";

// A parity scenario: something done against the local stack, as one of LocalStack's AWS-validated
// tests does it against an account, and the answer AWS gave there — as that test's snapshot file
// recorded it, transcribed here with LocalStack's placeholders for what differs between runs.

/** The LocalStack commit the recorded answers are read from. */
export const LOCALSTACK_COMMIT = "8b9a79f05846835cf4dff63ab7eefdde9df83783";

export type Family =
  | "kinesis-mapping"
  | "sqs-mapping"
  | "sns"
  | "dynamodb"
  | "kinesis-api"
  | "cloudwatch"
  | "lambda-invoke";

export interface Source {
  /** The snapshot file, under LocalStack's tests/aws/services/. */
  readonly file: string;
  /** The test, as its snapshot key names it (class::test[params]). */
  readonly test: string;
  /** The recorded keys compared. */
  readonly keys: readonly string[];
}

export interface Scenario {
  readonly family: Family;
  readonly name: string;
  readonly source: Source;
  /** The fixture of the parity app it drives, if any. */
  readonly fixture?: string;
  /** Does it, and answers with what the recording holds, under the recorded keys. */
  readonly run: (ctx: ParityContext) => Promise<Record<string, unknown>>;
  /** What AWS answered, under the same keys. */
  readonly recorded: Record<string, unknown>;
  /**
   * Paths whose recorded value depends on how long the run took, not on what AWS does (how many
   * attempts fit in a record's age): compared as present, not by value. Each with why.
   */
  readonly timing?: Readonly<Record<string, string>>;
  /**
   * Paths where the recording left out a field whose value was null (a test that relayed the event
   * through a queue's JSON body): a null there is taken as recorded. Each with why.
   */
  readonly nullsDropped?: Readonly<Record<string, string>>;
}

/**
 * A fixture of the parity app as deployed, as its stack output `Fixture<id>` says it (JSON,
 * written by app/app.ts): the names a scenario drives and reads it by.
 */
export interface DeployedFixture {
  readonly stream?: string;
  /** A fan-in fixture's streams. */
  readonly streams?: readonly string[];
  readonly queue?: string;
  /** The functions' names, the first the fixture's own. */
  readonly functions: readonly string[];
  /** The on-failure destination (a queue URL — a topic's: the queue subscribed to it — or a bucket name), or the queue a function sends its results to. */
  readonly destination?: string;
  /** A queue's dead-letter queue. */
  readonly deadLetter?: string;
}

export interface ParityContext {
  readonly clients: AdminClients & { readonly cloudwatch: CloudWatchClient; readonly lambda: LambdaClient };
  /** A deployed fixture of the parity app. */
  fixture(id: string): DeployedFixture;
  /** The events a function printed (its log's JSON lines with Records), once there are at least `count`. */
  invocationEvents(functionName: string, count: number, timeoutMs?: number): Promise<unknown[]>;
  /** Every JSON line the function printed, once there are at least `count`. */
  logEvents(functionName: string, count: number, timeoutMs?: number): Promise<unknown[]>;
  /** A ReceiveMessage that found messages (tried until it does), bodies read as JSON where they are. */
  receiveMessages(queueUrl: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The one object a bucket holds (waited for), read as JSON. */
  onlyObject(bucket: string, timeoutMs?: number): Promise<unknown>;
}
