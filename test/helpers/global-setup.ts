// Global setup of the "redis" project: makes sure the Lua sources are compiled into
// src/lua/generated.ts (a .lua file may have been edited since `npm install`), then finds a Redis
// to test against (REDIS_URL, 127.0.0.1:6379, testcontainers, or a message saying how).
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { resolveRedis } from "../../scripts/dev/find-redis.js";
import "./target.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ["scripts/gen-lua.mjs"], { stdio: "inherit" });
  const found = await resolveRedis();
  console.log(`[tests] Redis: ${found.description}`);
  project.provide("redisTarget", { kind: "single", url: found.url });
  return async () => {
    await found.stop?.();
  };
}
