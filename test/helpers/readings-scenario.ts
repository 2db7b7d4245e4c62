import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, expect, test } from "vitest";
import { decodeReading } from "#shared/zones/reading.js";
import type { Alert } from "#shared/zones/zone.js";
import type { FaultPlan } from "../../local/fault-proxy.js";
import type { RunnerOptions } from "../../local/runner.js";
import { Ledger } from "./accounting.js";
import { dataJson, dataLines, type ExpectedAlert } from "./data.js";
import { drainQueue } from "./emulators.js";
import { putLines } from "./stack.js";
import { type Target, targetForTests } from "./target.js";

const ZONES = ["atrium", "kitchen", "lobby", "office-3", "server-room"];

/**
 * The demo readings end to end through the local stack: every ALARM/OK received through the
 * alert topic's SQS subscription, against readings.expected.json; then the whole file put again
 * (a producer retrying everything): no new alert, windows unchanged.
 */
export function readingsScenario(
  runner: Partial<Omit<RunnerOptions, "kinesis" | "sqs">> = {},
  faults?: FaultPlan,
): void {
  let stack: Target;
  const ledger = new Ledger();
  beforeAll(async () => {
    stack = await targetForTests(
      { ...runner, onInvoke: ledger.onInvoke, onFailureDestination: ledger.onFailureDestination },
      faults,
    );
  });
  afterAll(async () => {
    for (const proxy of stack?.local?.proxies ?? [])
      console.log(`faults injected at ${proxy.url}:`, JSON.stringify(proxy.stats));
    await stack?.stop();
  });

  const lines = dataLines("readings.csv");
  const expected = dataJson<{ alerts: ExpectedAlert[] }>("readings.expected.json").alerts;
  const asExpected = (a: Alert) => {
    const index = lines.findIndex((line) => {
      const r = decodeReading(line, 0);
      return r.deviceId === a.device && new Date(r.at).toISOString() === a.timestamp;
    });
    return {
      index,
      zone: a.zone,
      device: a.device,
      rule: a.rule,
      status: a.status,
      temperature: a.temperature,
      timestamp: a.timestamp,
    };
  };
  // Each zone's alerts arrive in order (one FIFO group a zone); zones interleave freely.
  const byZoneThenOrder = (alerts: ExpectedAlert[]) => ZONES.flatMap((zone) => alerts.filter((a) => a.zone === zone));

  const windows = async () => {
    const db = stack.clients.documents;
    const items = await Promise.all(
      ZONES.map((zone) => db.send(new GetCommand({ TableName: stack.outputs.ZoneTableName, Key: { zone } }))),
    );
    return items.map((out) => ({
      w: Buffer.from(out.Item?.w as Uint8Array).toString("base64"),
      ignored: out.Item?.ignored,
    }));
  };

  test("the ALARM/OK messages equal readings.expected.json, none missing, none extra", async () => {
    await putLines(stack.clients.kinesis, stack.outputs.ReadingsStreamName, "readings", lines);
    await stack.settled(300_000);
    const messages = await drainQueue(stack.clients.sqs, stack.outputs.AlertQueueUrl);
    const alerts = messages.map((m) => JSON.parse(m.Body ?? "") as Alert);
    expect(byZoneThenOrder(alerts.map(asExpected))).toEqual(byZoneThenOrder(expected));
    for (const a of alerts) {
      expect(a.sequenceNumber).toMatch(/^\d{20,}$/);
      expect(a.details).toBeTypeOf("object");
    }
    expect(await drainQueue(stack.clients.sqs, stack.outputs.RejectedQueueUrl, 200)).toEqual([]);
    expect(await drainQueue(stack.clients.sqs, stack.outputs.ReadingsFailureQueueUrl, 200)).toEqual([]);
    if (stack.local) {
      // The books, as the local event-source runner saw the function finish each record.
      const books = ledger.account("tripwire-readings", []);
      console.log("readings accounted:", JSON.stringify(books));
      expect(books).toEqual({ processed: lines.length, rejected: 0, failureDestination: 0, total: lines.length });
    }
  });

  test("the whole file put again changes no window and raises no alert", async () => {
    const before = await windows();
    await putLines(stack.clients.kinesis, stack.outputs.ReadingsStreamName, "readings", lines);
    await stack.settled(300_000);
    expect(await drainQueue(stack.clients.sqs, stack.outputs.AlertQueueUrl)).toEqual([]);
    const after = await windows();
    expect(after.map((z) => z.w)).toEqual(before.map((z) => z.w));
    // Every reading came again and was ignored as not newer than its device's last.
    expect(after.reduce((sum, z) => sum + Number(z.ignored), 0)).toBe(lines.length);
  });
}
