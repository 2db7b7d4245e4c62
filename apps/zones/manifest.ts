import { DynamoKeyedStore } from "../../core/keyed-store.js";
import { compareBySubject, expectedFile } from "../expected.js";
import { defineApp } from "../manifest.js";
import { ZONE_KEY } from "./app.js";
import { parseRules, rulesEnvironment, ZONE_ENV } from "./config.js";
import { DEFAULT_RULES } from "./rules.js";
import { zoneStatus } from "./status.js";

/** Zone temperature alerts: the last 500 readings per zone, six rules, ALARM/OK on the alert topic. */
export const zones = defineApp({
  name: "zones",
  title: "Zone temperature alerts: too hot or cold, outside 3 sd, above the 5-minute average, rising or falling fast",
  streams: [
    {
      name: "readings",
      key: { csvField: 1, jsonField: "zoneId" },
      header: ["deviceid", "device"],
      formats: {
        csv: "device_id, zone_id, temperature[, timestamp]",
        json: '{"deviceId","zoneId","temperature","timestamp"?}',
      },
      tableActions: DynamoKeyedStore.actions,
      outputMetrics: ["AlertsRaised", "AlertsCleared"],
      eventSource: { prod: { batchSize: 500 } },
      demo: { file: "readings.csv" },
    },
  ],
  table: { id: "ZoneTable", key: ZONE_KEY, env: ZONE_ENV.zoneTable },
  alerts: true,
  // -c rules='{"highTemperature":{"thresholdF":92},"rateOfFall":{"enabled":true}}'
  settings: (context) => {
    const given = context("rules");
    return rulesEnvironment(given === undefined ? DEFAULT_RULES : parseRules(given, "-c rules"));
  },
  demo: {
    show: (a) =>
      a.zone === undefined
        ? undefined
        : `${a.status === "ALARM" ? "🔥" : "✅"} ${String(a.status).padEnd(5)} ${String(a.zone).padEnd(12)} ${String(a.rule).padEnd(16)} ${a.temperature} °F  ${a.timestamp}`,
    check: async (sent) =>
      compareBySubject(
        "zones",
        "zone",
        ["zone", "device", "rule", "status", "temperature", "timestamp"],
        expectedFile<{ alerts: Record<string, unknown>[] }>("readings.expected.json").alerts,
        sent,
      ),
  },
  status: zoneStatus,
  testing: async () => (await import("./testing.js")).zoneTesting,
});
