// Key spelling without Redis: the escape that keeps every thread in its own keys, and the layout's
// shapes (test/keys.test.ts checks that the Lua scripts write the same layout).
import fc from "fast-check";
import { KeySpace, blobField, blobFieldPrefix, escapeKeyPart } from "../../src/keys.js";

describe("keys", () => {
  it("escapes injectively, never leaving a brace or a colon", () => {
    const parts = ["", "%", "%25", ":", "%3A", "{", "}", "a:b", "a%3Ab", "{x}", "ü🦜", "a\nb"];
    const escaped = parts.map(escapeKeyPart);
    expect(new Set(escaped).size).toBe(parts.length);
    for (const e of escaped) expect(e).not.toMatch(/[{}:]/);
    expect(escapeKeyPart("a:{b}%")).toBe("a%3A%7Bb%7D%25");
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(escapeKeyPart(a) === escapeKeyPart(b)).toBe(a === b);
      }),
    );
  });

  it("a thread's base is its hash tag; a user's cannot equal any thread's", () => {
    const keys = new KeySpace("p");
    expect(keys.threadBase("t:{1}")).toBe("p:{t%3A%7B1%7D}");
    expect(keys.userBase("u")).toBe("p:{u:u}");
    expect(keys.threadsIndex()).toBe("p:threads");
    fc.assert(
      fc.property(fc.string(), fc.string(), (thread, user) => {
        expect(keys.threadBase(thread)).not.toBe(keys.userBase(user));
      }),
    );
  });

  it("a blob field is the escaped channel, a colon, the version", () => {
    expect(blobField("branch:to:x", 3.25)).toBe("branch%3Ato%3Ax:3.25");
    expect(blobField("messages", "7")).toBe(`${blobFieldPrefix("messages")}7`);
  });
});
