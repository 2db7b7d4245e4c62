import { csvFields, identifier, jsonObject, looksLikeJson } from "../../shared/csv.js";
import { DecodeError } from "../../shared/errors.js";
import { readingTime } from "../../shared/time.js";

/** One CPU reading; the percentage in hundredths, an integer, so 90.00 and 90.01 compare exactly. */
export interface CpuReading {
  readonly serverId: string;
  readonly centi: number;
  /** Epoch milliseconds: the reading's timestamp, or the record's arrival time. */
  readonly at: number;
}

/** `server_id, cpu_percent[, timestamp]` or `{"serverId","cpuPercent","timestamp"}`. */
export function decodeCpu(line: string, arrivalMs: number): CpuReading {
  const json = looksLikeJson(line) ? jsonObject(line) : undefined;
  const fields = json ? [json.serverId, json.cpuPercent, json.timestamp] : csvFields(line);
  if (!json && fields.length !== 2 && fields.length !== 3) {
    throw new DecodeError(
      `CPU reading needs 2 or 3 fields (server_id, cpu_percent[, timestamp]), got ${fields.length}`,
    );
  }
  const [server, percent, time] = fields;
  const value = typeof percent === "string" && percent.trim() !== "" ? Number(percent) : percent;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new DecodeError(`cpu_percent "${String(percent).slice(0, 40)}" must be a number from 0 to 100`);
  }
  return { serverId: identifier(server, "serverId"), centi: Math.round(value * 100), at: readingTime(time, arrivalMs) };
}
