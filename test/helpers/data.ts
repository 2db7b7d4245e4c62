import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { CampaignFigures } from "#apps/campaign/logic.js";
import type { Alert } from "#apps/zones/zone.js";

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../data");

/** The non-blank lines of a demo data file. */
export function dataLines(file: string): string[] {
  return readFileSync(path.join(dataDir, file), "utf8")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
}

export function dataJson<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(dataDir, file), "utf8")) as T;
}

export interface ConversionsExpected {
  promos: [string, string][];
  enrolled: string[];
  stats: Record<string, CampaignFigures>;
}

export interface ExpectedAlert {
  index: number;
  zone: string;
  device: string;
  rule: string;
  status: "ALARM" | "OK";
  temperature: number;
  timestamp: string;
}

/** An alert in the shape of readings.expected.json, given the data line that caused it. */
export function asExpectedAlert(alert: Alert, index: number): ExpectedAlert {
  const { zone, device, rule, status, temperature, timestamp } = alert;
  return { index, zone, device, rule, status, temperature, timestamp };
}
