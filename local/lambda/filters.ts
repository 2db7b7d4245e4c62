import type { KinesisStreamRecord } from "aws-lambda";
import { TemplateError } from "../cloudformation/intrinsics.js";
import { checkPattern, matches, type Pattern } from "../event-patterns.js";

// Lambda's event filtering for Kinesis (FilterCriteria): up to five patterns, OR-ed; a record that
// matches none is never sent to the function, and the checkpoint moves past it. A pattern's keys
// other than `data` name the record's metadata (partitionKey, sequenceNumber,
// approximateArrivalTimestamp, kinesisSchemaVersion); `data` names the record's data read as JSON —
// a record whose data is not a JSON object matches no pattern that filters on `data`.
// The rule syntax is EventBridge's as Lambda documents it: a list of values (equals, OR-ed), null,
// "" (empty), {equals-ignore-case}, {anything-but} (a value, a list, or {prefix}/{suffix}),
// {numeric: [op, n, …]}, {exists}, {prefix}, {suffix}, and $or over fields.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html

/** Lambda's default limit of filters per event-source mapping. */
export const MAX_FILTERS = 5;

/** Reads a mapping's FilterCriteria into patterns, refusing what Lambda would refuse. */
export function parseFilterCriteria(criteria: unknown, where: string): Pattern[] {
  if (criteria === undefined) return [];
  const filters = (criteria as { Filters?: unknown }).Filters;
  if (!Array.isArray(filters)) throw new TemplateError(`${where}: FilterCriteria needs a Filters list`);
  if (filters.length > MAX_FILTERS) {
    throw new TemplateError(`${where}: ${filters.length} filters; Lambda takes at most ${MAX_FILTERS} per mapping`);
  }
  return filters.map((f, i) => {
    const text = (f as { Pattern?: unknown }).Pattern;
    let pattern: unknown;
    try {
      pattern = typeof text === "string" ? JSON.parse(text) : undefined;
    } catch {
      pattern = undefined;
    }
    if (pattern === null || typeof pattern !== "object" || Array.isArray(pattern)) {
      throw new TemplateError(`${where}: filter ${i + 1}'s Pattern is not a JSON object`);
    }
    const problem = checkPattern(pattern as Pattern);
    if (problem) throw new TemplateError(`${where}: filter ${i + 1}: ${problem}`);
    return pattern as Pattern;
  });
}

/** What a Kinesis record looks like to a filter: its metadata, and its data parsed when it is JSON. */
export function filterView(record: KinesisStreamRecord): Record<string, unknown> {
  const { kinesis } = record;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(kinesis.data, "base64").toString("utf8"));
  } catch {
    data = undefined;
  }
  return {
    kinesisSchemaVersion: kinesis.kinesisSchemaVersion,
    partitionKey: kinesis.partitionKey,
    sequenceNumber: kinesis.sequenceNumber,
    approximateArrivalTimestamp: kinesis.approximateArrivalTimestamp,
    ...(data !== null && typeof data === "object" && !Array.isArray(data) ? { data } : {}),
  };
}

/** Whether a record passes the mapping's filters (any of them); every record passes no filters. */
export function passes(patterns: readonly Pattern[], record: KinesisStreamRecord): boolean {
  if (patterns.length === 0) return true;
  const view = filterView(record);
  return patterns.some((p) => matches(p, view));
}
