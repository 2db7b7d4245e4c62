import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { StackDeployment } from "../cloudformation/assembly.js";
import type { LocalPage } from "../gateway/gateway.js";
import { type DashboardSources, dashboardData } from "./dashboard.js";

// The dashboard page and what it loads: the HTML (page.html), uPlot (a small, well-kept charting
// library, served from node_modules) and the data, drawn fresh from the local metrics on each request.

const here = path.dirname(fileURLToPath(import.meta.url));
const uplot = path.dirname(createRequire(import.meta.url).resolve("uplot/dist/uPlot.iife.min.js"));

const FILES: Readonly<Record<string, [file: string, contentType: string]>> = {
  "": [path.join(here, "page.html"), "text/html; charset=utf-8"],
  "uplot.js": [path.join(uplot, "uPlot.iife.min.js"), "text/javascript; charset=utf-8"],
  "uplot.css": [path.join(uplot, "uPlot.min.css"), "text/css; charset=utf-8"],
};

export function dashboardPage(stacks: readonly StackDeployment[], sources: DashboardSources): LocalPage {
  return (rest) => {
    const [file] = rest.split("?");
    if (file === "data.json") {
      const dashboard = stacks.flatMap((s) => s.dashboards)[0];
      const data = dashboard
        ? dashboardData(dashboard, sources)
        : {
            name: "(the template has no dashboard)",
            periodSeconds: 0,
            rangeMinutes: 0,
            widgets: [],
            alarms: [],
            functions: sources.functions(),
          };
      return { status: 200, contentType: "application/json", body: JSON.stringify(data) };
    }
    const known = FILES[file ?? ""];
    if (!known) return { status: 404, contentType: "text/plain", body: "not found" };
    return { status: 200, contentType: known[1], body: readFileSync(known[0]) };
  };
}
