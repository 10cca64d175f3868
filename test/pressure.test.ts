// Memory pressure: on a `noeviction` Redis that is out of memory, every write the saver and the
// manager make is refused whole (the writing scripts declare themselves with `#!lua`, so Redis
// checks memory before they run, not at their first write), fails loudly, and leaves every key
// of the thread and its owner exactly as it was; a graph invoke that fails leaves no checkpoint
// behind. Reads still work, and deleting a thread (to free memory) is allowed. The test runs its
// own redis-server on a spare port.
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { ConversationManager, RedisSaver, isEvictionPolicyError, isStorageError } from "../src/index.js";
import { startOwnServer, type OwnServer } from "../scripts/dev/own-server.js";
import { chatGraph, re } from "./helpers/graphs.js";

/**
 * Every key of the server and what it holds, except the filler: what "nothing changed" compares.
 * Hashes by their sorted fields and values, other keys by DUMP: a read can move a hash's pending
 * rehash a step on, which changes its DUMP's order of fields and nothing else.
 */
async function everything(client: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      if (key.startsWith("filler:")) continue;
      const [type, ttl] = await Promise.all([client.type(key), client.pttl(key)]);
      const content = type === "hash" ? JSON.stringify(Object.entries(await client.hgetallBuffer(key)).map(([f, v]) => [f, v.toString("base64")]).sort()) : (await client.dumpBuffer(key))?.toString("base64");
      out.set(key, `${content} ttl=${ttl > 0 ? "set" : ttl}`);
    }
  } while (cursor !== "0");
  return out;
}

/** Fills the server with filler keys until it refuses a write for lack of memory. */
async function fill(client: Redis): Promise<void> {
  const used = Number(/used_memory:(\d+)/.exec(await client.info("memory"))![1]);
  await client.config("SET", "maxmemory", String(used + 2_000_000));
  for (let i = 0; ; i++) {
    try {
      await client.set(`filler:${i}`, "x".repeat(64 * 1024));
    } catch (err) {
      expect(String(err)).toMatch(/OOM/);
      return;
    }
  }
}

