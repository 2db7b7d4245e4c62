// An item's size as DynamoDB counts it for capacity and its 400 KB limit: attribute names plus
// values — strings and binary by their bytes, numbers by about one byte per two significant
// digits plus one, maps and lists 3 bytes plus a byte and the size of each element, nulls and
// booleans one byte. An item of at most 1,024 bytes costs one write unit; one byte over costs two.

/** The size of an item as the document client writes it (plain values, Uint8Array for binary). */
export function dynamoItemSize(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + valueSize(v), 0);
}

function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === "boolean") return 1;
  if (typeof value === "string") return Buffer.byteLength(value);
  if (typeof value === "number") return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, "").length / 2) + 1;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === "object")
    return 3 + Object.entries(value).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0);
  return 0;
}
