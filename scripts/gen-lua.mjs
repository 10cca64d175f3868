#!/usr/bin/env node
// Turns src/lua/<name>-<numberOfKeys>.lua into src/lua/generated.ts so that the Lua sources ship
// inside the JavaScript (no file reads at run time, bundlers and CommonJS included).
//
// A script is a header comment, its `--- @include "file"` lines (src/lua/includes/<file>.lua,
// each once per script, includes of includes first), then its body, which reads KEYS and ARGV.
// Each script ships in two forms, built from the same text:
// - a Redis Functions library (FUNCTION LOAD, called with FCALL): the includes are its top level,
//   run once when the library loads, and the body is the registered function's callback, with KEYS
//   and ARGV as its parameters. Redis runs an EVAL script's whole text at every call, so an EVAL
//   defines every local function of its includes again each time (4 to 9 µs of a call's server
//   time, see README "Performance"); a library defines them once.
// - an EVAL script (shebang, includes, body), the fallback where FUNCTION is refused (src/scripts/functions.ts).
// An include therefore never reads the globals KEYS and ARGV (they do not exist at a library's
// top level): a function of an include takes what it needs as parameters. This generator refuses
// an include that names them, and any code before or between the include lines.
//
// Names carry a hash of the text they run: two versions of this library on one Redis (or one ioredis
// connection) never call each other's code. test/unit/lua-names.test.ts checks the hashes.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const luaDir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "lua");
const out = join(luaDir, "generated.ts");
const INCLUDE = /^--- @include "([\w-]+)"\s*$/;

/** Lua source without its comments (long ones first), for the checks below. */
function code(source) {
  return source.replace(/--\[(=*)\[[\s\S]*?\]\1\]/g, "").replace(/--.*$/gm, "");
}

function expandInclude(name, seen) {
  if (seen.has(name)) return "";
  seen.add(name);
  const source = readFileSync(join(luaDir, "includes", `${name}.lua`), "utf8");
  if (/\b(KEYS|ARGV)\b/.test(code(source))) throw new Error(`includes/${name}.lua reads KEYS or ARGV: pass them in as parameters`);
  return source.replace(new RegExp(INCLUDE.source, "gm"), (_, inner) => expandInclude(inner, seen));
}

/** A script file as { shebang, flags, prelude (its includes, expanded), body }. */
function parse(file, text) {
  const lines = text.split("\n");
  let shebang = "";
  if (lines[0].startsWith("#!")) shebang = lines.shift();
  const flags = /^#!lua(?: flags=([\w,-]*))?$/.exec(shebang || "#!lua");
  if (!flags) throw new Error(`${file}: unknown shebang ${shebang}`);
  const last = lines.findLastIndex((line) => INCLUDE.test(line));
  const head = lines.slice(0, last + 1);
  if (code(head.filter((line) => !INCLUDE.test(line)).join("\n")).trim() !== "") throw new Error(`${file}: code before or between its @include lines`);
  const seen = new Set();
  const prelude = head.map((line) => (INCLUDE.test(line) ? expandInclude(INCLUDE.exec(line)[1], seen) : line)).join("\n");
  return { shebang, flags: shebang ? (flags[1] ?? "").split(",").filter(Boolean) : null, prelude, body: lines.slice(last + 1).join("\n") };
}

/**
 * A function's flags: those of the script's shebang. A script without one (a reading script)
 * gets `allow-oom`: as an EVAL without flags, it runs when memory is full (its only write, a TTL
 * refreshed on read, adds no data).
 */
function functionFlags(flags) {
  return flags ?? ["allow-oom"];
}

const sha = (text) => createHash("sha1").update(text).digest("hex").slice(0, 10);

// The two forms of a script, from its parts. generated.ts builds them at load time with the same
// code (ASSEMBLE below), so that the package carries each script's text once; the hashes in the
// names are taken here, and test/unit/lua-names.test.ts checks them against what generated.ts builds.
const ASSEMBLE = `function assemble(fn: string, shebang: string, flags: string, prelude: string, body: string): { lua: string; library: string } {
  return {
    lua: \`\${shebang}\${prelude}\\n\${body}\`,
    library: \`#!lua name=\${fn}\\n\${prelude}\\nredis.register_function{function_name='\${fn}', callback=function(KEYS, ARGV)\\n\${body}\\nend, flags={\${flags}}}\\n\`,
  };
}`;
const assemble = new Function(`return ${ASSEMBLE.replace(/: string/g, "").replace(/: \{ lua; library \}/, "")}`)();

const entries = [];
for (const file of readdirSync(luaDir).sort()) {
  const match = /^([a-z][a-z-]*)-(\d+)\.lua$/.exec(file);
  if (!match) continue;
  const [, name, keys] = match;
  const parts = parse(file, readFileSync(join(luaDir, file), "utf8"));
  const shebang = parts.shebang ? `${parts.shebang}\n` : "";
  const flags = functionFlags(parts.flags).map((f) => `'${f}'`).join(", ");
  const snake = name.replace(/-/g, "_");
  const command = `lgtree_${snake}_${sha(assemble("", shebang, flags, parts.prelude, parts.body).lua)}`;
  // A library's name is in its text: the hash is taken over the text with an empty name.
  const fn = `lgtree_${snake}_${sha(assemble("", shebang, flags, parts.prelude, parts.body).library)}`;
  const id = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  const args = [fn, shebang, flags, parts.prelude, parts.body].map((a) => JSON.stringify(a)).join(", ");
  entries.push(`  ${id}: { command: ${JSON.stringify(command)}, fn: ${JSON.stringify(fn)}, numberOfKeys: ${keys}, ...assemble(${args}) },`);
}

const text = `// Generated by scripts/gen-lua.mjs from src/lua/*.lua. Do not edit; edit the .lua files.
/* eslint-disable */
${ASSEMBLE}

export const luaScripts = {
${entries.join("\n")}
} as const;
`;
if (!existsSync(out) || readFileSync(out, "utf8") !== text) writeFileSync(out, text);
