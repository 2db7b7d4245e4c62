import { type AwsRequest, param } from "../iam/request.js";
import type { LogEvent, LogEvents, LogGroup } from "../lambda/log-events.js";
import { notAnswered, required, serviceError } from "./errors.js";

// CloudWatch Logs' read side, answered from what the functions printed (local/lambda/log-events.ts):
// the log groups and streams, a stream's events, and a group's events filtered by time, stream and
// filter pattern — what `aws logs filter-log-events` and `aws logs tail --follow` (which polls
// FilterLogEvents) read.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html

export interface LogsDeps {
  readonly region: string;
  readonly account: string;
  readonly logs: LogEvents;
}

/** The most events one answer holds, as Logs' limit is. */
const MAX_EVENTS = 10_000;

export function answerLogs(call: AwsRequest, deps: LogsDeps): Record<string, unknown> {
  const { region, account, logs } = deps;
  const input = call.json ?? {};
  const number = (name: string) => (typeof input[name] === "number" ? (input[name] as number) : undefined);
  const groupArn = (name: string) => `arn:aws:logs:${region}:${account}:log-group:${name}`;
  const group = (): LogGroup => {
    const name = required(param(call, "logGroupName"), "logGroupName");
    const found = logs.find(name);
    if (!found) throw serviceError("ResourceNotFoundException", "The specified log group does not exist.");
    return found;
  };
  switch (call.operation) {
    case "DescribeLogGroups": {
      const prefix = param(call, "logGroupNamePrefix") ?? "";
      const pattern = param(call, "logGroupNamePattern");
      return {
        logGroups: logs
          .list()
          .filter(
            (g) => g.logGroupName.startsWith(prefix) && (pattern === undefined || g.logGroupName.includes(pattern)),
          )
          .slice(0, number("limit") ?? 50)
          .map((g) => ({
            logGroupName: g.logGroupName,
            creationTime: g.creationTime,
            metricFilterCount: 0,
            arn: `${groupArn(g.logGroupName)}:*`,
            logGroupArn: groupArn(g.logGroupName),
            storedBytes: g.events.reduce((n, e) => n + Buffer.byteLength(e.message), 0),
            logGroupClass: "STANDARD",
          })),
      };
    }
    case "DescribeLogStreams": {
      const g = group();
      const prefix = param(call, "logStreamNamePrefix") ?? "";
      const byTime = param(call, "orderBy") === "LastEventTime";
      const streams = [...g.streams.values()]
        .filter((s) => s.logStreamName.startsWith(prefix))
        .sort((a, b) =>
          byTime ? a.lastEventTimestamp - b.lastEventTimestamp : a.logStreamName.localeCompare(b.logStreamName),
        );
      if (input.descending === true) streams.reverse();
      return {
        logStreams: streams.slice(0, number("limit") ?? 50).map((s) => ({
          ...s,
          arn: `${groupArn(g.logGroupName)}:log-stream:${s.logStreamName}`,
          storedBytes: 0,
        })),
      };
    }
    case "GetLogEvents": {
      const g = group();
      const stream = required(param(call, "logStreamName"), "logStreamName");
      if (!g.streams.has(stream))
        throw serviceError("ResourceNotFoundException", "The specified log stream does not exist.");
      const after = positionOf(param(call, "nextToken"));
      const inStream = inTime(
        g.events.filter((e) => e.logStreamName === stream && (after === undefined || e.seq > after)),
        number("startTime"),
        number("endTime"),
      );
      const limit = Math.min(number("limit") ?? MAX_EVENTS, MAX_EVENTS);
      // From the head when asked (or reading on from a token); otherwise the newest events.
      const events =
        input.startFromHead === true || after !== undefined ? inStream.slice(0, limit) : inStream.slice(-limit);
      const last = events.at(-1)?.seq ?? after ?? -1;
      const first = events[0]?.seq ?? after ?? -1;
      return {
        events: events.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
        nextForwardToken: `f/${String(last).padStart(20, "0")}`,
        nextBackwardToken: `b/${String(first).padStart(20, "0")}`,
      };
    }
    case "FilterLogEvents": {
      const g = group();
      const names = input.logStreamNames as string[] | undefined;
      const prefix = param(call, "logStreamNamePrefix");
      const after = positionOf(param(call, "nextToken"));
      const matches = filterPattern(param(call, "filterPattern") ?? "");
      const found = inTime(
        g.events.filter(
          (e) =>
            (after === undefined || e.seq > after) &&
            (names === undefined || names.includes(e.logStreamName)) &&
            (prefix === undefined || e.logStreamName.startsWith(prefix)) &&
            matches(e.message),
        ),
        number("startTime"),
        number("endTime"),
      );
      const limit = Math.min(number("limit") ?? MAX_EVENTS, MAX_EVENTS);
      const events = found.slice(0, limit);
      const more = found.length > events.length;
      return {
        events: events.map((e) => ({
          logStreamName: e.logStreamName,
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.ingestionTime,
          eventId: String(e.seq).padStart(20, "0"),
        })),
        searchedLogStreams: [],
        ...(more ? { nextToken: `f/${String(events.at(-1)?.seq ?? 0).padStart(20, "0")}` } : {}),
      };
    }
    default:
      throw notAnswered();
  }
}

