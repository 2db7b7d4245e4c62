import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoKeyedStore, keyedItem } from "../../core/keyed-store.js";
import { ZONE_KEY, zoneCodec } from "./app.js";
import type { Alert, ZoneState } from "./zone.js";

/** The zones' state store: one item a zone in the zone table. */
export function zoneStore(db: DynamoDBDocumentClient, table: string): DynamoKeyedStore<ZoneState, Alert> {
  return new DynamoKeyedStore(db, table, ZONE_KEY, zoneCodec);
}

/** A zone's item as the store writes it, for sizing. */
export function zoneToItem(zone: string, state: ZoneState, version: number, watermarks: Record<string, string> = {}) {
  return keyedItem(ZONE_KEY, zoneCodec, zone, version, { state, watermarks, pending: [] }) as Record<
    string,
    unknown
  > & {
    w: Uint8Array;
  };
}
