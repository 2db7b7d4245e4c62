import fc from "fast-check";
import { keyedTesting } from "../manifest.js";
import { records, timed } from "../testing.js";
import { ZONE_KEY, zoneAlerts, zoneApp, zoneCodec } from "./app.js";
import type { Reading } from "./reading.js";
import { DEFAULT_RULES } from "./rules.js";

/** Readings over two zones and two devices, from 60 to 96 °F (cold, fall-fast and every other rule's range). */
export const zoneTesting = keyedTesting({
  app: zoneApp({ ...DEFAULT_RULES, rateOfFall: { ...DEFAULT_RULES.rateOfFall, enabled: true } }),
  message: zoneAlerts.message,
  codec: zoneCodec,
  keyAttribute: ZONE_KEY,
  events: records(
    fc.record({
      zone: fc.constantFrom("z1", "z2"),
      device: fc.constantFrom("d1", "d2"),
      step: fc.integer({ min: 0, max: 90_000 }),
      f: fc.integer({ min: 4000, max: 9600 }),
    }),
  ).map((raw) => timed(raw, (r, at): Reading => ({ deviceId: r.device, zoneId: r.zone, centi: r.f, at }))),
});
