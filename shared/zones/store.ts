import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { batchGet } from "../dynamo.js";
import { isConditionalCheckFailed } from "../errors.js";
import { packWindow, unpackWindow } from "./codec.js";
import type { RuleName } from "./rules.js";
import { type Alert, emptyZone, type ZoneState } from "./zone.js";

/** A zone's state as read, with what the optimistic lock and the alert outbox need. */
export interface StoredZone {
  readonly zone: string;
  readonly state: ZoneState;
  /** The item's version; 0 when the zone has no item yet. */
  readonly version: number;
  /** Alerts written with the state but not yet known to be published (the outbox). */
  readonly pending: readonly Alert[];
}

export interface ZoneStore {
  load(zones: readonly string[]): Promise<Map<string, StoredZone>>;
  /** Writes the new state if the item is still at `expected.version`; false when it moved on. */
  save(expected: StoredZone, state: ZoneState, pending: readonly Alert[]): Promise<boolean>;
  /** Empties the outbox once its alerts are published, unless the item moved on meanwhile. */
  clearPending(zone: string, version: number): Promise<void>;
}

export class DynamoZoneStore implements ZoneStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async load(zones: readonly string[]): Promise<Map<string, StoredZone>> {
    const items = await batchGet(
      this.db,
      this.table,
      zones.map((zone) => ({ zone })),
    );
    const found = new Map<string, StoredZone>();
    for (const item of items) {
      const stored = zoneFromItem(item);
      found.set(stored.zone, stored);
    }
    for (const zone of zones) {
      if (!found.has(zone)) found.set(zone, { zone, state: emptyZone(), version: 0, pending: [] });
    }
    return found;
  }

  async save(expected: StoredZone, state: ZoneState, pending: readonly Alert[]): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: zoneToItem(expected.zone, state, expected.version + 1, pending),
          ConditionExpression: expected.version === 0 ? "attribute_not_exists(#zone)" : "#v = :v",
          ExpressionAttributeNames: expected.version === 0 ? { "#zone": "zone" } : { "#v": "v" },
          ExpressionAttributeValues: expected.version === 0 ? undefined : { ":v": expected.version },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async clearPending(zone: string, version: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { zone },
          UpdateExpression: "REMOVE pending",
          ConditionExpression: "v = :v",
          ExpressionAttributeValues: { ":v": version },
        }),
      );
    } catch (err) {
      // Another writer moved the item on: it read our outbox and publishes (deduplicated) itself.
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}

export function zoneToItem(zone: string, state: ZoneState, version: number, pending: readonly Alert[]) {
  return {
    zone,
    v: version,
    w: packWindow(state.at, state.centi),
    dev: state.lastByDevice,
    alarms: [...state.alarms],
    applied: state.applied,
    ignored: state.ignored,
    ...(pending.length > 0 ? { pending: JSON.stringify(pending) } : {}),
  };
}

function zoneFromItem(item: Record<string, unknown>): StoredZone {
  const window = item.w instanceof Uint8Array ? unpackWindow(item.w) : { at: [], centi: [] };
  return {
    zone: String(item.zone),
    version: typeof item.v === "number" ? item.v : 0,
    state: {
      at: window.at,
      centi: window.centi,
      lastByDevice: (item.dev ?? {}) as Record<string, number>,
      alarms: (Array.isArray(item.alarms) ? item.alarms : []) as RuleName[],
      applied: (item.applied ?? {}) as Record<string, string>,
      ignored: typeof item.ignored === "number" ? item.ignored : 0,
    },
    pending: typeof item.pending === "string" ? (JSON.parse(item.pending) as Alert[]) : [],
  };
}
