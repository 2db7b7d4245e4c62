import { createHash, randomUUID } from "node:crypto";
import { csvFields, looksLikeJson } from "../shared/csv.js";
import { campaign } from "./campaign/manifest.js";
import { cards } from "./cards/manifest.js";
import { cpu } from "./cpu/manifest.js";
import type { AppManifest, StreamManifest } from "./manifest.js";
import { zones } from "./zones/manifest.js";

/** Every application: the one list the stack, the outputs, the commands, the demo, the bench and the tests iterate. */
export const APPS = [campaign, zones, cpu, cards] as const;

type App = (typeof APPS)[number];

/** The streams of every application, each with its own function. */
export const STREAMS: readonly StreamManifest[] = APPS.flatMap((app): readonly StreamManifest[] => app.streams);
export type StreamName = App["streams"][number]["name"];
export const STREAM_NAMES = STREAMS.map((s) => s.name) as StreamName[];

/** Two streams with demo data (`data/FILE`), or placeholders: what the commands' usage examples put. */
export const USAGE_EXAMPLES: readonly [{ stream: string; file: string }, { stream: string; file: string }] = (() => {
  const [first = { stream: "NAME", file: "FILE" }, second = first] = STREAMS.flatMap((s) =>
    s.demo === undefined ? [] : [{ stream: s.name, file: `data/${s.demo.file}` }],
  ).slice(-2);
  return [first, second];
})();

/** The application a stream belongs to, and its manifest. */
export function streamOf(name: string): { app: AppManifest; stream: StreamManifest } | undefined {
  for (const app of APPS as readonly AppManifest[]) {
    const stream = app.streams.find((s) => s.name === name);
    if (stream) return { app, stream };
  }
  return undefined;
}

/** A stream function's construct id in the stack ("readings" → "Readings"): its resources' logical ids start with it. */
export const logicalIdOf = (name: string): string => name[0]?.toUpperCase() + name.slice(1);

type StreamOutput = `${Capitalize<StreamName>}${"StreamName" | "FailureQueueUrl"}`;
/** The stack outputs every stack has, whatever its applications. */
export const SHARED_OUTPUTS = ["AlertTopicArn", "AlertQueueUrl", "RejectedQueueUrl"] as const;
export type OutputKey =
  | (typeof SHARED_OUTPUTS)[number]
  | `${App["table"]["id"]}Name`
  | NonNullable<Extract<App, { outputs: unknown }>["outputs"]>[number]
  | StreamOutput;

/** The stack outputs naming a stream and its failure destination. */
export const outputsOf = (name: StreamName): { stream: OutputKey; failures: OutputKey } => ({
  stream: `${logicalIdOf(name)}StreamName` as OutputKey,
  failures: `${logicalIdOf(name)}FailureQueueUrl` as OutputKey,
});

/** The stack's outputs: the CDK stack declares exactly these, and the local stack writes them too. */
export const OUTPUT_KEYS: readonly OutputKey[] = [
  ...SHARED_OUTPUTS,
  ...(APPS as readonly AppManifest[]).flatMap((app) => [
    `${app.table.id}Name`,
    ...(app.outputs ?? []),
    ...app.streams.flatMap((s) => Object.values(outputsOf(s.name as StreamName))),
  ]),
] as OutputKey[];

/** Whether a line is a CSV header (e.g. `device_id, zone_id, temperature`) rather than a record. */
export function isCsvHeader(of: StreamName | StreamManifest, line: string): boolean {
  const stream = manifestOf(of);
  if (looksLikeJson(line)) return false;
  const names = csvFields(line).map((f) => f.toLowerCase().replace(/[^a-z0-9]/g, ""));
  return stream.header.includes(names[0] ?? "") && names.every((n) => n !== "" && !/^\d/.test(n));
}

/**
 * The partition key a record goes under, from the field its stream names (the normalised e-mail, the
 * zone, the server, the card token), so that everything about one key stays in order on one shard. A
 * record whose key cannot be found still goes in (its function rejects it with a reason), under a key
 * derived from its bytes; one whose key must never be a partition key (a card number) under a random one.
 */
export function partitionKeyOf(of: StreamName | StreamManifest, line: string): string {
  const stream = manifestOf(of);
  const { csvField, jsonField, normalise = (k: string) => k.trim(), forbidden } = stream.key;
  const raw = field(line, csvField, jsonField);
  const key = raw === undefined ? undefined : normalise(raw);
  if (key !== undefined && forbidden?.(key)) return `withheld-${randomUUID()}`;
  if (key && Buffer.byteLength(key) <= 256) return key;
  return `unkeyed-${createHash("sha256").update(line).digest("hex").slice(0, 16)}`;
}

function manifestOf(of: StreamName | StreamManifest): StreamManifest {
  if (typeof of !== "string") return of;
  const found = streamOf(of)?.stream;
  if (found === undefined) throw new Error(`no stream "${of}"`);
  return found;
}

function field(line: string, index: number, jsonName: string): string | undefined {
  if (looksLikeJson(line)) {
    try {
      const value = (JSON.parse(line) as Record<string, unknown>)[jsonName];
      return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
    } catch {
      return undefined;
    }
  }
  return csvFields(line)[index];
}
