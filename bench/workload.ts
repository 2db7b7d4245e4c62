// The benchmark's inputs, made deterministically: readings from ten zones, and conversions from a
// customer base with a loyalty list, shaped like the demo data but larger.
import { seededRandom } from "../shared/random.js";

const T0 = Date.UTC(2026, 10, 20, 9);

/** `count` readings, two devices in each of ten zones, every 5 s, drifting gently, with spikes. */
export function readingLines(count: number, zones = 10): string[] {
  const next = seededRandom(1);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const zone = i % zones;
    const device = Math.floor(i / zones) % 2;
    const at = T0 + Math.floor(i / (zones * 2)) * 5000;
    // Now and then a spike, so that alarms (and their OKs) are part of the measured work.
    const spike = i % 499 === 0 ? 25 : 0;
    const temperature = (68 + zone * 0.5 + spike + (next() - 0.5) * 2).toFixed(1);
    lines.push(`zone-${zone}-dev${device + 1}, zone-${zone}, ${temperature}, ${new Date(at).toISOString()}`);
  }
  return lines;
}

export interface ConversionWorkload {
  readonly loyalty: string[];
  readonly conversions: string[];
}

/** `count` conversions for two campaigns from 2,000 customers, a third of them on the loyalty list. */
export function conversionWorkload(count: number, customers = 2000): ConversionWorkload {
  const next = seededRandom(2);
  const email = (i: number) => `customer${i}@example.com`;
  const loyalty = Array.from({ length: Math.floor(customers / 3) }, (_, i) => `${email(i * 3)}, fb${i}, insta${i}, F`);
  const conversions: string[] = [];
  for (let i = 0; i < count; i++) {
    const who = email(Math.floor(next() * customers));
    const campaign = next() < 0.5 ? "MarsupialHoodie" : "KoalaMug";
    const roll = next();
    if (roll < 0.45)
      conversions.push(`${campaign}, ClickConversion, ${who}, ${next() < 0.5 ? "Instagram" : "Facebook"}`);
    else if (roll < 0.8) conversions.push(`${campaign}, BasketConversion, ${who}, [${1 + Math.floor(next() * 20)}]`);
    else conversions.push(`${campaign}, PurchaseConversion, ${who}, [3;7], ${(5 + next() * 80).toFixed(2)}`);
  }
  return { loyalty, conversions };
}
