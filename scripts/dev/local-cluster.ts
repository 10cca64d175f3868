// Starts a real Redis Cluster on this machine, for the tests and the cluster example: three (or
// `size`) `redis-server --cluster-enabled yes` processes on free loopback ports, joined with
// `redis-cli --cluster create` (optionally with replicas), waited on until every node says
// cluster_state:ok. `pause`/`resume` stall one node (SIGSTOP/SIGCONT); `stop()` kills them all
// and removes their files.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";

const run = promisify(execFile);

export interface RunningCluster {
  nodes: Array<{ host: string; port: number }>;
  /** Stops the node on `port` without killing it (SIGSTOP), as a stalled server does; `resume` continues it. */
  pause: (port: number) => void;
  resume: (port: number) => void;
  stop: () => Promise<void>;
}

export async function hasRedisServer(): Promise<boolean> {
  try {
    await run("redis-server", ["--version"]);
    await run("redis-cli", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Ports p with p and p + 10000 (the cluster bus) free, away from common services. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  let candidate = 21000 + Math.floor(Math.random() * 8000);
  for (let tries = 0; ports.length < count && tries < 2000; tries++, candidate++) {
    if (candidate >= 29990) candidate = 21000;
    if (ports.includes(candidate)) continue;
    if ((await portIsFree(candidate)) && (await portIsFree(candidate + 10000))) ports.push(candidate);
  }
  if (ports.length < count) throw new Error("no free loopback ports for a test cluster");
  return ports;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `replicasPerPrimary` replicas for each primary: `size` is primaries x (1 + replicas). */
export async function startCluster(size = 3, options: { replicasPerPrimary?: number } = {}): Promise<RunningCluster> {
  const replicas = options.replicasPerPrimary ?? 0;
  const dir = mkdtempSync(join(tmpdir(), "lgtree-cluster-"));
  const ports = await freePorts(size);
  const processes: ChildProcess[] = [];
  const stop = async () => {
    for (const p of processes) p.kill("SIGKILL");
    await Promise.all(processes.filter((p) => p.exitCode === null && p.signalCode === null).map((p) => new Promise((r) => p.once("exit", r))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const child = spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000", "--dir", nodeDir, "--save", "", "--appendonly", "no", "--logfile", join(nodeDir, "redis.log")],
        { stdio: "ignore" },
      );
      processes.push(child);
    }
    for (const port of ports) {
      await waitFor(`redis-server on ${port}`, async () => {
        const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on("error", () => {});
        try {
          await c.connect();
          return (await c.ping()) === "PONG";
        } finally {
          c.disconnect();
        }
      });
    }
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", String(replicas), "--cluster-yes"], { timeout: 30_000 });
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () => {
        const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on("error", () => {});
        try {
          await c.connect();
          const info = await c.cluster("INFO");
          if (!(/cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) && new RegExp(`cluster_known_nodes:${size}`).test(info))) return false;
          // A replica is ready once it has synchronised with its primary.
          const replication = await c.info("replication");
          return !/role:slave/.test(replication) || /master_link_status:up/.test(replication);
        } finally {
          c.disconnect();
        }
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const signal = (port: number, sig: NodeJS.Signals) => processes[ports.indexOf(port)]?.kill(sig);
  return { nodes: ports.map((port) => ({ host: "127.0.0.1", port })), pause: (port) => signal(port, "SIGSTOP"), resume: (port) => signal(port, "SIGCONT"), stop };
}
