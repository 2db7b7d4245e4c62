import { csvFields, identifier, jsonObject, looksLikeJson } from "../../shared/csv.js";
import { DecodeError } from "../../shared/errors.js";
import { readingTime } from "../../shared/time.js";

/** One temperature reading. Temperatures are held in hundredths of a degree Fahrenheit, as
 * integers, so that sums, means and thresholds are exact; sensors report to 0.1 °F at best. */
export interface Reading {
  readonly deviceId: string;
  readonly zoneId: string;
  readonly centi: number;
  /** Epoch milliseconds: the reading's own timestamp, or the record's arrival time. */
  readonly at: number;
}

// Outside this a value is a broken sensor or a unit mix-up, not a building's temperature.
const MIN_F = -100;
const MAX_F = 1000;

export function decodeReading(line: string, arrivalMs: number): Reading {
  let device: unknown;
  let zone: unknown;
  let temperature: unknown;
  let timestamp: unknown;
  if (looksLikeJson(line)) {
    const json = jsonObject(line);
    device = json.deviceId;
    zone = json.zoneId;
    temperature = json.temperature;
    timestamp = json.timestamp;
  } else {
    const parts = csvFields(line);
    if (parts.length !== 3 && parts.length !== 4) {
      throw new DecodeError(
        `reading needs 3 or 4 fields (device_id, zone_id, temperature[, timestamp]), got ${parts.length}`,
      );
    }
    [device, zone, temperature, timestamp] = parts;
  }
  return {
    deviceId: identifier(device, "deviceId"),
    zoneId: identifier(zone, "zoneId"),
    centi: centiFahrenheit(temperature),
    at: readingTime(timestamp, arrivalMs),
  };
}

/** Parses a temperature in °F into integer hundredths of a degree. */
export function centiFahrenheit(value: unknown): number {
  let number: number;
  if (typeof value === "number") {
    number = value;
  } else if (typeof value === "string" && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) {
    number = Number(value.trim());
  } else {
    throw new DecodeError(`temperature "${String(value).slice(0, 40)}" is not a number`);
  }
  if (!Number.isFinite(number)) throw new DecodeError(`temperature ${number} is not a finite number`);
  if (number < MIN_F || number > MAX_F) {
    throw new DecodeError(`temperature ${number} °F is outside the plausible range ${MIN_F}–${MAX_F} °F`);
  }
  return Math.round(number * 100) + 0; // + 0 turns -0 into 0
}
