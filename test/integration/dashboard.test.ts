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
let startedAt = 0;

beforeAll(async () => {
  startedAt = Date.now();
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

  // Kept for a person to look at (test-results/), whatever follows.
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png"), fullPage: true });

  // A stack a minute or two old is drawn over its lifetime, not over 15 minutes with its points against the right edge.
  const drawn = await page.evaluate(
    async () => (await (await fetch("data.json")).json()) as { from: number; to: number },
  );
  expect(drawn.from).toBeGreaterThanOrEqual(startedAt - 10_000);
  expect(drawn.to - drawn.from).toBeLessThan(10 * 60_000);
  await expect.poll(() => page.locator("#meta").textContent()).toContain("since the stack started at");

  // Every graph's legend fits in its widget: each series' name is on the page, none cut off.
  const legends = await page.$$eval('.widget[data-type="graph"]', (widgets) =>
    widgets.map((w) => {
      const box = w.getBoundingClientRect();
      const series = [...w.querySelectorAll(".u-legend .u-series")]; // (no time row: the legend is not live)
      return {
        title: w.querySelector("h3")?.textContent ?? "",
        series: series.length,
        cut: series.filter((s) => s.getBoundingClientRect().bottom > box.bottom - 2).length,
      };
    }),
  );
  expect(legends.length).toBeGreaterThan(0);
  expect(Math.max(...legends.map((l) => l.series))).toBeGreaterThanOrEqual(5);
  expect(legends.filter((l) => l.cut > 0)).toEqual([]);
  // And the alarm-status widget shows every alarm it names.
  const alarmLines = await page.$$eval('.widget[data-type="alarms"]', (widgets) =>
    widgets.map((w) => {
      const bottom = w.getBoundingClientRect().bottom;
      const lines = [...w.querySelectorAll(":scope > div > div")];
      return { lines: lines.length, cut: lines.filter((l) => l.getBoundingClientRect().bottom > bottom - 2).length };
    }),
  );
  expect(alarmLines.length).toBeGreaterThan(0);
  expect(alarmLines.filter((a) => a.cut > 0)).toEqual([]);

  expect(problems).toEqual([]);
}, 60_000);
