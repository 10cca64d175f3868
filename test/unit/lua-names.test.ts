// The names of the scripts and their libraries carry a hash of the text they run (see
// scripts/gen-lua.mjs), so that two versions of this library on one Redis never call each other's
// code: a library is loaded once and never replaced ("already exists" must mean "the same code").
// generated.ts builds both forms at load time; this checks them against the names.
import { createHash } from "node:crypto";
import { luaScripts } from "../../src/lua/generated.js";

const sha = (text: string) => createHash("sha1").update(text).digest("hex").slice(0, 10);

describe("Lua script and library names", () => {
  const scripts = Object.entries(luaScripts);

  it("name each EVAL script by a hash of its text", () => {
    for (const [id, script] of scripts) expect(script.command, id).toBe(`${script.command.slice(0, -10)}${sha(script.lua)}`);
  });

  it("name each library, and its one function, by a hash of its text without the name", () => {
    for (const [id, script] of scripts) {
      expect(script.library.startsWith(`#!lua name=${script.fn}\n`), id).toBe(true);
      expect(script.library.split(script.fn).length - 1, id).toBe(2); // the library's name and the function's
      expect(script.fn, id).toBe(`${script.fn.slice(0, -10)}${sha(script.library.replaceAll(script.fn, ""))}`);
    }
  });

  it("give every library its own name, and run in it what the EVAL script runs: the includes at its top level, the body as the function", () => {
    expect(new Set(scripts.map(([, s]) => s.fn)).size).toBe(scripts.length);
    for (const [id, script] of scripts) {
      const match = /^#!lua name=\w+\n([\s\S]*)\nredis\.register_function\{function_name='\w+', callback=function\(KEYS, ARGV\)\n([\s\S]*)\nend, flags=\{[^}]*\}\}\n$/.exec(script.library);
      expect(match, id).not.toBeNull();
      const [, prelude, body] = match!;
      const shebang = /^#!.*\n/.exec(script.lua)?.[0] ?? "";
      expect(`${shebang}${prelude}\n${body}`, id).toBe(script.lua);
      // An include never reads KEYS or ARGV: they exist only inside the function.
      expect(/\b(KEYS|ARGV)\b/.test(prelude!.replace(/--\[(=*)\[[\s\S]*?\]\1\]/g, "").replace(/--.*$/gm, "")), id).toBe(false);
    }
  });

  it("declare the flags of the EVAL script's shebang on the function, and allow-oom for a reading script", () => {
    for (const [id, script] of scripts) {
      const flags = /flags=\{([^}]*)\}\}\n$/.exec(script.library)![1];
      const shebang = /^#!lua(?: flags=(\S*))?\n/.exec(script.lua);
      const expected = shebang === null ? "'allow-oom'" : (shebang[1] ?? "").split(",").filter(Boolean).map((f) => `'${f}'`).join(", ");
      expect(flags, id).toBe(expected);
    }
  });
});
