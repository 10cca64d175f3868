// Listing cursors continue the listing they came from, and only that one.
import { InvalidInputError } from "../../src/errors.js";
import { decodeCursor, encodeCursor, type ListingKey } from "../../src/conversations/cursor.js";

const listing: ListingKey = { userId: "u", tags: ["a", "b"], agentId: null, order: "desc", sortBy: "updatedAt", status: null, custom: [] };

describe("cursors", () => {
  it("round-trip the score for the same listing", () => {
    expect(decodeCursor(encodeCursor("1790000000000123", listing), listing)).toBe("1790000000000123");
  });

  it("refuse another listing's cursor and anything that is not a cursor", () => {
    const cursor = encodeCursor("42", listing);
    for (const other of [{ ...listing, userId: "v" }, { ...listing, tags: ["a"] }, { ...listing, agentId: "x" }, { ...listing, order: "asc" as const },
      { ...listing, sortBy: "createdAt" as const },
      { ...listing, status: "idle" },
      { ...listing, custom: ["k:0"] },
    ]) {
      expect(() => decodeCursor(cursor, other)).toThrow(InvalidInputError);
    }
    for (const bad of ["", "garbage", Buffer.from(JSON.stringify({ v: 1, s: "x1", f: "?" })).toString("base64url")]) {
      expect(() => decodeCursor(bad, listing)).toThrow(/unknown cursor/);
    }
  });
});
