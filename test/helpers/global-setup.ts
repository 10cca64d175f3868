// Runs once before any test file: makes sure the Lua sources are compiled into src/lua/generated.ts
// (a developer may have edited a .lua file since `npm install`), then finds a Redis to test against.
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { resolveRedis } from "./redis-url.js";

let stop: (() => Promise<void>) | undefined;

export default async function setup(project: TestProject): Promise<void> {
  execFileSync(process.execPath, ["scripts/gen-lua.mjs"], { stdio: "inherit" });
  const found = await resolveRedis();
  stop = found.stop;
  console.log(`[tests] Redis: ${found.description}`);
  project.provide("redisUrl", found.url);
}

export async function teardown(): Promise<void> {
  await stop?.();
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
