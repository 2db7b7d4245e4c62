import { scanAll } from "../../shared/dynamo.js";
import type { AppReadContext } from "../manifest.js";
import { textTable } from "../text-table.js";
import { ZONE_KEY, zoneCodec } from "./app.js";

export interface ZoneStatus {
  readonly zone: string;
  readonly alarms: readonly string[];
  readonly readingsHeld: number;
  readonly lastTemperatureF: number | null;
  readonly lastReadingAt: string | null;
  readonly readingsIgnored: number;
}

/** Each zone's current alarms, the readings it holds, its last reading and the readings ignored. */
export async function zoneStatus({ documents, outputs }: AppReadContext): Promise<{ text: string; json: unknown }> {
  const zones: ZoneStatus[] = (await scanAll(documents, outputs.ZoneTableName ?? "")).map((item) => {
    const state = zoneCodec.decode(item);
    const last = state.at.length - 1;
    return {
      zone: String(item[ZONE_KEY]),
      alarms: state.alarms,
      readingsHeld: state.at.length,
      lastTemperatureF: last >= 0 ? (state.centi[last] as number) / 100 : null,
      lastReadingAt: last >= 0 ? new Date(state.at[last] as number).toISOString() : null,
      readingsIgnored: state.ignored,
    };
  });
  zones.sort((a, b) => a.zone.localeCompare(b.zone));
  const text =
    zones.length === 0
      ? "no zone has readings yet"
      : textTable(
          ["zone", "alarms", "held", "last reading", "at", "ignored"],
          zones.map((z) => [
            z.zone,
            z.alarms.join(", ") || "-",
            String(z.readingsHeld),
            z.lastTemperatureF === null ? "-" : `${z.lastTemperatureF} °F`,
            z.lastReadingAt ?? "-",
            String(z.readingsIgnored),
          ]),
        );
  return { text, json: zones };
}
