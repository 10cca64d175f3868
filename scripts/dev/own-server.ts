// A redis-server of a test's (or a benchmark's) own, on a spare loopback port, that it can kill
// and restart, configure and flush without touching the shared one. By default it keeps an
// append-only file (fsync always) so that a restart after SIGKILL finds every write Redis
// acknowledged.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface OwnServer {
  port: number;
  url: string;
  kill: () => Promise<void>;
  /** Stops the process without killing it (SIGSTOP), as a stalled server or network does; `resume` continues it. */
  pause: () => void;
  resume: () => void;
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startOwnServer(options: { persist?: boolean } = {}): Promise<OwnServer> {
  const persistence = options.persist === false ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", "always"];
  const dir = mkdtempSync(join(tmpdir(), "lgtree-redis-"));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...persistence, "--logfile", join(dir, "redis.log")], {
      stdio: "ignore",
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => {});
      try {
        await probe.connect();
        if ((await probe.ping()) === "PONG") return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        probe.disconnect();
      }
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
