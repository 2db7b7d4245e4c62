// The zone window packed for DynamoDB, which bills a write per started KB: 500 readings must leave
// room in one KB for the rest of the item. After Gorilla (Pelkonen et al., VLDB 2015), bit-packed
// and lossless, with two changes for this data: temperatures are integers (hundredths of °F), so
// values are deltas rather than XORed floats, in units of the window's common power of ten (sensors
// report 0.1 °F: a tenth of the bits); and a zone's devices report at the same or at staggered
// instants, so a time delta is coded first as "the same as the last delta" (1 bit) or "the same as
// the one before" (2 bits), then as a delta-of-delta in 12, 24 or 48 bits. About 1.2–1.4 bytes a
// reading on the demo and benchmark data; the decided rules see exactly the readings put.

export interface PackedWindow {
  readonly at: number[];
  readonly centi: number[];
}

const VERSION = 2;

class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;
  /** Writes the low `width` bits of a non-negative integer (up to 53 bits), most significant first. */
  write(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--) {
      const bit = Math.floor(value / 2 ** i) % 2;
      this.current = (this.current << 1) | bit;
      if (++this.used === 8) {
        this.bytes.push(this.current);
        this.current = 0;
        this.used = 0;
      }
    }
  }
  finish(): Uint8Array {
    if (this.used > 0) this.bytes.push(this.current << (8 - this.used));
    return Uint8Array.from(this.bytes);
  }
}

class BitReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  read(width: number): number {
    let value = 0;
    for (let i = 0; i < width; i++) {
      const byte = this.bytes[this.pos >> 3];
      if (byte === undefined) throw new Error("packed zone window is truncated");
      value = value * 2 + ((byte >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return value;
  }
  /** Counts leading 1 bits up to `max` (the prefix of a variable-width code), consuming the 0 after them. */
  prefix(max: number): number {
    let n = 0;
    while (n < max && this.read(1) === 1) n++;
    return n;
  }
}

// Variable-width codes: a prefix of n one-bits (ended by a zero below the widest) picks the width.
const TIME_WIDTHS = [12, 24, 48]; // after the two "repeat a delta" codes
const VALUE_WIDTHS = [0, 4, 8, 16, 32];

function writeCode(w: BitWriter, zig: number, widths: readonly number[], prefixOffset: number): void {
  const i = widths.findIndex((width) => zig < 2 ** width);
  if (i < 0) throw new Error(`value ${zig} is too large for the packed window`);
  const n = prefixOffset + i;
  const widest = prefixOffset + widths.length - 1;
  w.write(2 ** n - 1, n); // n one-bits
  if (n < widest) w.write(0, 1);
  w.write(zig, widths[i] as number);
}

function readCode(r: BitReader, widths: readonly number[], n: number): number {
  return r.read(widths[n] as number);
}

/** The largest of 100, 10 and 1 that divides every value. */
function scaleOf(centi: readonly number[]): number {
  for (const scale of [100, 10]) if (centi.every((c) => c % scale === 0)) return scale;
  return 1;
}

export function packWindow(at: readonly number[], centi: readonly number[]): Uint8Array {
  const w = new BitWriter();
  const scale = scaleOf(centi);
  w.write(VERSION, 8);
  w.write(scale, 8);
  w.write(at.length, 16);
  let prevAt = 0;
  let prevValue = 0;
  let delta = 0;
  let deltaBefore = 0;
  for (let i = 0; i < at.length; i++) {
    const t = at[i] as number;
    const value = (centi[i] as number) / scale;
    if (i === 0) {
      w.write(t, 48); // epoch milliseconds until the year 10889
    } else {
      const d = t - prevAt;
      if (d === delta) w.write(0, 1);
      else if (d === deltaBefore) w.write(0b10, 2);
      else writeCode(w, zigzag(d - delta), TIME_WIDTHS, 2);
      deltaBefore = delta;
      delta = d;
    }
    writeCode(w, zigzag(value - prevValue), VALUE_WIDTHS, 0);
    prevAt = t;
    prevValue = value;
  }
  return w.finish();
}

export function unpackWindow(bytes: Uint8Array): PackedWindow {
  if (bytes[0] !== VERSION) return unpackVarintWindow(bytes);
  const r = new BitReader(bytes);
  r.read(8);
  const scale = r.read(8);
  const count = r.read(16);
  const at: number[] = [];
  const centi: number[] = [];
  let prevAt = 0;
  let prevValue = 0;
  let delta = 0;
  let deltaBefore = 0;
  for (let i = 0; i < count; i++) {
    let t: number;
    if (i === 0) {
      t = r.read(48);
    } else {
      const n = r.prefix(TIME_WIDTHS.length + 1);
      const d = n === 0 ? delta : n === 1 ? deltaBefore : delta + unzigzag(readCode(r, TIME_WIDTHS, n - 2));
      deltaBefore = delta;
      delta = d;
      t = prevAt + d;
    }
    const value = prevValue + unzigzag(readCode(r, VALUE_WIDTHS, r.prefix(VALUE_WIDTHS.length - 1)));
    at.push(t);
    centi.push(value * scale);
    prevAt = t;
    prevValue = value;
  }
  return { at, centi };
}

/** The first packing (zigzag varints of time and value deltas), still read from older items. */
function unpackVarintWindow(bytes: Uint8Array): PackedWindow {
  const at: number[] = [];
  const centi: number[] = [];
  let pos = 0;
  let prevAt = 0;
  let prevCenti = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (pos >= bytes.length) throw new Error("packed zone window is truncated");
      const byte = bytes[pos++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  while (pos < bytes.length) {
    prevAt += unzigzag(read());
    prevCenti += unzigzag(read());
    at.push(prevAt);
    centi.push(prevCenti);
  }
  return { at, centi };
}

// Arithmetic rather than bit operators: times are epoch milliseconds, far beyond 32 bits.
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}
