import { execFileSync } from "node:child_process";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

// Suites that make sense on one node only: command counts seen through MONITOR, the built
// package, the examples (which target a URL), and the fault, pressure, durability and long-script
// tests (which run a server of their own).
const SINGLE_NODE_ONLY = ["test/round-trips.test.ts", "test/package.test.ts", "test/examples.test.ts", "test/faults.test.ts", "test/pressure.test.ts", "test/durability.test.ts", "test/long-scripts.test.ts"];

function hasRedisServer(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    execFileSync("redis-cli", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// test/unit needs no Redis: codec, keys, replies, trees, documents, cursors, versions, histories.
// Everything else runs against a real Redis: one node, then a real Cluster.
const UNIT = "test/unit/**";
const projects: TestProjectInlineConfiguration[] = [
  { extends: true, test: { name: "unit", include: [`${UNIT}/*.test.ts`] } },
  { extends: true, test: { name: "redis", include: ["test/**/*.test.ts"], exclude: [UNIT], globalSetup: ["test/helpers/global-setup.ts"] } },
];
if (hasRedisServer()) {
  projects.push({
    extends: true,
    test: { name: "cluster", include: ["test/**/*.test.ts"], exclude: [UNIT, ...SINGLE_NODE_ONLY], globalSetup: ["test/helpers/global-setup-cluster.ts"] },
  });
} else if (process.env.CI === "true") {
  throw new Error("CI: redis-server and redis-cli are needed to start the test Redis Cluster, and were not found");
} else {
  console.warn("[tests] redis-server/redis-cli not found: the Redis Cluster suites do not run (install redis-server to run them)");
}

export default defineConfig({
  test: {
    // The official conformance suite calls describe/it/expect as globals.
    globals: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects,
  },
});
