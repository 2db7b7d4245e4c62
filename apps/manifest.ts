import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Duration, RemovalPolicy } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type { Construct } from "constructs";
import type { KeyedApp } from "../core/keyed.js";
import type { StateCodec } from "../core/keyed-store.js";
import type { Message } from "../core/sinks.js";

// What the rest of the product knows about an application: its folder's manifest says it, and the
// stack, the outputs, `put`, `replay`, the demo, the status command, the bench and the tests read it
// from the one list in apps/index.ts. A new application is its folder, one line in that list and
// one line per stream in functions/.

/** How a stream's records are keyed: where the partition key is in a record. */
export interface RecordKey {
  /** The CSV field (0-based) and the JSON property that hold it. */
  readonly csvField: number;
  readonly jsonField: string;
  /** The key as it is compared (an e-mail lower-cased); trimmed by default. */
  readonly normalise?: (key: string) => string;
  /** A value that must never be a partition key (a card number): such a record goes under a random
   * key, and its function rejects it. */
  readonly forbidden?: (key: string) => boolean;
}

/** Lambda's Kinesis event-source settings that a stage may change per stream. */
export interface EventSourceSettings {
  /** Records per invocation (GetRecords limit). */
  readonly batchSize: number;
  /** How long Lambda may wait to fill a batch, in seconds. */
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: "TRIM_HORIZON" | "LATEST" | "AT_TIMESTAMP";
  /** Split a failing batch in two and retry the halves, down to the poison record. */
  readonly bisectBatchOnError: boolean;
  /** Retries of a failing batch before it goes to the failure destination. */
  readonly retryAttempts: number;
  /** Records older than this are not processed but sent to the failure destination. */
  readonly maxRecordAgeSeconds: number;
  /** The function answers with batchItemFailures; Lambda checkpoints before the lowest one. */
  readonly reportBatchItemFailures: boolean;
  readonly parallelizationFactor: number;
}

/** One stream of an application, with its function (`functions/<name>.ts`) and event-source mapping. */
export interface StreamManifest {
  /** The stream's name among all applications' streams: its records' kind, its function's name. */
  readonly name: string;
  readonly key: RecordKey;
  /** How a CSV header line of this stream starts (names compared lower-case, letters and digits only). */
  readonly header: readonly string[];
  /** The record formats, for usage texts: CSV and JSON. */
  readonly formats: { readonly csv: string; readonly json: string };
  /** The calls the function makes on its application's table (declared by the store that makes them). */
  readonly tableActions: readonly string[];
  /** The metrics its outputs count toward (graphed on the dashboard). */
  readonly outputMetrics: readonly string[];
  /** Event-source settings per stage, over the defaults (e.g. larger batches in prod). */
  readonly eventSource?: Readonly<Record<string, Partial<EventSourceSettings>>>;
  /** The core's mode its function runs on: "keyed" (the default) or "facts", whose tallies keep one
   * watermark per shard and so need one batch per shard at a time (ParallelizationFactor 1). */
  readonly mode?: "keyed" | "facts";
  /** The demo data under data/; `first`: put and processed before the other streams' (a loyalty list). */
  readonly demo?: { readonly file: string; readonly first?: boolean };
}

/** What the stack hands an application's own resources. */
export interface AppScope {
  readonly scope: Construct;
  readonly key: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** Encrypted with the key, TLS-only, 14 days' retention: every queue's settings. */
  readonly queueDefaults: { encryptionMasterKey: kms.IKey; enforceSSL: true; retentionPeriod: Duration };
}

/** An application's resources beyond its table, streams and functions. */
export interface AppResources {
  /** Environment per stream name, beside what every function gets. */
  readonly environment?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Grants per stream name. */
  readonly grant?: (stream: string, fn: iam.IGrantable) => void;
  /** Stack outputs, by the names in the manifest's `outputs`. */
  readonly outputs?: Readonly<Record<string, string>>;
  readonly alarms?: readonly cloudwatch.Alarm[];
  /** cdk-nag findings accepted, each with its reason. */
  readonly acknowledgements?: readonly (readonly [construct: Construct, rule: string, reason: string])[];
}

/** What the demo and the status command may read. */
export interface AppReadContext {
  readonly documents: DynamoDBDocumentClient;
  readonly outputs: Readonly<Record<string, string>>;
}

/** What the generic exactly-once tests need of a keyed application. */
export interface KeyedTesting<E = unknown, S = unknown, O = unknown> {
  readonly app: KeyedApp<E, S, O>;
  readonly message: (output: O) => Message;
  readonly codec: StateCodec<S>;
  readonly keyAttribute: string;
  /** Events over a few keys, in time order per key, with values spanning the thresholds (fast-check). */
  readonly events: import("fast-check").Arbitrary<E[]>;
}

/** An application's testing view, its types erased for the list the generic tests iterate. */
export const keyedTesting = <E, S, O>(testing: KeyedTesting<E, S, O>): KeyedTesting =>
  testing as unknown as KeyedTesting;

export interface AppManifest {
  /** The application's one name: its folder under apps/. */
  readonly name: string;
  /** What it does, in a line. */
  readonly title: string;
  readonly streams: readonly StreamManifest[];
  /** Its DynamoDB table: construct id (its output is `<id>Name`), partition key, TTL attribute, and the
   * environment variable that names it to the functions. */
  readonly table: { readonly id: string; readonly key: string; readonly ttl?: string; readonly env: string };
  /** Whether its functions publish to the alert topic (core/alerts.ts). */
  readonly alerts: boolean;
  /** The environment its settings make, from the CDK context (`-c NAME=…`), checked by its schema. */
  readonly settings?: (context: (name: string) => unknown) => Record<string, string>;
  /** Its own stack outputs' names (set by `resources`). */
  readonly outputs?: readonly string[];
  /** Its own resources (a queue, a secret). */
  readonly resources?: (scope: AppScope) => AppResources;
  /** The demo: a message of its own as a line (undefined: not its message), queues it sends to
   * besides the alert topic (by output name), and what to print once the demo data is processed. */
  readonly demo?: {
    readonly show: (message: Record<string, unknown>) => string | undefined;
    readonly queues?: readonly string[];
    readonly summary?: (context: AppReadContext) => Promise<string>;
    /** Against the demo data's independently computed outcome: what differs (nothing when equal). */
    readonly check?: (sent: readonly Record<string, unknown>[], context: AppReadContext) => Promise<string[]>;
  };
  /** `npm run status -- <name>`: its state as text for people, and as JSON. */
  readonly status?: (context: AppReadContext) => Promise<{ text: string; json: unknown }>;
  /** The generic exactly-once tests' view of it, for keyed applications (loaded only by the tests). */
  readonly testing?: () => Promise<KeyedTesting>;
}

/** Declares a manifest, keeping its names' literal types (the outputs' keys are derived from them). */
export const defineApp = <const M extends AppManifest>(manifest: M): M => manifest;
