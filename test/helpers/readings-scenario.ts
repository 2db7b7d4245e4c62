import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { expect, test } from "vitest";
import { decodeReading } from "#apps/zones/reading.js";
import type { Alert } from "#apps/zones/zone.js";
import { projectRoot } from "../../local/stack.js";
import { asExpectedAlert, dataJson, dataLines, type ExpectedAlert } from "./data.js";
import { drainQueue } from "./emulators.js";
import { putLines } from "./stack.js";
import { deployedOutputs, type TargetFile } from "./target.js";

const ZONES = ["atrium", "kitchen", "lobby", "office-3", "server-room"];

/**
 * The demo readings' expected alerts, and how to put received alerts in their shape and order:
 * each zone's alerts arrive in order (one FIFO group a zone); zones interleave freely.
 */
export function demoAlerts() {
  const lines = dataLines("readings.csv");
  const expected = dataJson<{ alerts: ExpectedAlert[] }>("readings.expected.json").alerts;
  // Which data line caused an alert: its device and time, looked up once per line, not per alert.
  const lineOf = new Map<string, number>();
  lines.forEach((line, index) => {
    const r = decodeReading(line, 0);
    const key = `${r.deviceId}|${new Date(r.at).toISOString()}`;
    if (!lineOf.has(key)) lineOf.set(key, index);
  });
  const asExpected = (a: Alert) => asExpectedAlert(a, lineOf.get(`${a.device}|${a.timestamp}`) ?? -1);
  const byZoneThenOrder = (alerts: ExpectedAlert[]) => ZONES.flatMap((zone) => alerts.filter((a) => a.zone === zone));
  return { expected, asExpected, byZoneThenOrder };
}

/**
 * The demo readings end to end through the local stack: every ALARM/OK received through the
 * alert topic's SQS subscription, against readings.expected.json; then the whole file put again
 * (a producer retrying everything): no new alert, windows unchanged. On the file's target, which
 * may serve the campaign scenario too: each has its own streams, tables and queues.
 */
export function readingsScenario(file: TargetFile): void {
  const { ledger } = file;

  const lines = dataLines("readings.csv");
  const { expected, asExpected, byZoneThenOrder } = demoAlerts();

  const windows = async () => {
    const db = file.target.clients.documents;
    const items = await Promise.all(
      ZONES.map((zone) => db.send(new GetCommand({ TableName: file.target.outputs.ZoneTableName, Key: { zone } }))),
    );
    return items.map((out) => ({
      w: Buffer.from(out.Item?.w as Uint8Array).toString("base64"),
      ignored: out.Item?.ignored,
    }));
  };

  test("the ALARM/OK messages equal readings.expected.json, none missing, none extra", async () => {
    await putLines(file.target.clients.kinesis, file.target.outputs.ReadingsStreamName, "readings", lines);
    await file.target.settled(300_000);
    const messages = await drainQueue(file.target.clients.sqs, file.target.outputs.AlertQueueUrl);
    const alerts = messages.map((m) => JSON.parse(m.Body ?? "") as Alert);
    expect(byZoneThenOrder(alerts.map(asExpected))).toEqual(byZoneThenOrder(expected));
    for (const a of alerts) {
      expect(a.sequenceNumber).toMatch(/^\d{20,}$/);
      expect(a.details).toBeTypeOf("object");
    }
    expect(await drainQueue(file.target.clients.sqs, file.target.outputs.RejectedQueueUrl, 200)).toEqual([]);
    expect(await drainQueue(file.target.clients.sqs, file.target.outputs.ReadingsFailureQueueUrl, 200)).toEqual([]);
    if (file.target.local) {
      // The books, as the local event-source runner saw the function finish each record.
      const books = ledger.account(file.target.outputs.ReadingsStreamName, []);
      console.log("readings accounted:", JSON.stringify(books));
      expect(books).toEqual({ processed: lines.length, rejected: 0, failureDestination: 0, total: lines.length });
    }
  });

  test("npm run zones shows each zone's window: 500 held, the last reading and its time", async () => {
    // The outputs file of the stack under test: the local one, or the deployed one the tests were given.
    const outputsFile = file.target.local?.outputsFile ?? String(deployedOutputs);
    // Asynchronously: this process serves the local stack's endpoint the command talks to.
    const { stdout: out } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "cli/status.ts", "zones", "--json", "--outputs", outputsFile],
      { cwd: projectRoot, encoding: "utf8" },
    );
    const zones = JSON.parse(out) as {
      zone: string;
      readingsHeld: number;
      lastReadingAt: string;
      readingsIgnored: number;
    }[];
    expect(zones.map((z) => z.zone)).toEqual(ZONES);
    const lastAt = new Map(
      lines.map((line) => decodeReading(line, 0)).map((r) => [r.zoneId, new Date(r.at).toISOString()]),
    );
    for (const z of zones) {
      expect(z.readingsHeld).toBe(500);
      expect(z.lastReadingAt).toBe(lastAt.get(z.zone));
      expect(z.readingsIgnored).toBe(0);
    }
  });

  test("the whole file put again changes no window and raises no alert", async () => {
    const before = await windows();
    await putLines(file.target.clients.kinesis, file.target.outputs.ReadingsStreamName, "readings", lines);
    await file.target.settled(300_000);
    expect(await drainQueue(file.target.clients.sqs, file.target.outputs.AlertQueueUrl)).toEqual([]);
    const after = await windows();
    expect(after.map((z) => z.w)).toEqual(before.map((z) => z.w));
    // Every reading came again and was ignored as not newer than its device's last.
    expect(after.reduce((sum, z) => sum + Number(z.ignored), 0)).toBe(lines.length);
  });
}
