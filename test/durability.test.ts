// Durability: a primary and a real replica on loopback. The replica stalls (SIGSTOP), the primary
// is killed, the replica is promoted. With `durability: { replicas: 1 }` every checkpoint whose
// put succeeded is on the promoted replica, and the puts the replica did not acknowledge failed
// with a DurabilityError; without the option the same failover loses acknowledged checkpoints
// (asynchronous replication), which is what the option is for.
import type { RunnableConfig } from "@langchain/core/runnables";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { Cluster, Redis } from "ioredis";
import { RedisSaver, isDurabilityError } from "../src/index.js";
import { KeySpace } from "../src/keys.js";
import { startCluster } from "../scripts/dev/local-cluster.js";
import { startOwnServer, type OwnServer } from "../scripts/dev/own-server.js";

const meta = { source: "loop" as const, step: 1, parents: {} };

async function replicate(primary: OwnServer, replica: OwnServer): Promise<void> {
  // Redis 7 waits 5 s (repl-diskless-sync-delay) for more replicas before the first full sync, and
  // a loaded machine adds to it: wait up to 15 s.
  const r = new Redis(replica.url);
  await r.call("REPLICAOF", "127.0.0.1", String(primary.port));
  for (let i = 0; !/master_link_status:up/.test(await r.info("replication")); i++) {
    if (i > 600) throw new Error("the replica did not connect");
    await new Promise((res) => setTimeout(res, 25));
  }
  await r.quit();
}

/** Puts one checkpoint after another on one thread until `stop`; which ids were acknowledged, which failed and how. */
async function putLoop(saver: RedisSaver, threadId: string, until: () => boolean) {
  const acknowledged: string[] = [];
  const failed: unknown[] = [];
  let parent: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
  for (let i = 1; !until(); i++) {
    const id = uuid6(-1);
    try {
      parent = await saver.put(parent, { ...emptyCheckpoint(), id, channel_values: { n: i }, channel_versions: { n: i } }, meta, { n: i });
      acknowledged.push(id);
    } catch (err) {
      failed.push(err);
      await new Promise((r) => setTimeout(r, 5)); // a failing put may fail at once: let the clock run
    }
  }
  return { acknowledged, failed };
}

/** Stalls the replica mid-workload, kills the primary, promotes the replica: what the workload saw, and the promoted replica. */
async function failover(durability: { replicas: number; timeoutMs: number } | undefined) {
  const primary = await startOwnServer({ persist: false });
  const replica = await startOwnServer({ persist: false });
  // A replica that never connects must not leave the two servers running.
  await replicate(primary, replica).catch(async (err: unknown) => {
    await Promise.all([primary.stop(), replica.stop()]);
    throw err;
  });
  const client = new Redis(primary.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  const saver = new RedisSaver({ client, prefix: "durable", ...(durability ? { durability } : {}) });
  let stopped = false;
  const loop = putLoop(saver, "t", () => stopped);
  await new Promise((r) => setTimeout(r, 300));
  replica.pause(); // the replica stops applying, as a stalled replica or a partition does
  await new Promise((r) => setTimeout(r, 1000));
  await primary.kill();
  stopped = true;
  const seen = await loop;
  replica.resume();
  const promoted = new Redis(replica.url);
  await promoted.call("REPLICAOF", "NO", "ONE");
  const reader = new RedisSaver({ client: promoted, prefix: "durable" });
  const stored = new Set<string>();
  for await (const tuple of reader.list({ configurable: { thread_id: "t" } })) stored.add(tuple.config.configurable!.checkpoint_id as string);
  const present = seen.acknowledged.filter((id) => stored.has(id));
  client.disconnect();
  await promoted.quit();
  await Promise.all([primary.stop(), replica.stop()]);
  return { ...seen, present };
}

describe("durability: waiting for replicas", () => {
  it("with durability, a failover after a stalled replica loses no acknowledged checkpoint; the unacknowledged puts failed with a DurabilityError", async () => {
    const { acknowledged, failed, present } = await failover({ replicas: 1, timeoutMs: 200 });
    expect(acknowledged.length, String(failed[0])).toBeGreaterThan(5);
    expect(present).toEqual(acknowledged);
    expect(failed.length).toBeGreaterThan(0); // the puts while the replica was stalled
    const waited = failed.filter(isDurabilityError);
    expect(waited.length).toBeGreaterThan(0);
    expect(waited[0]).toMatchObject({ acknowledged: 0, required: 1, operation: "put" });
  });

  it("without it, the same failover loses checkpoints whose put succeeded (asynchronous replication)", async () => {
    const { acknowledged, present } = await failover(undefined);
    expect(present.length).toBeLessThan(acknowledged.length);
  });

  it("on a Redis Cluster, each write waits for the replica of its own primary", async () => {
    const cluster = await startCluster(6, { replicasPerPrimary: 1 });
    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    try {
      // 2 s: on two cores shared with the other test files, a replica that is up once took more
      // than 300 ms to acknowledge a write (a CI run failed the first put so).
      const saver = new RedisSaver({ client, prefix: "durable", durability: { replicas: 1, timeoutMs: 2000 } });
      const keys = new KeySpace("durable");
      // Each primary's slot ranges and its replica, from CLUSTER NODES (CLUSTER SLOTS leaves out
      // replicas that have not replicated anything yet).
      const lines = String(await client.call("CLUSTER", "NODES")).trim().split("\n").map((line) => line.split(" "));
      const portOf = (address: string) => Number(/:(\d+)@/.exec(address)![1]);
      const owner = async (threadId: string) => {
        const slot = Number(await client.call("CLUSTER", "KEYSLOT", keys.threadBase(threadId)));
        const primary = lines.find((f) => f[2]!.includes("master") && f.slice(8).some((range) => {
          const [from, to = from] = range.split("-").map(Number);
          return slot >= from! && slot <= to!;
        }))!;
        const replica = lines.find((f) => f[2]!.includes("slave") && f[3] === primary[0])!;
        return { primary: portOf(primary[1]!), replica: portOf(replica[1]!) };
      };
      // Two threads on different primaries.
      const a = "thread-a";
      let b = "thread-b";
      for (let i = 0; (await owner(b)).primary === (await owner(a)).primary; i++) b = `thread-b-${i}`;
      const put = (threadId: string) => saver.put({ configurable: { thread_id: threadId, checkpoint_ns: "" } }, { ...emptyCheckpoint(), id: uuid6(-1) }, meta, {});
      await put(a);
      await put(b);

      // A's replica stalls: A's writes fail with a DurabilityError, B's (another primary, another replica) do not.
      const stalled = (await owner(a)).replica;
      cluster.pause(stalled);
      const err = await put(a).catch((e: unknown) => e);
      expect(isDurabilityError(err), String(err)).toBe(true);
      expect(err).toMatchObject({ acknowledged: 0, required: 1, operation: "put" });
      await put(b);
      cluster.resume(stalled);
      await put(a);
      await Promise.all([saver.deleteThread(a), saver.deleteThread(b)]);
    } finally {
      client.disconnect();
      await cluster.stop();
    }
  });

  it("refuses a malformed durability option", () => {
    const client = new Redis({ lazyConnect: true });
    for (const durability of [{ replicas: 0, timeoutMs: 10 }, { replicas: 1, timeoutMs: 0 }, { replicas: 1.5, timeoutMs: 10 }, {}]) {
      expect(() => new RedisSaver({ client, durability: durability as { replicas: number; timeoutMs: number } })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    }
    client.disconnect();
  });
});
