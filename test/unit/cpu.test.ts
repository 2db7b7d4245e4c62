import { describe, expect, test } from "vitest";
import { DecodeError } from "#shared/errors.js";
import { cpuApp } from "../../apps/cpu/app.js";
import { decodeCpu } from "../../apps/cpu/reading.js";
import { dataJson, dataLines } from "../helpers/data.js";

describe("CPU readings", () => {
  test("CSV and JSON, with and without a timestamp", () => {
    expect(decodeCpu("web-00, 24.12, 2026-11-20T09:00:00.000Z", 0)).toEqual({
      serverId: "web-00",
      centi: 2412,
      at: Date.UTC(2026, 10, 20, 9),
    });
    expect(decodeCpu('{"serverId":"db-1","cpuPercent":90.01}', 1_795_000_000_000)).toEqual({
      serverId: "db-1",
      centi: 9001,
      at: 1_795_000_000_000,
    });
  });

  test.each([
    ["web-00, 100.5", /must be a number from 0 to 100/],
    ["web-00, -1", /must be a number from 0 to 100/],
    ["web-00, busy", /must be a number from 0 to 100/],
    ["web-00, ", /must be a number from 0 to 100/],
    ["web-00", /needs 2 or 3 fields/],
    ["web-00, 5, 2026-11-20T09:00:00Z, extra", /needs 2 or 3 fields/],
    [", 50", /serverId is missing/],
    ['{"serverId":"a","cpuPercent":"NaN"}', /must be a number from 0 to 100/],
    ["web-00, 50, yesterday", /not ISO-8601/],
  ])("%j is rejected with a reason", (line, reason) => {
    expect(() => decodeCpu(line, 0)).toThrow(DecodeError);
    expect(() => decodeCpu(line, 0)).toThrow(reason);
  });
});

test("the demo CPU data gives exactly the transitions of cpu.expected.json (90.00 does not fire, 90.01 does)", () => {
  const expected = dataJson<{ threshold: number; alerts: Record<string, unknown>[] }>("cpu.expected.json");
  const app = cpuApp(expected.threshold);
  const states = new Map<string, ReturnType<typeof app.initial>>();
  const got: Record<string, unknown>[] = [];
  dataLines("cpu.csv").forEach((line, index) => {
    const reading = decodeCpu(line, 0);
    const step = app.apply(states.get(reading.serverId) ?? app.initial(), [
      { event: reading, shardId: "s", sequenceNumber: String(index + 1) },
    ]);
    states.set(reading.serverId, step.state);
    for (const a of step.outputs) {
      got.push({
        index,
        server: a.server,
        rule: a.rule,
        status: a.status,
        cpuPercent: a.cpuPercent,
        timestamp: a.timestamp,
      });
    }
  });
  expect(got).toEqual(expected.alerts);
  // The producer's retries in the data (the same line twice) were ignored and counted.
  expect([...states.values()].reduce((n, s) => n + s.ignored, 0)).toBeGreaterThan(0);
});
