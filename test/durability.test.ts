// Durability: a primary and a real replica on loopback. The replica stalls (SIGSTOP), the primary
// is killed, the replica is promoted. With `durability: { replicas: 1 }` every checkpoint whose
// put succeeded is on the promoted replica, and the puts the replica did not acknowledge failed
// with a DurabilityError; without the option the same failover loses acknowledged checkpoints
// (asynchronous replication), which is what the option is for.
import type { RunnableConfig } from "@langchain/core/runnables";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { RedisSaver, isDurabilityError } from "../src/index.js";
import { startOwnServer, type OwnServer } from "../scripts/dev/own-server.js";

const meta = { source: "loop" as const, step: 1, parents: {} };

async function replicate(primary: OwnServer, replica: OwnServer): Promise<void> {
  const r = new Redis(replica.url);
  await r.call("REPLICAOF", "127.0.0.1", String(primary.port));
  for (let i = 0; !/master_link_status:up/.test(await r.info("replication")); i++) {
    if (i > 200) throw new Error("the replica did not connect");
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
  await replicate(primary, replica);
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

  it("refuses a malformed durability option", () => {
    const client = new Redis({ lazyConnect: true });
    for (const durability of [{ replicas: 0, timeoutMs: 10 }, { replicas: 1, timeoutMs: 0 }, { replicas: 1.5, timeoutMs: 10 }, {}]) {
      expect(() => new RedisSaver({ client, durability: durability as { replicas: number; timeoutMs: number } })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    }
    client.disconnect();
  });
});