describe("out of memory (noeviction)", () => {
  let server: OwnServer;
  let client: Redis;
  beforeAll(async () => {
    server = await startOwnServer({ persist: false });
    client = new Redis(server.url);
    await client.config("SET", "maxmemory-policy", "noeviction");
  });
  afterAll(async () => {
    await client.quit();
    await server.stop();
  });

  it("refuses every write whole: puts, writes, messages, forks, graph turns leave the thread and its owner exactly as they were", async () => {
    const saver = new RedisSaver({ client, prefix: "oom" });
    const manager = new ConversationManager({ saver });
    const graph = chatGraph(saver, { kind: "ordinary", model: re });
    const c = await manager.createConversation({ userId: "alice", metadata: { title: "before" } });
    const config = { configurable: { thread_id: c.threadId } };
    for (let turn = 0; turn < 3; turn++) await graph.invoke({ messages: [new HumanMessage(`turn ${turn}`)] }, config);
    const head = (await saver.getTuple(config))!;
    const checkpointsBefore = (await graph.getStateHistory(config).next()).value;

    await fill(client);
    const before = await everything(client);
    const big = "y".repeat(3_000_000); // more than the memory left, whatever a script frees first
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ["put", () => saver.put(head.config, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages: [new AIMessage(big)] }, channel_versions: { messages: 99 } }, { source: "loop", step: 9, parents: {} }, { messages: 99 })],
      ["putWrites", () => saver.putWrites(head.config, [["messages", [new AIMessage(big)]]], "task-oom")],
      // Tasks that write in the same turn share one script call: refused, each of them fails, and neither is stored.
      [
        "putWrites of tasks that finish together",
        async () => {
          const both = await Promise.allSettled([saver.putWrites(head.config, [["small", 1]], "task-small"), saver.putWrites(head.config, [["messages", [new AIMessage(big)]]], "task-big")]);
          for (const result of both) if (result.status === "rejected") expect(String((result.reason as Error).message)).toMatch(/OOM/);
          const refused = both.filter((r) => r.status === "rejected");
          expect(refused).toHaveLength(2);
          throw (refused[0] as PromiseRejectedResult).reason;
        },
      ],
      ["addMessage", () => manager.addMessage(c.threadId, new HumanMessage(big), { userId: "alice" })],
      ["updateConversation", () => manager.updateConversation(c.threadId, { title: big.slice(0, 900) }, { userId: "alice" })],
      ["forkConversation", () => manager.forkConversation(c.threadId, { userId: "alice", title: "fork" })],
      ["graph turn", () => graph.invoke({ messages: [new HumanMessage(big)] }, config)],
    ];
    for (const [name, attempt] of attempts) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `${name} succeeded out of memory`).toBeDefined();
      expect(String((err as Error).message), name).toMatch(/OOM/);
      expect(isStorageError(err) || isStorageError((err as { cause?: unknown }).cause), name).toBe(true);
      expect(await everything(client), `${name} changed something`).toEqual(before);
    }

    // Reads still work and see the thread as it was.
    expect((await saver.getTuple(config))!.config).toEqual(head.config);
    expect((await graph.getStateHistory(config).next()).value.config).toEqual(checkpointsBefore.config);
    expect((await manager.getConversation(c.threadId, { userId: "alice" }))!.title).toBe("before");

    // With memory back, the same thread continues from where it was.
    await client.config("SET", "maxmemory", "0");
    const result = await graph.invoke({ messages: [new HumanMessage("after")] }, config);
    expect(result.messages.filter((m) => m.getType() === "human").length).toBe(4);
  });

  it("deleting and pruning a thread are allowed out of memory, so that memory can be freed", async () => {
    const saver = new RedisSaver({ client, prefix: "oom-delete" });
    const graph = chatGraph(saver, { kind: "ordinary", model: re });
    await graph.invoke({ messages: [new HumanMessage("hello")] }, { configurable: { thread_id: "doomed" } });
    for (let i = 0; i < 3; i++) await graph.invoke({ messages: [new HumanMessage(`turn ${i}`)] }, { configurable: { thread_id: "pruned" } });
    await fill(client);
    try {
      expect(await saver.prune(["pruned"], { keepLast: 1 })).toBeGreaterThan(5);
      expect((await chatGraph(saver, { kind: "ordinary", model: re }).getState({ configurable: { thread_id: "pruned" } })).values.messages).toHaveLength(6);
      expect(await saver.deleteThread("doomed").then(() => "deleted")).toBe("deleted");
      expect(await saver.getTuple({ configurable: { thread_id: "doomed" } })).toBeUndefined();
    } finally {
      await client.config("SET", "maxmemory", "0");
    }
  });

  it("out of memory with its libraries gone (a restart without persistence): reads and deletes work through EVAL, writes are refused whole, and libraries load again once memory is back", async () => {
    const saver = new RedisSaver({ client, prefix: "oom-restart" });
    const graph = chatGraph(saver, { kind: "ordinary", model: re });
    const config = { configurable: { thread_id: "kept" } };
    for (let i = 0; i < 2; i++) await graph.invoke({ messages: [new HumanMessage(`turn ${i}`)] }, config);
    await graph.invoke({ messages: [new HumanMessage("hello")] }, { configurable: { thread_id: "doomed" } });
    await client.function("FLUSH");
    await fill(client); // FUNCTION LOAD is refused out of memory from here on
    const evals = async () => [...(await client.info("commandstats")).matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const evalsBefore = await evals();
    try {
      const before = await everything(client);
      const big = "y".repeat(3_000_000); // more than the memory left, as above
      const err = await graph.invoke({ messages: [new HumanMessage(big)] }, config).then(() => undefined, (e: unknown) => e);
      expect(String((err as Error | undefined)?.message)).toMatch(/OOM/);
      expect(await everything(client)).toEqual(before);
      expect((await graph.getState(config)).values.messages).toHaveLength(4);
      await saver.deleteThread("doomed");
      expect(await saver.getTuple({ configurable: { thread_id: "doomed" } })).toBeUndefined();
      // Calls whose library could not load went through EVAL.
      expect(await evals()).toBeGreaterThan(evalsBefore);
    } finally {
      await client.config("SET", "maxmemory", "0");
    }
    await graph.invoke({ messages: [new HumanMessage("after")] }, config);
    expect((await graph.getState(config)).values.messages).toHaveLength(6);
    expect(((await client.function("LIST"))).length).toBeGreaterThan(0);
  });

  it("refuses a Redis whose maxmemory-policy may evict its keys, before writing anything, unless told to accept it", async () => {
    const turn = (saver: RedisSaver, threadId: string) => chatGraph(saver, { kind: "ordinary", model: re }).invoke({ messages: [new HumanMessage("hi")] }, { configurable: { thread_id: threadId } });
    const fresh = () => new Redis(server.url); // the policy is read once per client
    const clients: Redis[] = [];
    const saverOn = (options: Partial<ConstructorParameters<typeof RedisSaver>[0]> = {}) => {
      const c = fresh();
      clients.push(c);
      return new RedisSaver({ client: c, prefix: "policy", ...options });
    };
    try {
      for (const policy of ["allkeys-lru", "allkeys-lfu", "allkeys-random"]) {
        await client.config("SET", "maxmemory-policy", policy);
        const keysBefore = await client.dbsize();
        const err = await turn(saverOn(), `p-${policy}`).catch((e: unknown) => e);
        expect(isEvictionPolicyError(err), policy).toBe(true);
        expect((err as { policy: string }).policy).toBe(policy);
        expect(String((err as Error).message)).toMatch(/allowEviction/);
        expect(await client.dbsize()).toBe(keysBefore);
        await expect(saverOn().getTuple({ configurable: { thread_id: "p" } })).rejects.toSatisfy(isEvictionPolicyError);
        // Accepted explicitly: it works.
        expect((await turn(saverOn({ allowEviction: true }), `ok-${policy}`)).messages).toHaveLength(2);
      }
      // volatile-*: only keys with a TTL are evicted, so only a saver that sets TTLs is refused.
      await client.config("SET", "maxmemory-policy", "volatile-lru");
      expect((await turn(saverOn(), "volatile-no-ttl")).messages).toHaveLength(2);
      await expect(turn(saverOn({ ttl: { defaultTTL: 60 } }), "volatile-ttl")).rejects.toSatisfy(isEvictionPolicyError);
      const manager = new ConversationManager({ saver: saverOn() });
      const c = await manager.createConversation({ userId: "alice" });
      await expect(manager.setConversationTTL(c.threadId, 30, { userId: "alice" })).rejects.toSatisfy(isEvictionPolicyError);
      expect(await manager.setConversationTTL(c.threadId, "pinned", { userId: "alice" })).toBeNull();
    } finally {
      await client.config("SET", "maxmemory-policy", "noeviction");
      await Promise.all(clients.map((c) => c.quit()));
    }
  });
});
