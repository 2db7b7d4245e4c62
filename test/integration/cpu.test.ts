import { describe, expect, test } from "vitest";
import { dataJson, dataLines } from "../helpers/data.js";
import { drainQueue } from "../helpers/emulators.js";
import { putLines } from "../helpers/stack.js";
import { type Conditions, targetForFile } from "../helpers/target.js";

// The third application end to end, on the deployed stack run locally: the demo CPU data through
// the producer, every CPU_HIGH ALARM/OK received through the alert topic's SQS subscription.

interface Expected {
  threshold: number;
  alerts: { index: number; server: string; rule: string; status: string; cpuPercent: number; timestamp: string }[];
}

describe.each<[string, Conditions]>([
  ["delivered once", {}],
  ["every batch delivered twice", { delivery: { deliverTwice: true } }],
])("server CPU alerts, %s", (_, conditions) => {
  const file = targetForFile(conditions);

  test("the ALARM/OK messages equal cpu.expected.json, with their fields and SNS attributes", async () => {
    const expected = dataJson<Expected>("cpu.expected.json");
    const lines = dataLines("cpu.csv");
    await putLines(file.target.clients.kinesis, file.target.outputs.CpuStreamName, "cpu", lines);
    await file.target.settled();
    const messages = await drainQueue(file.target.clients.sqs, file.target.outputs.AlertQueueUrl);
    const alerts = messages.map((m) => ({ body: JSON.parse(m.Body ?? "") as Record<string, unknown>, m }));
    // One FIFO group a server: each server's transitions in order; servers interleave freely.
    const servers = [...new Set(expected.alerts.map((a) => a.server))];
    const byServer = <T extends { server: unknown }>(list: T[]) =>
      servers.flatMap((s) => list.filter((a) => a.server === s));
    const indexOf = new Map(lines.map((line, i) => [`${line.split(",")[0]?.trim()}|${line.split(",")[2]?.trim()}`, i]));
    const got = alerts.map(({ body }) => ({
      index: indexOf.get(`${body.server}|${body.timestamp}`) ?? -1,
      server: body.server,
      rule: body.rule,
      status: body.status,
      cpuPercent: body.cpuPercent,
      timestamp: body.timestamp,
    }));
    expect(byServer(got)).toEqual(byServer(expected.alerts));
    for (const { body, m } of alerts) {
      expect(body).toMatchObject({ threshold: expected.threshold, sequenceNumber: expect.stringMatching(/^\d{20,}$/) });
      expect(m.MessageAttributes).toMatchObject({
        server: { StringValue: body.server },
        rule: { StringValue: "CPU_HIGH" },
        status: { StringValue: body.status },
      });
    }
    expect(await drainQueue(file.target.clients.sqs, file.target.outputs.CpuFailureQueueUrl, 200)).toEqual([]);
    expect(await drainQueue(file.target.clients.sqs, file.target.outputs.RejectedQueueUrl, 200)).toEqual([]);
  });
});
