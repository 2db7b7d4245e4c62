import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

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
  stats: Record<
    string,
    {
      clicks: number;
      clicksByChannel: Record<string, number>;
      memberClicks: number;
      basketAdds: number;
      purchases: number;
      revenueCents: number;
      couponsIssued: number;
      membersEnrolled: number;
    }
  >;
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
