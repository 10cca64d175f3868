/**
 * Byte layouts of the values this library stores. Everything the saver keeps goes through its
 * serde first; these helpers only frame the serde output (type + bytes) and a few plain strings
 * into one Redis value, binary-safe, with no second encoding pass.
 */

/** Frames parts as `[u32 length][bytes]...`; the inverse is {@link unpackParts}. */
export function packParts(parts: ReadonlyArray<string | Uint8Array>): Buffer {
  // Strings are written in place (no Buffer of their own): every value a put stores comes here.
  let size = 0;
  for (const p of parts) size += 4 + (typeof p === "string" ? Buffer.byteLength(p, "utf8") : p.byteLength);
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const p of parts) {
    if (typeof p === "string") {
      const length = out.write(p, offset + 4, "utf8");
      out.writeUInt32BE(length, offset);
      offset += 4 + length;
    } else {
      out.writeUInt32BE(p.byteLength, offset);
      out.set(p, offset + 4);
      offset += 4 + p.byteLength;
    }
  }
  return out;
}

/** Splits a value framed by {@link packParts}. Throws on a truncated or foreign value. */
export function unpackParts(value: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < value.byteLength) {
    if (offset + 4 > value.byteLength) throw new Error("truncated value");
    const length = value.readUInt32BE(offset);
    offset += 4;
    if (offset + length > value.byteLength) throw new Error("truncated value");
    parts.push(value.subarray(offset, offset + length));
    offset += length;
  }
  return parts;
}

/**
 * JSON with object keys sorted, so that equal values always give equal strings: metadata filters
 * compare these strings inside Redis. `undefined` for "no value" (functions, symbols, undefined).
 */
export function canonicalJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => compareAsc(a, b)));
    }
    return v;
  });
}

/** The own enumerable property names of an object (channel names of a values or versions map). */
export function namesOf(value: object): string[] {
  return Object.entries(value).map(([name]) => name);
}

/** A plain object (not null, not an array): what JSON documents and message fields are read as. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Strings by UTF-16 code unit, not by locale: deterministic everywhere, and for the ASCII of ids
 * the byte order Redis sorts by. uuid6 checkpoint ids sort in time order this way.
 */
export function compareAsc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The reverse of {@link compareAsc}: checkpoint ids newest first. */
export function compareDesc(a: string, b: string): number {
  return compareAsc(b, a);
}
