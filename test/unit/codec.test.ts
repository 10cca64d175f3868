// The byte layouts the library stores, and the canonical JSON that filters compare.
import fc from "fast-check";
import { canonicalJson, namesOf, packParts, unpackParts } from "../../src/codec.js";

describe("codec", () => {
  it("packs and unpacks any parts, binary included", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 }))), (parts) => {
        const back = unpackParts(packParts(parts));
        expect(back.map((b) => Buffer.from(b))).toEqual(parts.map((p) => Buffer.from(typeof p === "string" ? Buffer.from(p, "utf8") : p)));
      }),
    );
  });

  it("refuses a truncated or foreign value", () => {
    const packed = packParts(["json", "[1,2,3]"]);
    expect(() => unpackParts(packed.subarray(0, packed.length - 1))).toThrow(/truncated/);
    expect(() => unpackParts(Buffer.from([0, 0, 1]))).toThrow(/truncated/);
  });

  it("canonical JSON is the same for equal values whatever their key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: "1" }));
    expect(namesOf({ x: 1, y: undefined })).toEqual(["x", "y"]);
  });
});
