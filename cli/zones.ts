#!/usr/bin/env node
// Each zone's state, read from the zone table: the packed window made readable.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { ZONE_KEY, zoneCodec } from "../apps/zones/app.js";
import { dynamoDocumentClient } from "../shared/aws.js";
import { parseCommand } from "./args.js";
import { runMain } from "./run-main.js";
import { connect } from "./stack-target.js";

const USAGE = `usage: npm run zones -- [--outputs FILE] [--json]

Each zone's current alarms, the readings it holds (the last 500), its last reading and when, and the
readings ignored as not newer than their device's last.

options:
  --outputs FILE  a cdk deploy --outputs-file file (default: the local stack's, or ./cdk-outputs.json)
  --json          JSON instead of a table (npm run -s zones -- --json | jq …)
  -h, --help      this help`;

export interface ZoneStatus {
  readonly zone: string;
  readonly alarms: readonly string[];
  readonly readingsHeld: number;
  readonly lastTemperatureF: number | null;
  readonly lastReadingAt: string | null;
  readonly readingsIgnored: number;
}

async function main(): Promise<number> {
  const { values } = parseCommand(USAGE, { outputs: { type: "string" }, json: { type: "boolean" } });
  const target = await connect(values.outputs);
  if (!values.json) console.error(`→ ${target.endpoint}`);
  const db = dynamoDocumentClient();
  const zones: ZoneStatus[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: target.outputs.ZoneTableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const state = zoneCodec.decode(item);
      const last = state.at.length - 1;
      zones.push({
        zone: String(item[ZONE_KEY]),
        alarms: state.alarms,
        readingsHeld: state.at.length,
        lastTemperatureF: last >= 0 ? (state.centi[last] as number) / 100 : null,
        lastReadingAt: last >= 0 ? new Date(state.at[last] as number).toISOString() : null,
        readingsIgnored: state.ignored,
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  zones.sort((a, b) => a.zone.localeCompare(b.zone));
  if (values.json) {
    console.log(JSON.stringify(zones, null, 2));
    return 0;
  }
  if (zones.length === 0) {
    console.log("no zone has readings yet");
    return 0;
  }
  const rows = zones.map((z) => [
    z.zone,
    z.alarms.join(", ") || "-",
    String(z.readingsHeld),
    z.lastTemperatureF === null ? "-" : `${z.lastTemperatureF} °F`,
    z.lastReadingAt ?? "-",
    String(z.readingsIgnored),
  ]);
  const header = ["zone", "alarms", "held", "last reading", "at", "ignored"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const row of [header, widths.map((w) => "-".repeat(w)), ...rows]) {
    console.log(row.map((cell, i) => cell.padEnd(widths[i] as number)).join("  "));
  }
  return 0;
}

runMain(main);