/** The event a token reads on after (its sequence), none without a token. */
function positionOf(token: string | undefined): number | undefined {
  if (token === undefined) return undefined;
  const seq = /^[fb]\/(\d+)$/.exec(token)?.[1];
  if (seq === undefined) throw serviceError("InvalidParameterException", "The specified nextToken is invalid.");
  return Number(seq);
}

function inTime(events: LogEvent[], start: number | undefined, end: number | undefined): LogEvent[] {
  return events.filter(
    (e) => (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp <= end),
  );
}

/**
 * A filter pattern's test of a message: terms that must all appear (a quoted phrase is one term),
 * `?term`s of which one must, `-term`s that must not; or a JSON pattern `{ $.a.b = value }`
 * (= or !=, a string, a number or a `*` wildcard), `&&`/`||` between such tests. Case-sensitive,
 * as Logs' is. Any other syntax is refused by name rather than matched wrongly.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */
export function filterPattern(pattern: string): (message: string) => boolean {
  const text = pattern.trim();
  if (text === "") return () => true;
  if (text.startsWith("{")) return jsonPattern(text);
  if (text.startsWith("[") || text.startsWith("%")) {
    throw serviceError(
      "InvalidParameterException",
      `the filter pattern ${text}: space-delimited and regular-expression patterns are not matched by the local stack (terms and JSON patterns are)`,
    );
  }
  const terms = [...text.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)].map((m) => ({
    kind: m[1] as "" | "?" | "-",
    term: m[2] ?? m[3] ?? "",
  }));
  const all = terms.filter((t) => t.kind === "").map((t) => t.term);
  const any = terms.filter((t) => t.kind === "?").map((t) => t.term);
  const none = terms.filter((t) => t.kind === "-").map((t) => t.term);
  return (message) =>
    all.every((t) => message.includes(t)) &&
    (any.length === 0 || any.some((t) => message.includes(t))) &&
    !none.some((t) => message.includes(t));
}

function jsonPattern(text: string): (message: string) => boolean {
  const body = /^\{(.*)\}$/s.exec(text)?.[1]?.trim() ?? "";
  const or = body.split("||").map((alt) =>
    alt.split("&&").map((test) => {
      const m = /^\(?\s*\$\.([\w.[\]]+)\s*(=|!=)\s*(?:"([^"]*)"|(\S+?))\s*\)?$/.exec(test.trim());
      if (!m) {
        throw serviceError(
          "InvalidParameterException",
          `the filter pattern ${text}: only = and != tests of $.fields are matched by the local stack`,
        );
      }
      const [, selector = "", op, quoted, bare] = m;
      const want = quoted ?? bare ?? "";
      return (doc: unknown) => {
        const value = selector
          .split(".")
          .reduce<unknown>(
            (at, key) => (at !== null && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined),
            doc,
          );
        // A field the event does not have matches neither = nor !=.
        if (value === undefined) return false;
        const equal =
          want === "*" || (want.endsWith("*") ? String(value).startsWith(want.slice(0, -1)) : String(value) === want);
        return op === "=" ? equal : !equal;
      };
    }),
  );
  // A JSON pattern matches only events that are a JSON object (after a prefix, as Lambda's text lines have one).
  return (message) => {
    const at = message.indexOf("{");
    let doc: unknown;
    try {
      doc = at < 0 ? undefined : JSON.parse(message.slice(at));
    } catch {
      return false;
    }
    return doc !== null && typeof doc === "object" && or.some((tests) => tests.every((t) => t(doc)));
  };
}
