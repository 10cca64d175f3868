#!/usr/bin/env node
// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with type declarations.
// dist/cjs gets a package.json of its own saying "commonjs", so Node and TypeScript read its
// .js and .d.ts files as CommonJS while the package itself stays "type": "module".
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";

const run = (file, args) => execFileSync(file, args, { stdio: "inherit" });
run(process.execPath, ["scripts/gen-lua.mjs"]);
rmSync("dist", { recursive: true, force: true });
run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"]);
run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.cjs.json"]);
mkdirSync("dist/cjs", { recursive: true });
writeFileSync("dist/cjs/package.json", JSON.stringify({ type: "commonjs" }) + "\n");
// The inspector is a bin of the package (`lgtree`): executable, run by its shebang.
chmodSync("dist/esm/cli/index.js", 0o755);
