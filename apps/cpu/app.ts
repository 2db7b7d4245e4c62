import { alertContract } from "../../core/alerts.js";
import type { KeyedFunction } from "../../core/handler.js";
import { foldEvents, type KeyedApp } from "../../core/keyed.js";
import type { StateCodec } from "../../core/keyed-store.js";
import { COMMON_ENV } from "../../shared/config.js";
import { numberEnv, requireEnv } from "../../shared/env.js";
import { type CpuReading, decodeCpu } from "./reading.js";

/** A server's state: its last accepted reading's time, whether CPU_HIGH fires, readings ignored. */
export interface ServerState {
  readonly last: number | null;
  readonly alarm: boolean;
  readonly ignored: number;
}

export interface CpuAlert {
  readonly server: string;
  readonly rule: "CPU_HIGH";
  readonly status: "ALARM" | "OK";
  readonly cpuPercent: number;
  readonly threshold: number;
  readonly timestamp: string;
  readonly sequenceNumber: string;
}

/** The server table's partition key. */
export const SERVER_KEY = "server";

const initial = (): ServerState => ({ last: null, alarm: false, ignored: 0 });

/** Server alerts on the alert topic: grouped, deduplicated and filterable by server. */
export const cpuAlerts = alertContract<CpuAlert>("server");

/** CPU_HIGH per server, like an alarm: one ALARM above the threshold, one OK back at or below it. */
export function cpuApp(thresholdPercent: number): KeyedApp<CpuReading, ServerState, CpuAlert> {
  return {
    keyOf: (r) => r.serverId,
    initial,
    apply: foldEvents((state, { event: r, sequenceNumber }) => {
      if (state.last !== null && r.at <= state.last) {
        return { state: { ...state, ignored: state.ignored + 1 }, outputs: [], outcome: "stale" };
      }
      const firing = r.centi > Math.round(thresholdPercent * 100);
      const next = { ...state, last: r.at, alarm: firing };
      if (firing === state.alarm) return { state: next, outputs: [], outcome: "applied" };
      const alert: CpuAlert = {
        server: r.serverId,
        rule: "CPU_HIGH",
        status: firing ? "ALARM" : "OK",
        cpuPercent: r.centi / 100,
        threshold: thresholdPercent,
        timestamp: new Date(r.at).toISOString(),
        sequenceNumber,
      };
      return { state: next, outputs: [alert], outcome: "applied" };
    }),
    metricOf: cpuAlerts.metricOf,
  };
}

/** The server item's attributes are the state itself. */
export const serverCodec: StateCodec<ServerState> = {
  initial,
  encode: (s) => ({ ...s }),
  decode: (i) => ({
    last: (i.last as number | null) ?? null,
    alarm: i.alarm === true,
    ignored: Number(i.ignored ?? 0),
  }),
};

export const CPU_ENV = { serverTable: "SERVER_TABLE", thresholdPercent: "CPU_THRESHOLD_PERCENT" } as const;

export const CPU_THRESHOLD_DEFAULT = 90;

/** The CPU function, configured from its environment. */
export function cpuFunction(env: NodeJS.ProcessEnv = process.env): KeyedFunction<CpuReading, ServerState, CpuAlert> {
  return {
    service: "cpu",
    decode: (text, ref) => decodeCpu(text, ref.arrivalMs),
    app: cpuApp(numberEnv(CPU_ENV.thresholdPercent, CPU_THRESHOLD_DEFAULT, env)),
    codec: serverCodec,
    keyAttribute: SERVER_KEY,
    message: cpuAlerts.message,
    table: requireEnv(CPU_ENV.serverTable, env),
    topicArn: requireEnv(COMMON_ENV.alertTopicArn, env),
    rejectedQueueUrl: requireEnv(COMMON_ENV.rejectedQueueUrl, env),
  };
}
