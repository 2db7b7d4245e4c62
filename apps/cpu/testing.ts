import fc from "fast-check";
import { keyedTesting } from "../manifest.js";
import { records, timed } from "../testing.js";
import { CPU_THRESHOLD_DEFAULT, cpuAlerts, cpuApp, SERVER_KEY, serverCodec } from "./app.js";
import type { CpuReading } from "./reading.js";

/** Readings over three servers, 0–100 %, with 90.00 and 90.01 (either side of the threshold) common. */
export const cpuTesting = keyedTesting({
  app: cpuApp(CPU_THRESHOLD_DEFAULT),
  message: cpuAlerts.message,
  codec: serverCodec,
  keyAttribute: SERVER_KEY,
  events: records(
    fc.record({
      server: fc.constantFrom("web-0", "web-1", "db-0"),
      step: fc.integer({ min: 0, max: 20_000 }),
      centi: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(9000, 9001)),
    }),
  ).map((raw) => timed(raw, (r, at): CpuReading => ({ serverId: r.server, centi: r.centi, at }))),
});
