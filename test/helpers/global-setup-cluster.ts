// Global setup of the "cluster" project: starts a real three-node Redis Cluster on free loopback
// ports for the run, and stops it after.
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { startCluster, type RunningCluster } from "../../scripts/dev/local-cluster.js";
import "./target.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ["scripts/gen-lua.mjs"], { stdio: "inherit" });
  const cluster: RunningCluster = await startCluster(3);
  console.log(`[tests] Redis Cluster: ${cluster.nodes.map((n) => `${n.host}:${n.port}`).join(", ")} (started for this run)`);
  project.provide("redisTarget", { kind: "cluster", nodes: cluster.nodes });
  return () => cluster.stop();
}
