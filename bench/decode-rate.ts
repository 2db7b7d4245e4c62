// Decode + decide on one core, no I/O: the pure work of a batch. `npm run bench` bundles this file
// as CDK bundles the functions (esbuild, minified ESM) and runs the bundle on the runtime's Node,
// as Lambda runs the deployed code; run as a script, it prints the rate of the app it is given.
import { couponCoder } from "../apps/campaign/coupon.js";
import { decodeConversion, decodeLoyalty } from "../apps/campaign/decode.js";
import { decideConversionsOn, snapshotLoaded } from "../apps/campaign/logic.js";
import { decodeReading } from "../apps/zones/reading.js";
import { DEFAULT_RULES } from "../apps/zones/rules.js";
import { applyReadings, emptyZone, type ZoneReading, type ZoneState } from "../apps/zones/zone.js";
import { conversionWorkload, readingLines } from "./workload.js";

export type CpuApp = "readings" | "conversions";

/** Records decoded and decided per second, in batches of 100: the median of five rounds after warm-up. */
export function cpuRate(app: CpuApp): number {
  const lines = app === "readings" ? readingLines(20_000) : conversionWorkload(20_000).conversions;
  const members = new Map(conversionWorkload(0).loyalty.map((l) => [decodeLoyalty(l).email, { listed: true }]));
  // The loyalty list as loaded, once: a function's load reads only its batch's keys, and turning a
  // whole snapshot into facts every batch would measure this harness, not the function.
  const codeOf = couponCoder("bench-secret-not-a-real-one");
  const loaded = snapshotLoaded({ members, coupons: new Map(), claims: new Map(), watermarks: new Map() }, codeOf);
  const run = () => {
    for (let start = 0; start < lines.length; start += 100) {
      const batch = lines.slice(start, start + 100);
      if (app === "readings") {
        const byZone = new Map<string, ZoneReading[]>();
        batch.forEach((line, i) => {
          const reading = decodeReading(line, 0);
          const list = byZone.get(reading.zoneId) ?? [];
          list.push({ event: reading, shardId: "s", sequenceNumber: String(start + i + 1) });
          byZone.set(reading.zoneId, list);
        });
        for (const [zone, readings] of byZone)
          zones.set(zone, applyReadings(zones.get(zone) ?? emptyZone(), readings, DEFAULT_RULES).state);
      } else {
        decideConversionsOn(
          batch.map((line, i) => ({
            event: decodeConversion(line, 0),
            sequenceNumber: String(start + i + 1),
            shardId: "s",
          })),
          loaded,
          codeOf,
        );
      }
    }
  };
  const zones = new Map<string, ZoneState>();
  // A second of warm-up for the JIT, then the median of five timed rounds: this box is shared
  // and two-core, and a median shrugs off a round that another process got in the way of.
  const rate = (ms: number) => {
    let records = 0;
    const started = performance.now();
    while (performance.now() - started < ms) {
      zones.clear();
      run();
      records += lines.length;
    }
    return records / ((performance.now() - started) / 1000);
  };
  rate(1000);
  const rounds = Array.from({ length: 5 }, () => rate(600)).sort((a, b) => a - b);
  return rounds[2] as number;
}

const app = process.argv[2];
if (app === "readings" || app === "conversions") console.log(JSON.stringify({ app, rate: cpuRate(app) }));
