import { DynamoKeyedStore } from "../../core/keyed-store.js";
import { ConfigError } from "../../shared/errors.js";
import { compareBySubject, expectedFile } from "../expected.js";
import { defineApp } from "../manifest.js";
import { CPU_ENV, CPU_THRESHOLD_DEFAULT, SERVER_KEY } from "./app.js";

/** Server CPU alerts: one CPU_HIGH ALARM above the threshold, one OK back at or below it. */
export const cpu = defineApp({
  name: "cpu",
  title: "Server CPU alerts: CPU_HIGH above 90 % (configurable), ALARM/OK on the alert topic",
  streams: [
    {
      name: "cpu",
      key: { csvField: 0, jsonField: "serverId" },
      header: ["serverid", "server"],
      formats: { csv: "server_id, cpu_percent[, timestamp] (0–100)", json: '{"serverId","cpuPercent","timestamp"?}' },
      tableActions: DynamoKeyedStore.actions,
      outputMetrics: ["AlertsRaised", "AlertsCleared"],
      demo: { file: "cpu.csv" },
    },
  ],
  table: { id: "ServerTable", key: SERVER_KEY, env: CPU_ENV.serverTable },
  alerts: true,
  // -c cpuThresholdPercent=95
  settings: (context) => {
    const given = context("cpuThresholdPercent") ?? CPU_THRESHOLD_DEFAULT;
    const percent = Number(given);
    if (!(Number.isFinite(percent) && percent >= 0 && percent <= 100)) {
      throw new ConfigError(`-c cpuThresholdPercent: must be a number from 0 to 100, got "${given}"`);
    }
    return { [CPU_ENV.thresholdPercent]: String(percent) };
  },
  demo: {
    show: (a) =>
      a.server === undefined
        ? undefined
        : `${a.status === "ALARM" ? "🔥" : "✅"} ${String(a.status).padEnd(5)} ${String(a.server).padEnd(12)} ${String(a.rule).padEnd(16)} ${a.cpuPercent} %  ${a.timestamp}`,
    check: async (sent) =>
      compareBySubject(
        "cpu",
        "server",
        ["server", "rule", "status", "cpuPercent", "timestamp"],
        expectedFile<{ alerts: Record<string, unknown>[] }>("cpu.expected.json").alerts,
        sent,
      ),
  },
  testing: async () => (await import("./testing.js")).cpuTesting,
});
