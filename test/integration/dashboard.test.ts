import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { LocalStack } from "../../local/stack.js";
import { chromiumPath } from "../helpers/browser.js";
import { dataLines } from "../helpers/data.js";
import { localStackForTests, putLines } from "../helpers/stack.js";

// The template's dashboard as the local page draws it, in a real (headless) browser, after records
// have flowed: a graph with data points, the alarms and the functions listed, no console errors. The
// screenshot is kept in test-results/ for a person to look at.

const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-results");
let stack: LocalStack;
let browser: Browser | undefined;
let browserFound: ReturnType<typeof chromiumPath> = { why: "not looked for yet" };

beforeAll(async () => {
  stack = await localStackForTests();
  const { kinesis } = stack.clients;
  await putLines(kinesis, stack.outputs.CpuStreamName, "cpu", dataLines("cpu.csv").slice(0, 200));
  await putLines(kinesis, stack.outputs.ReadingsStreamName, "readings", dataLines("readings.csv").slice(0, 200));
  await stack.runner?.drained();
  // Found, or installed (apt-get, as root on a fresh CI machine: up to a few minutes).
  browserFound = chromiumPath();
  if ("path" in browserFound) {
    browser = await chromium.launch({ executablePath: browserFound.path, args: ["--no-sandbox"] });
  }
}, 420_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

test("the dashboard page draws graphs with data points, the alarms and the functions, with no console errors", async (context) => {
  if (!browser) {
    console.warn(`SKIPPED the dashboard browser test: ${"why" in browserFound ? browserFound.why : ""}`);
    context.skip();
    return;
  }
  const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  await page.goto(stack.dashboardUrl);
  // The "Records in (per stream)" graph: uPlot has drawn it, with the records put.
  const graph = page.locator('.widget[data-type="graph"]', { hasText: "Records in" });
  await expect
    .poll(async () => Number(await graph.locator("[data-points]").getAttribute("data-points")), { timeout: 15_000 })
    .toBeGreaterThan(0);
  await expect.poll(() => graph.locator("canvas").count()).toBeGreaterThan(0);
  await expect.poll(() => page.locator('.widget[data-type="value"] .value').count()).toBeGreaterThan(0);
  await expect.poll(() => page.locator('.widget[data-type="text"]').textContent()).toContain("rejected-records queue");

  const alarms = await page.locator("#alarms tbody tr").count();
  expect(alarms).toBe(stack.cloudwatch.alarms?.alarms.size);
  const cpu = page.locator("#functions tbody tr", { hasText: "CpuFunction" });
  const invocations = Number(await cpu.locator("td").nth(4).textContent());
  expect(invocations).toBeGreaterThan(0);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png"), fullPage: true });
  expect(problems).toEqual([]);
}, 60_000);
