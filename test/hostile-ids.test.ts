// Thread ids full of Redis pattern characters, hash-tag braces, separators and unicode: each must
// round-trip, stay inside its own keys (one Cluster slot), and never reach another thread.
import calculateSlot from "cluster-key-slot";
import { emptyCheckpoint, uuid6, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { RedisSaver } from "../src/index.js";
import { InvalidInputError } from "../src/index.js";
import { keysOf, keysUnder, snapshot, testSaver } from "./helpers/redis.js";

const HOSTILE_IDS = [
  "*",
  "?",
  "[ab]",
  "a",
  "b",
  "{x}",
  "x",
  "}{",
  "{",
  "}",
  "{}",
  "a:b",
  "a:b:c",
  "%7B",
  "with spaces  inside",
  "line\nbreak\r\n",
  "tab\there",
  "emoji 🦜🔗 ✨",
  "\u0000nul",
  "ü",
  "k".repeat(10 * 1024),
];

async function putOne(saver: RedisSaver, threadId: string, ns = "") {
  const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { owner: threadId }, channel_versions: { owner: 1 } };
  const config = await saver.put({ configurable: { thread_id: threadId, checkpoint_ns: ns } }, checkpoint, { source: "input", step: -1, parents: {}, owner: threadId } as CheckpointMetadata, { owner: 1 });
  await saver.putWrites(config, [["owner", threadId]], `task-${threadId}`);
  return config;
}

const ownerOf = (metadata: CheckpointMetadata | undefined) => (metadata as Record<string, unknown> | undefined)?.owner;

describe("hostile thread ids", () => {
  const ctx = testSaver();
  const { saver, client, prefix } = ctx;

  afterAll(async () => {
    await ctx.cleanup();
  });

  it("round-trip, each in its own keys and one Cluster slot", async () => {
    for (const id of HOSTILE_IDS) {
      await putOne(saver, id);
      await putOne(saver, id, "sub:graph|{x}");
    }
    for (const id of HOSTILE_IDS) {
      const tuple = await saver.getTuple({ configurable: { thread_id: id } });
      expect(tuple?.config.configurable?.thread_id).toBe(id);
      expect(tuple?.checkpoint.channel_values).toEqual({ owner: id });
      expect(ownerOf(tuple?.metadata)).toBe(id);
      expect(tuple?.pendingWrites).toEqual([[`task-${id}`, "owner", id]]);
      const listed = [];
      for await (const t of saver.list({ configurable: { thread_id: id } })) listed.push(t);
      expect(listed).toHaveLength(2);
      expect(listed.every((t) => t.config.configurable?.thread_id === id && ownerOf(t.metadata) === id)).toBe(true);
    }

    // Every key under the prefix belongs to exactly one thread (or is the thread index), and a
    // thread's keys all hash to one slot.
    const bases = HOSTILE_IDS.map((id) => keysOf(saver).threadBase(id));
    const keys = await keysUnder(client, prefix);
    const byThread = new Map<string, string[]>();
    for (const key of keys) {
      if (key === keysOf(saver).threadsIndex()) continue;
      const owners = bases.filter((base) => key.startsWith(`${base}:`));
      expect(owners, key).toHaveLength(1);
      byThread.set(owners[0]!, [...(byThread.get(owners[0]!) ?? []), key]);
    }
    expect(byThread.size).toBe(HOSTILE_IDS.length);
    for (const [base, threadKeys] of byThread) {
      const slots = new Set(threadKeys.map((k) => calculateSlot(k)));
      expect(slots.size, base.slice(0, 60)).toBe(1);
      expect([...slots][0]).toBe(calculateSlot(base));
    }
  });

  it('deleteThread("*") deletes only the thread literally named "*"', async () => {
    for (const id of HOSTILE_IDS) await putOne(saver, id);
    const before = new Set(await keysUnder(client, prefix));
    const starBase = `${keysOf(saver).threadBase("*")}:`;
    const starKeys = [...before].filter((k) => k.startsWith(starBase));
    expect(starKeys.length).toBeGreaterThan(3);

    await saver.deleteThread("*");

    const after = new Set(await keysUnder(client, prefix));
    expect([...after].filter((k) => k.startsWith(starBase))).toEqual([]);
    expect([...before].filter((k) => !k.startsWith(starBase) && !after.has(k))).toEqual([]);
    expect(await saver.getTuple({ configurable: { thread_id: "*" } })).toBeUndefined();
    expect(await client.zscore(keysOf(saver).threadsIndex(), "*")).toBeNull();
    for (const id of HOSTILE_IDS.filter((i) => i !== "*")) {
      expect((await saver.getTuple({ configurable: { thread_id: id } }))?.checkpoint.channel_values).toEqual({ owner: id });
    }
    // Same for the other pattern-like ids.
    await saver.deleteThread("?");
    await saver.deleteThread("[ab]");
    expect(await saver.getTuple({ configurable: { thread_id: "a" } })).toBeDefined();
    expect(await saver.getTuple({ configurable: { thread_id: "b" } })).toBeDefined();
  });

  it("refuses a config without thread_id with a clear, typed error, and writes nothing", async () => {
    const before = await snapshot(client, prefix);
    const checkpoint = emptyCheckpoint();
    const meta = { source: "input" as const, step: -1, parents: {} };
    for (const config of [{}, { configurable: {} }, { configurable: { checkpoint_ns: "" } }, { configurable: { thread_id: "" } }, { configurable: { thread_id: 42 } }]) {
      const err = await saver.put(config, checkpoint, meta, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).code).toBe("INVALID_INPUT");
      expect((err as Error).message).toMatch(/thread_id/);
      await expect(saver.putWrites({ ...config, configurable: { ...config.configurable, checkpoint_id: "x" } }, [["c", 1]], "t")).rejects.toThrow(
        /thread_id/,
      );
    }
    await expect(saver.deleteThread(undefined as unknown as string)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(saver.putWrites({ configurable: { thread_id: "t" } }, [["c", 1]], "t")).rejects.toThrow(/checkpoint_id/);
    // getTuple follows the BaseCheckpointSaver contract: no thread, no tuple.
    expect(await saver.getTuple({ configurable: {} })).toBeUndefined();
    expect(await snapshot(client, prefix)).toEqual(before);
  });
});
