// The zone window packed for DynamoDB, which bills writes per started KB: each reading as the
// zigzag-varint difference of its time (ms) and temperature (hundredths of °F) from the one
// before. At a reading every few seconds that is 3–4 bytes a reading: 500 fit in about 2 KB.

export interface PackedWindow {
  readonly at: number[];
  readonly centi: number[];
}

export function packWindow(at: readonly number[], centi: readonly number[]): Uint8Array {
  const bytes: number[] = [];
  let prevAt = 0;
  let prevCenti = 0;
  for (let i = 0; i < at.length; i++) {
    const t = at[i] as number;
    const c = centi[i] as number;
    writeVarint(bytes, zigzag(t - prevAt));
    writeVarint(bytes, zigzag(c - prevCenti));
    prevAt = t;
    prevCenti = c;
  }
  return Uint8Array.from(bytes);
}

export function unpackWindow(bytes: Uint8Array): PackedWindow {
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

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}
