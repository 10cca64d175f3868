// Retention: TTLs that expire a whole thread at once, refresh on read, per-conversation TTL and
// pinning, expired conversations leaving listings; prune and shallow mode.
import { HumanMessage } from "@langchain/core/messages";
import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { ConversationManager, InvalidInputError, RedisSaver, type RedisClient } from "../src/index.js";
import { luaScripts } from "../src/lua/generated.js";
import { blobField } from "../src/keys.js";
import { keysOf, keysUnder, testSaver } from "./helpers/redis.js";
import { collect } from "./helpers/fixtures.js";
import { chatGraph, re } from "./helpers/graphs.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const chat = (saver: RedisSaver) => chatGraph(saver, { kind: "ordinary", model: re });

async function threadKeys(client: RedisClient, saver: RedisSaver, prefix: string, threadId: string) {
  const base = `${keysOf(saver).threadBase(threadId)}:`;
  return (await keysUnder(client, prefix)).filter((k) => k.startsWith(base));
}

/** Expiry (ms since epoch, -1 = none) of each key. */
async function expiries(client: RedisClient, keys: string[]): Promise<number[]> {
  return Promise.all(keys.map(async (k) => Number(await client.call("PEXPIRETIME", k))));
}

describe("retention", () => {
  const ctxs: Array<{ cleanup: () => Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(ctxs.map((c) => c.cleanup()));
  });
  const saverWith = (options: Parameters<typeof testSaver>[0]) => {
    const ctx = testSaver(options);
    ctxs.push(ctx);
    return ctx;
  };

  it("expires every key of a thread at the same moment, then the thread is gone", async () => {
    const { saver, client, prefix } = saverWith({ ttl: { defaultTTL: 1.5 / 60 } }); // 1.5 s
    const graph = chat(saver);
    const config = { configurable: { thread_id: "ttl-1" } };
    await graph.invoke({ messages: [new HumanMessage("one")] }, config);
    await graph.invoke({ messages: [new HumanMessage("two")] }, config);
    const keys = await threadKeys(client, saver, prefix, "ttl-1");
    expect(keys.length).toBeGreaterThan(8);
    const at = await expiries(client, keys);
    expect(new Set(at).size).toBe(1);
    expect(at[0]!).toBeGreaterThan(Date.now());
    expect(at[0]!).toBeLessThanOrEqual(Date.now() + 1500);

    await sleep(1700);
    expect(await threadKeys(client, saver, prefix, "ttl-1")).toEqual([]);
    expect(await saver.getTuple(config)).toBeUndefined();
    // The thread index entry is stale now; a listing without thread id drops it.
    expect(await collect(saver.list({}))).toEqual([]);
    expect(await client.zscore(keysOf(saver).threadsIndex(), "ttl-1")).toBeNull();
  });

  it("refreshOnRead pushes the deadline of every key on getTuple and list; without it reads do not", async () => {
    for (const refreshOnRead of [true, false]) {
      const { saver, client, prefix } = saverWith({ ttl: { defaultTTL: 2 / 60, refreshOnRead } }); // 2 s
      const config = { configurable: { thread_id: `refresh-${refreshOnRead}` } };
      await chat(saver).invoke({ messages: [new HumanMessage("hi")] }, config);
      const keys = await threadKeys(client, saver, prefix, `refresh-${refreshOnRead}`);
      const [before] = await expiries(client, keys);
      await sleep(400); // more than 10% of the TTL gone: a refresh is due
      await saver.getTuple(config);
      const afterGet = await expiries(client, keys);
      expect(new Set(afterGet).size).toBe(1);
      if (refreshOnRead) expect(afterGet[0]!).toBeGreaterThan(before! + 300);
      else expect(afterGet[0]).toBe(before);
      await sleep(400);
      await collect(saver.list(config, { limit: 1 }));
      const afterList = await expiries(client, keys);
      if (refreshOnRead) expect(afterList[0]!).toBeGreaterThan(afterGet[0]! + 300);
      else expect(afterList[0]).toBe(before);
    }
  });

  it("lets the manager set a TTL per conversation and pin one; expired conversations leave listings and indexes", async () => {
    const { saver, client, prefix } = saverWith({ ttl: { defaultTTL: 60 } });
    const manager = new ConversationManager({ saver });
    const graph = chat(saver);
    const pinned = await manager.createConversation({ userId: "u", metadata: { title: "keep", tags: ["t"] } });
    const short = await manager.createConversation({ userId: "u", metadata: { title: "short", tags: ["t"], agentId: "a" } });
    await graph.invoke({ messages: [new HumanMessage("x")] }, { configurable: { thread_id: pinned.threadId } });
    await graph.invoke({ messages: [new HumanMessage("y")] }, { configurable: { thread_id: short.threadId } });

    expect(await manager.setConversationTTL(pinned.threadId, "pinned", { userId: "u" })).toBeNull();
    expect(new Set(await expiries(client, await threadKeys(client, saver, prefix, pinned.threadId)))).toEqual(new Set([-1]));
    const deadline = await manager.setConversationTTL(short.threadId, 1 / 60, { userId: "u" }); // 1 s
    expect(Date.parse(deadline!)).toBeLessThanOrEqual(Date.now() + 1000);
    await expect(manager.setConversationTTL(short.threadId, 5, { userId: "intruder" })).rejects.toThrow(/not found/);
    await expect(manager.setConversationTTL(short.threadId, -5, { userId: "u" })).rejects.toBeInstanceOf(InvalidInputError);
    // Activity keeps a pinned conversation pinned.
    await graph.invoke({ messages: [new HumanMessage("again")] }, { configurable: { thread_id: pinned.threadId } });
    expect(new Set(await expiries(client, await threadKeys(client, saver, prefix, pinned.threadId)))).toEqual(new Set([-1]));

    await sleep(1300);
    expect(await threadKeys(client, saver, prefix, short.threadId)).toEqual([]);
    const page = await manager.listConversations({ userId: "u" });
    expect(page.conversations.map((c) => c.title)).toEqual(["keep"]);
    expect(page.total).toBe(1);
    expect((await manager.listConversations({ userId: "u", tags: ["t"] })).conversations.map((c) => c.title)).toEqual(["keep"]);
    expect(await manager.getConversation(short.threadId, { userId: "u" })).toBeNull();
    // No index entry names the expired conversation any more.
    // (The saver's own thread index is cleaned by the next listing without thread id.)
    const userKeys = (await keysUnder(client, prefix)).filter((k) => k !== keysOf(saver).threadsIndex());
    const members = async (k: string) => {
      const type = await client.type(k);
      return type === "zset" ? client.zrange(k, 0, -1) : type === "set" ? client.smembers(k) : type === "hash" ? client.hkeys(k) : [];
    };
    const everything = JSON.stringify(await Promise.all(userKeys.map(async (k) => [k, await members(k)])));
    expect(everything).not.toContain(short.threadId);

    // Back to the saver's default: the thread expires again, an hour out.
    const back = await manager.setConversationTTL(pinned.threadId, "default", { userId: "u" });
    expect(Date.parse(back!)).toBeGreaterThan(Date.now() + 59 * 60_000);
  });

  it("prune keeps the newest N checkpoints per namespace with the values and writes they need", async () => {
    const { saver, client, prefix } = saverWith({});
    const graph = chat(saver);
    const config = { configurable: { thread_id: "prune-1" } };
    for (let i = 0; i < 7; i++) await graph.invoke({ messages: [new HumanMessage(`turn ${i}`)] }, config);
    const all = await collect(saver.list(config));
    expect(all).toHaveLength(21);
    const keysBefore = (await threadKeys(client, saver, prefix, "prune-1")).length;

    expect(await saver.prune(["prune-1", "no-such-thread"], { keepLast: 4 })).toBe(17);
    const kept = await collect(saver.list(config));
    expect(kept.map((t) => t.checkpoint.id)).toEqual(all.slice(0, 4).map((t) => t.checkpoint.id));
    for (let i = 0; i < 4; i++) {
      expect(kept[i]!.checkpoint.channel_values).toEqual(all[i]!.checkpoint.channel_values);
      expect(kept[i]!.pendingWrites).toEqual(all[i]!.pendingWrites);
    }
    expect((await threadKeys(client, saver, prefix, "prune-1")).length).toBeLessThanOrEqual(keysBefore - 17);
    const blobsKey = (await threadKeys(client, saver, prefix, "prune-1")).find((k) => k.includes(":blobs:"))!;
    const fieldsNeeded = new Set(kept.flatMap((t) => Object.entries(t.checkpoint.channel_versions).map(([c, v]) => blobField(c, v))));
    for (const field of await client.hkeys(blobsKey)) expect(fieldsNeeded.has(field), field).toBe(true);

    const next = await graph.invoke({ messages: [new HumanMessage("after prune")] }, config);
    expect(next.messages).toHaveLength(16);
    await expect(saver.prune(["prune-1"], { keepLast: 0 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("moves a big thread to a new deadline in steps: no key ever expires before the thread record", async () => {
    const { saver, client, prefix } = saverWith({});
    const threadId = "ttl-steps";
    const config = { configurable: { thread_id: threadId } };
    const graph = chat(saver);
    // 100 turns: 300 checkpoints, more than a script moves at once.
    for (let i = 0; i < 100; i++) await graph.invoke({ messages: [new HumanMessage(`turn ${i}`)] }, config);
    const keys = await threadKeys(client, saver, prefix, threadId);
    const record = `${keysOf(saver).threadBase(threadId)}:thread`;
    /** Every key expires no earlier than the record (-1: never). */
    const recordFirst = async () => {
      const [own, ...rest] = await expiries(client, [record, ...keys]);
      for (const [i, at] of rest.entries()) {
        if (own === -1) expect(at, keys[i]).toBe(-1);
        else if (at !== -1) expect(at, keys[i]).toBeGreaterThanOrEqual(own!);
      }
      return own!;
    };

    // A TTL for it (a later deadline than none: the record goes first), one step at a time as a
    // process that died between steps would leave it, and read whole in between.
    const m = new ConversationManager({ saver: new RedisSaver({ client, prefix }, { step: 40 }) });
    await saver.put(config, (await saver.getTuple(config))!.checkpoint, { source: "update", step: 999, parents: {} }, {});
    const setTtl = (client as unknown as Record<string, (...a: string[]) => Promise<[number, number]>>)[luaScripts.setTtl.command]!;
    const step = (client as unknown as Record<string, (...a: string[]) => Promise<[number, number]>>)[luaScripts.ttlMove.command]!;
    const base = keysOf(saver).threadBase(threadId);
    const [deadline, moving] = await setTtl.call(client, base, String(3_600_000), "0", "");
    expect(moving).toBe(1);
    expect(await recordFirst()).toBe(deadline);
    for (let done = 0, i = 0; done !== 1; i++) {
      [done] = await step.call(client, base, "40");
      await recordFirst();
      if (i === 2) expect((await graph.invoke({ messages: [new HumanMessage("during the move")] }, config)).messages.length).toBe(202);
    }
    expect(new Set(await expiries(client, await threadKeys(client, saver, prefix, threadId)))).toEqual(new Set([deadline]));

    // A longer TTL (a later deadline: the body first, the record last), with a graph turn in the
    // middle: what the turn creates gets the later deadline too.
    const [kept, extending] = await setTtl.call(client, base, String(7_200_000), "0", "");
    expect([kept, extending]).toEqual([deadline, 1]);
    await step.call(client, base, "40");
    expect((await graph.invoke({ messages: [new HumanMessage("while extending")] }, config)).messages.length).toBe(204);
    // One behind the move's cursor (an id that sorts first), which the steps will not reach.
    await saver.put(config, { ...emptyCheckpoint(), id: "0-behind" }, { source: "update", step: -1, parents: {} }, {});
    for (let done = 0; done !== 1; ) [done] = await step.call(client, base, "40");
    const extended = await recordFirst();
    expect(extended).toBeGreaterThan(deadline + 3_000_000);
    expect(new Set(await expiries(client, await threadKeys(client, saver, prefix, threadId)))).toEqual(new Set([extended]));

    // Pinning it (no deadline: later than any) moves the body first, the record last; the
    // manager's call steps to the end.
    await m.createConversation({ userId: "ttl", threadId }); // gives it its TTL afresh, to the end
    const claimed = await recordFirst();
    expect(claimed).toBeGreaterThanOrEqual(extended);
    await setTtl.call(client, base, "0", "0", "ttl");
    expect(await recordFirst()).toBe(claimed);
    await step.call(client, base, "40");
    expect(await recordFirst()).toBe(claimed);
    expect(await m.setConversationTTL(threadId, "pinned", { userId: "ttl" })).toBeNull();
    expect(new Set(await expiries(client, await threadKeys(client, saver, prefix, threadId)))).toEqual(new Set([-1]));
    // And back to a TTL through the manager: every key gets it.
    const back = await m.setConversationTTL(threadId, 60, { userId: "ttl" });
    expect(new Set(await expiries(client, await threadKeys(client, saver, prefix, threadId)))).toEqual(new Set([Date.parse(back!)]));
    await m.deleteConversation(threadId, { userId: "ttl" });
  });

  it("prunes in steps that each leave every listed checkpoint whole, and end where one step would", async () => {
    const { saver, client, prefix } = saverWith({});
    const graph = chat(saver);
    const config = { configurable: { thread_id: "prune-steps" } };
    for (let i = 0; i < 8; i++) await graph.invoke({ messages: [new HumanMessage(`turn ${i}`)] }, config);
    // A branch off an old checkpoint, so that kept and removed checkpoints share values.
    const old = (await collect(saver.list(config)))[15]!;
    await graph.invoke({ messages: [new HumanMessage("a branch")] }, old.config);
    const before = new Map((await collect(saver.list(config))).map((t) => [t.checkpoint.id, t]));
    expect(before.size).toBe(27);

    // One step of at most 2 checkpoints or values at a time, read whole in between.
    const base = keysOf(saver).threadBase("prune-steps");
    const step = (client as unknown as Record<string, (...a: string[]) => Promise<[number, number]>>)[luaScripts.prune.command]!;
    let steps = 0;
    let removed = 0;
    for (let more = 1; more === 1; steps++) {
      const [gone, left] = await step.call(client, base, "5", "2", "");
      removed += gone;
      more = left;
      for (const tuple of await collect(saver.list(config))) {
        const was = before.get(tuple.checkpoint.id)!;
        expect(tuple.checkpoint.channel_values).toEqual(was.checkpoint.channel_values);
        expect(tuple.pendingWrites).toEqual(was.pendingWrites);
      }
    }
    expect(steps).toBeGreaterThan(10);
    expect(removed).toBe(22);
    const kept = await collect(saver.list(config));
    expect(kept.map((t) => t.checkpoint.id)).toEqual([...before.keys()].slice(0, 5));
    // Nothing parked is left, and the values hash holds only what the kept checkpoints read.
    const keys = await threadKeys(client, saver, prefix, "prune-steps");
    expect(keys.filter((k) => k.includes(":dropped:"))).toEqual([]);
    const fieldsNeeded = new Set(kept.flatMap((t) => Object.entries(t.checkpoint.channel_versions).map(([c, v]) => blobField(c, v))));
    for (const field of await client.hkeys(keys.find((k) => k.includes(":blobs:"))!)) expect(fieldsNeeded.has(field), field).toBe(true);
    // The saver's own prune runs the same steps until done; the graph goes on.
    expect(await new RedisSaver({ client, prefix }, { step: 2 }).prune(["prune-steps"], { keepLast: 1 })).toBe(4);
    expect((await graph.invoke({ messages: [new HumanMessage("after")] }, config)).messages.length).toBeGreaterThan(2);
  });

  it("a shallow saver meeting a long thread prunes it to one checkpoint in short calls", async () => {
    const { saver, client, prefix } = saverWith({});
    const graph = chat(saver);
    const config = { configurable: { thread_id: "shallow-late" } };
    for (let i = 0; i < 8; i++) await graph.invoke({ messages: [new HumanMessage(`turn ${i}`)] }, config);
    expect(await collect(saver.list(config))).toHaveLength(24);
    const shallow = new RedisSaver({ client, prefix, shallow: true });
    const state = await chat(shallow).invoke({ messages: [new HumanMessage("now shallow")] }, config);
    expect(state.messages).toHaveLength(18);
    const tuples = await collect(shallow.list(config));
    expect(tuples).toHaveLength(1);
    expect(tuples[0]!.checkpoint.channel_values.messages).toEqual(state.messages);
    expect((await threadKeys(client, saver, prefix, "shallow-late")).filter((k) => k.includes(":dropped:"))).toEqual([]);
  });

  it("shallow mode keeps only the latest checkpoint, and the graph still resumes", async () => {
    const { saver, client, prefix } = saverWith({ shallow: true });
    const graph = chat(saver);
    const config = { configurable: { thread_id: "shallow-1" } };
    await graph.invoke({ messages: [new HumanMessage("one")] }, config);
    const keysAfterOne = (await threadKeys(client, saver, prefix, "shallow-1")).length;
    for (let i = 0; i < 5; i++) await graph.invoke({ messages: [new HumanMessage(`turn ${i}`)] }, config);
    const tuples = await collect(saver.list(config));
    expect(tuples).toHaveLength(1);
    expect((tuples[0]!.checkpoint.channel_values.messages as unknown[]).length).toBe(12);
    expect((await threadKeys(client, saver, prefix, "shallow-1")).length).toBe(keysAfterOne);
    const blobsKey = (await threadKeys(client, saver, prefix, "shallow-1")).find((k) => k.includes(":blobs:"))!;
    const current = new Set(Object.entries(tuples[0]!.checkpoint.channel_versions).map(([c, v]) => blobField(c, v)));
    const fields = await client.hkeys(blobsKey);
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) expect(current.has(field), field).toBe(true);
  });
});
