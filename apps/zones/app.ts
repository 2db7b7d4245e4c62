import { alertContract } from "../../core/alerts.js";
import type { KeyedFunction } from "../../core/handler.js";
import type { KeyedApp } from "../../core/keyed.js";
import type { StateCodec } from "../../core/keyed-store.js";
import { packWindow, unpackWindow } from "./codec.js";
import { zoneConfig } from "./config.js";
import { decodeReading, type Reading } from "./reading.js";
import type { RuleConfig, RuleName } from "./rules.js";
import { type Alert, applyReadings, emptyZone, type ZoneState } from "./zone.js";

/** The zone table's partition key. */
export const ZONE_KEY = "zone";

/** Zone alerts on the alert topic: grouped, deduplicated and filterable by zone. */
export const zoneAlerts = alertContract<Alert>("zone");

/** Zone temperature alerts as a keyed application: a zone's window of readings, six rules, ALARM/OK. */
export function zoneApp(rules: RuleConfig): KeyedApp<Reading, ZoneState, Alert> {
  return {
    keyOf: (reading) => reading.zoneId,
    initial: emptyZone,
    apply: (state, readings) => {
      const step = applyReadings(state, readings, rules);
      return { state: step.state, outputs: step.alerts, outcomes: step.outcomes };
    },
    metricOf: zoneAlerts.metricOf,
  };
}

/** A zone's item attributes: the packed window, the device clocks, the rules in ALARM. */
export const zoneCodec: StateCodec<ZoneState> = {
  initial: emptyZone,
  encode: (state) => ({
    w: packWindow(state.at, state.centi),
    dev: state.lastByDevice,
    alarms: [...state.alarms],
    ignored: state.ignored,
  }),
  decode: (item) => {
    const window = item.w instanceof Uint8Array ? unpackWindow(item.w) : { at: [], centi: [] };
    return {
      at: window.at,
      centi: window.centi,
      lastByDevice: (item.dev ?? {}) as Record<string, number>,
      alarms: (Array.isArray(item.alarms) ? item.alarms : []) as RuleName[],
      ignored: typeof item.ignored === "number" ? item.ignored : 0,
    };
  },
};

/** The readings function: zone alerts from the readings stream, configured from its environment. */
export function readingsFunction(env: NodeJS.ProcessEnv = process.env): KeyedFunction<Reading, ZoneState, Alert> {
  const config = zoneConfig(env);
  return {
    service: "readings",
    decode: (text, ref) => decodeReading(text, ref.arrivalMs),
    app: zoneApp(config.rules),
    codec: zoneCodec,
    keyAttribute: ZONE_KEY,
    message: zoneAlerts.message,
    table: config.zoneTable,
    topicArn: config.alertTopicArn,
    rejectedQueueUrl: config.rejectedQueueUrl,
  };
}
