// What the functions printed, as CloudWatch Logs holds it: per log group (`/aws/lambda/<function>`)
// and log stream (one per environment), each line an event with the time it was printed. The
// function's log file holds the same lines; this is what Logs' API (local/control/logs-api.ts)
// reads. Bounded: a group keeps its newest MAX_EVENTS_PER_GROUP events.

export interface LogEvent {
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
  readonly logStreamName: string;
  /** Its place in the group, in the order printed (Logs' event ids and tail positions). */
  readonly seq: number;
}

export interface LogStream {
  readonly logStreamName: string;
  readonly creationTime: number;
  firstEventTimestamp: number;
  lastEventTimestamp: number;
  lastIngestionTime: number;
}

export interface LogGroup {
  readonly logGroupName: string;
  readonly creationTime: number;
  readonly streams: Map<string, LogStream>;
  readonly events: LogEvent[];
  /** Events dropped from the front (past the bound). */
  dropped: number;
}

/** The events a group keeps (CloudWatch keeps them for the group's retention; a laptop, this many). */
export const MAX_EVENTS_PER_GROUP = 50_000;

export class LogEvents {
  private readonly groups = new Map<string, LogGroup>();
  private seq = 0;

  /** A group exists from the function's creation, before it prints anything, as Lambda's does once it has run. */
  group(logGroupName: string, creationTime = Date.now()): LogGroup {
    let group = this.groups.get(logGroupName);
    if (group === undefined) {
      group = { logGroupName, creationTime, streams: new Map(), events: [], dropped: 0 };
      this.groups.set(logGroupName, group);
    }
    return group;
  }

  /** A line printed now into a group's stream. */
  add(logGroupName: string, logStreamName: string, message: string, now = Date.now()): void {
    const group = this.group(logGroupName, now);
    const stream = group.streams.get(logStreamName);
    if (stream === undefined) {
      group.streams.set(logStreamName, {
        logStreamName,
        creationTime: now,
        firstEventTimestamp: now,
        lastEventTimestamp: now,
        lastIngestionTime: now,
      });
    } else {
      stream.lastEventTimestamp = now;
      stream.lastIngestionTime = now;
    }
    group.events.push({ timestamp: now, ingestionTime: now, message, logStreamName, seq: this.seq++ });
    if (group.events.length > MAX_EVENTS_PER_GROUP) {
      const over = group.events.length - MAX_EVENTS_PER_GROUP;
      group.events.splice(0, over);
      group.dropped += over;
    }
  }

  list(): LogGroup[] {
    return [...this.groups.values()].sort((a, b) => a.logGroupName.localeCompare(b.logGroupName));
  }

  find(logGroupName: string): LogGroup | undefined {
    return this.groups.get(logGroupName);
  }
}
