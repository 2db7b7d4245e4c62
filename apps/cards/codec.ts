import type { Held } from "./rules.js";

// A card's history packed for DynamoDB: per transaction, its time as unsigned LEB128 varint (the
// first absolute, then the gap since the one before, which is positive: times strictly increase),
// its cents as a varint and its country's two letters. Fifty transactions take about 400 bytes, so
// the card's item stays within one write unit.

const VERSION = 1;

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export function packHistory(held: readonly Held[]): Uint8Array {
  const out: number[] = [VERSION];
  let previous = 0;
  for (const h of held) {
    writeVarint(out, h.at - previous);
    writeVarint(out, h.cents);
    out.push(h.country.charCodeAt(0), h.country.charCodeAt(1));
    previous = h.at;
  }
  return Uint8Array.from(out);
}

export function unpackHistory(bytes: Uint8Array): Held[] {
  if (bytes[0] !== VERSION) throw new Error(`packed card history of unknown version ${bytes[0]}`);
  let pos = 1;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[pos++];
      if (byte === undefined) throw new Error("packed card history is truncated");
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  const held: Held[] = [];
  let at = 0;
  while (pos < bytes.length) {
    at += readVarint();
    const cents = readVarint();
    const country = String.fromCharCode(bytes[pos] ?? 0, bytes[pos + 1] ?? 0);
    pos += 2;
    held.push({ at, cents, country });
  }
  return held;
}
