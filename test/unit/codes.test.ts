// The codes scripts report (src/lua/includes/codes.lua) and their TypeScript names are the same
// numbers, and each becomes the error callers branch on.
import { readFileSync } from "node:fs";
import { ScriptCode, codeError, isCode } from "../../src/scripts/codes.js";
import { isChangedError, isConversationExistsError, isNotFoundError, isStorageError } from "../../src/errors.js";

describe("script codes", () => {
  it("codes.lua and ScriptCode name the same numbers", () => {
    const lua = readFileSync(new URL("../../src/lua/includes/codes.lua", import.meta.url), "utf8");
    const declared = Object.fromEntries([...lua.matchAll(/^local (\w+) = (-?\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(declared).toEqual({ ...ScriptCode });
  });

  it("maps each code to its error, a wrong owner to not found", () => {
    const context = { operation: "op", threadId: "t" };
    expect(isNotFoundError(codeError(ScriptCode.NOT_OWNER, context))).toBe(true);
    expect(isConversationExistsError(codeError(ScriptCode.EXISTS, context))).toBe(true);
    expect(isChangedError(codeError(ScriptCode.CHANGED, context))).toBe(true);
    expect(isStorageError(codeError(ScriptCode.RESEND, context))).toBe(true);
    expect(isStorageError(codeError(-99, context))).toBe(true);
    expect([isCode(-1), isCode(0), isCode(12), isCode(null), isCode([])]).toEqual([true, false, false, false, false]);
  });
});
