// RedisSaver behaviour beyond the conformance suite: value fidelity, write semantics, list
// filters and paging, round trips per operation, versions, construction and ownership.
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { ERROR, INTERRUPT, MemorySaver } from "@langchain/langgraph-checkpoint";
import { EphemeralValue, LastValue } from "@langchain/langgraph/channels";
import { Channel, Pregel } from "@langchain/langgraph/pregel";
import type { RunnableConfig } from "@langchain/core/runnables";
import { ConversationManager, InvalidInputError, RedisSaver, SerializationError, StorageError } from "../src/index.js";
import { keysOf, keysUnder, newClient, ownedSaver, randomPrefix, snapshot, testSaver } from "./helpers/redis.js";
import { checkpointWith, collect, meta } from "./helpers/fixtures.js";




describe("RedisSaver", () => {
  const ctx = testSaver();
  const { saver, client, prefix } = ctx;
  afterAll(async () => {
    await ctx.cleanup();
  });

  describe("values", () => {
    it("keeps values LangGraph stores without a version, as MemorySaver does (its 'obtain correct channel values from checkpointer')", async () => {
      const results = [];
      for (const checkpointer of [new MemorySaver(), saver]) {
        const chain = Channel.subscribeTo("input").pipe(Channel.writeTo(["output"]));
        const app = new Pregel({
          nodes: { one: chain },
          channels: { ephemeral: new EphemeralValue(), input: new LastValue<number>(), output: new LastValue<number>() },
          inputChannels: ["input", "ephemeral"],
          outputChannels: "output",
          checkpointer,
        });
        const config = { configurable: { thread_id: "unversioned" } };
        await app.invoke({ input: 1, ephemeral: "meow" }, config);
        expect((await app.getState(config)).values.output).toBe(1);
        results.push((await checkpointer.get(config))?.channel_values);
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[1]).toEqual({ input: 1, output: 1, __pregel_tasks: [] });

      // Put directly: a value without a version comes back, and is no blob of any version.
      const checkpoint = { ...checkpointWith({ versioned: 1 }), channel_values: { versioned: 1, loose: { a: [1, 2] } } };
      const config = await saver.put({ configurable: { thread_id: "unversioned-2" } }, checkpoint, meta(), { versioned: 1 });
      expect((await saver.getTuple(config))?.checkpoint).toEqual(checkpoint);
      expect((await collect(saver.list({ configurable: { thread_id: "unversioned-2" } })))[0]?.checkpoint).toEqual(checkpoint);
    });

    it("a value whose blob is gone makes getTuple and list fail with a StorageError naming it, not return less", async () => {
      const checkpoint = checkpointWith({ kept: "a", lost: "b" });
      const config = await saver.put({ configurable: { thread_id: "lost-blob" } }, checkpoint, meta(), checkpoint.channel_versions);
      expect(await client.hdel(`${keysOf(saver).threadBase("lost-blob")}:blobs:`, "lost:1")).toBe(1);
      await expect(saver.getTuple(config)).rejects.toThrow(/missing data it references: checkpoint .* names channel value lost:1/);
      await expect(collect(saver.list({ configurable: { thread_id: "lost-blob" } }))).rejects.toBeInstanceOf(StorageError);
    });

    it("a checkpoint whose node is gone fails every read with a StorageError naming it, never an older checkpoint or none", async () => {
      const manager = new ConversationManager({ saver });
      const thread = (await manager.createConversation({ userId: "u", metadata: { title: "lost" } })).threadId;
      const configs: RunnableConfig[] = [];
      let config: RunnableConfig = { configurable: { thread_id: thread, checkpoint_ns: "" } };
      for (let i = 0; i < 3; i++) {
        config = await saver.put(config, checkpointWith({ n: i }, { n: i + 1 }), meta({ step: i }), { n: i + 1 });
        configs.push(config);
      }
      const base = keysOf(saver).threadBase(thread);
      const latest = configs[2]!.configurable!.checkpoint_id as string;
      const middle = configs[1]!.configurable!.checkpoint_id as string;
      // The latest, as eviction or a stray DEL would leave it: still listed, no longer stored.
      expect(await client.del(`${base}:ckpt::${latest}`)).toBe(1);
      const named = new RegExp(`lists checkpoint ${latest}, which is not stored`);
      await expect(saver.getTuple({ configurable: { thread_id: thread, checkpoint_ns: "" } })).rejects.toThrow(named);
      await expect(saver.getTuple(configs[2]!)).rejects.toThrow(named);
      await expect(collect(saver.list({ configurable: { thread_id: thread } }))).rejects.toBeInstanceOf(StorageError);
      // Every reader of the head says so too, instead of answering from an older checkpoint.
      await expect(manager.forkConversation(thread, { userId: "u" })).rejects.toThrow(named);
      await expect(manager.listBranches(thread, { userId: "u" })).rejects.toThrow(named);
      // One that is not read is no obstacle; one in the middle of a listing is.
      expect((await saver.getTuple(configs[0]!))?.checkpoint.channel_values).toEqual({ n: 0 });
      expect(await client.del(`${base}:ckpt::${middle}`)).toBe(1);
      await expect(collect(saver.list({ configurable: { thread_id: thread } }, { before: configs[2]! }))).rejects.toThrow(new RegExp(`lists checkpoint ${middle}`));
      await expect(manager.getTree(thread, { userId: "u" })).rejects.toBeInstanceOf(StorageError);
      await manager.deleteConversation(thread, { userId: "u" });
    });

    it("round-trips Uint8Array, Map, Set, undefined and LangChain messages in values, writes and metadata", async () => {
      const values = {
        bytes: new Uint8Array([0, 1, 254, 255]),
        map: new Map<string, unknown>([["a", 1], ["b", new Set([1, 2])]]),
        set: new Set(["x", "y"]),
        nothing: undefined,
        messages: [new HumanMessage({ content: "hi", id: "m1" }), new AIMessage({ content: "hello", id: "m2" }), new ToolMessage({ content: "42", tool_call_id: "call-1" })],
        nested: { deep: { list: [1, "two", null, { three: 3 }] } },
      };
      const checkpoint = checkpointWith(values);
      const config = await saver.put({ configurable: { thread_id: "values" } }, checkpoint, meta({ tags: new Set(["a"]) }), checkpoint.channel_versions);
      await saver.putWrites(config, [["bytes", new Uint8Array([9])], ["messages", [new HumanMessage("more")]], ["nothing", undefined]], "task");

      const tuple = await saver.getTuple(config);
      expect(tuple?.checkpoint).toEqual(checkpoint);
      expect(tuple?.checkpoint.channel_values.bytes).toBeInstanceOf(Uint8Array);
      expect(tuple?.checkpoint.channel_values.map).toBeInstanceOf(Map);
      expect(tuple?.checkpoint.channel_values.set).toBeInstanceOf(Set);
      expect("nothing" in (tuple?.checkpoint.channel_values ?? {})).toBe(true);
      const messages = tuple?.checkpoint.channel_values.messages as unknown[];
      expect(messages[0]).toBeInstanceOf(HumanMessage);
      expect(messages[1]).toBeInstanceOf(AIMessage);
      expect(messages[2]).toBeInstanceOf(ToolMessage);
      expect((tuple?.metadata as Record<string, unknown>).tags).toEqual(new Set(["a"]));
      expect(tuple?.pendingWrites?.map(([, channel, value]) => [channel, value])).toEqual([
        ["bytes", new Uint8Array([9])],
        ["messages", [new HumanMessage("more")]],
        ["nothing", undefined],
      ]);
    });

    it("writes only the channels in newVersions and reads the others from the version the checkpoint names", async () => {
      const thread = { configurable: { thread_id: "deltas" } };
      const first = checkpointWith({ a: "a1", b: "b1" });
      const c1 = await saver.put(thread, first, meta(), { a: 1, b: 1 });
      const second = { ...checkpointWith({ a: "a1", b: "b2" }, { a: 1, b: 2 }) };
      const c2 = await saver.put(c1, second, meta({ step: 1 }), { b: 2 });
      const blobsKey = (await keysUnder(client, prefix)).find((k) => k.startsWith(keysOf(saver).threadBase("deltas")) && k.includes(":blobs:"))!;
      expect((await client.hkeys(blobsKey)).sort()).toEqual(["a:1", "b:1", "b:2"]);
      expect((await saver.getTuple(c2))?.checkpoint.channel_values).toEqual({ a: "a1", b: "b2" });
      expect((await saver.getTuple(c1))?.checkpoint.channel_values).toEqual({ a: "a1", b: "b1" });
    });

    it("refuses a value the serde cannot handle with a typed error and writes nothing", async () => {
      const before = await snapshot(client, prefix);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const bad = { dumpsTyped: () => Promise.reject(new Error("cannot serialise")), loadsTyped: () => Promise.resolve(undefined) };
      const strict = new RedisSaver({ client, prefix, serde: bad });
      const err = await strict.put({ configurable: { thread_id: "bad" } }, checkpointWith({ a: 1 }), meta(), { a: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SerializationError);
      await expect(strict.putWrites({ configurable: { thread_id: "bad", checkpoint_id: "x" } }, [["a", 1]], "t")).rejects.toBeInstanceOf(SerializationError);
      expect(await snapshot(client, prefix)).toEqual(before);
    });
  });

  describe("putWrites", () => {
    let config: RunnableConfig;
    beforeAll(async () => {
      config = await saver.put({ configurable: { thread_id: "writes" } }, checkpointWith({}), meta(), {});
    });

    it("keeps the first ordinary write of a task and index (a retried task never duplicates)", async () => {
      await saver.putWrites(config, [["x", "first"], ["y", "first"]], "retry-task");
      await saver.putWrites(config, [["x", "second"], ["y", "second"], ["z", "third"]], "retry-task");
      const writes = (await saver.getTuple(config))?.pendingWrites?.filter(([task]) => task === "retry-task");
      expect(writes).toEqual([
        ["retry-task", "x", "first"],
        ["retry-task", "y", "first"],
        ["retry-task", "z", "third"],
      ]);
    });

    it("overwrites writes to special channels (error, interrupt)", async () => {
      await saver.putWrites(config, [[ERROR, "boom 1"], [INTERRUPT, "ask 1"]], "special-task");
      await saver.putWrites(config, [[ERROR, "boom 2"], [INTERRUPT, "ask 2"]], "special-task");
      const writes = (await saver.getTuple(config))?.pendingWrites?.filter(([task]) => task === "special-task");
      // Same index as before (WRITES_IDX_MAP), ordered by index: interrupt (-3) before error (-1).
      expect(writes).toEqual([
        ["special-task", INTERRUPT, "ask 2"],
        ["special-task", ERROR, "boom 2"],
      ]);
    });

    it("returns pending writes ordered by task path, task id, index", async () => {
      const c = await saver.put({ configurable: { thread_id: "ordered" } }, checkpointWith({}), meta(), {});
      await saver.putWrites(c, [["ch", "b-0"], ["ch", "b-1"]], "task-b", "~__pregel_pull, b");
      await saver.putWrites(c, [["ch", "a-0"]], "task-a", "~__pregel_pull, z");
      await saver.putWrites(c, [["ch", "c-0"]], "task-c", "~__pregel_pull, b");
      await saver.putWrites(c, [["ch", "d-0"]], "task-d");
      const values = (await saver.getTuple(c))?.pendingWrites?.map(([, , v]) => v);
      expect(values).toEqual(["d-0", "b-0", "b-1", "c-0", "a-0"]);
    });
  });

  describe("list", () => {
    const thread = "listing";
    const ids: string[] = [];
    beforeAll(async () => {
      let config: RunnableConfig = { configurable: { thread_id: thread } };
      for (let i = 0; i < 250; i++) {
        const checkpoint = checkpointWith({ i });
        ids.push(checkpoint.id);
        const metadata = meta({ step: i, parity: i % 2 === 0 ? "even" : "odd", nested: { tens: Math.floor(i / 10), tags: ["x", i % 3] }, ...(i % 5 === 0 ? { five: true } : {}) });
        config = await saver.put(config, checkpoint, metadata, { i: 1 });
      }
      await saver.put({ configurable: { thread_id: thread, checkpoint_ns: "child" } }, checkpointWith({ sub: 1 }), meta({ step: 999 }), { sub: 1 });
    });

    it("returns every checkpoint newest first across pages, without a default cut-off", async () => {
      const all = await collect(saver.list({ configurable: { thread_id: thread, checkpoint_ns: "" } }));
      expect(all.map((t) => t.checkpoint.id)).toEqual([...ids].reverse());
      expect(all[0]?.parentConfig?.configurable?.checkpoint_id).toBe(ids[248]);
    });

    it("honours limit and before", async () => {
      const page = await collect(saver.list({ configurable: { thread_id: thread, checkpoint_ns: "" } }, { limit: 3, before: { configurable: { checkpoint_id: ids[100] } } }));
      expect(page.map((t) => t.checkpoint.id)).toEqual([ids[99], ids[98], ids[97]]);
    });

    it("filters on any metadata key, nested objects and arrays included, by deep equality", async () => {
      const base = { configurable: { thread_id: thread, checkpoint_ns: "" } };
      const steps = async (filter: Record<string, unknown>) => (await collect(saver.list(base, { filter }))).map((t) => t.metadata?.step);
      expect(await steps({ nested: { tens: 3, tags: ["x", 1] } })).toEqual([37, 34, 31]);
      expect(await steps({ nested: { tags: ["x", 1], tens: 3 } })).toEqual([37, 34, 31]); // key order does not matter
      expect(await steps({ nested: { tens: 3 } })).toEqual([]); // not a subset match
      expect(await steps({ parity: "odd", five: true, step: 15 })).toEqual([15]);
      expect((await steps({ five: true })).length).toBe(50);
      expect(await steps({ missing: "x" })).toEqual([]);
      expect((await steps({ five: undefined })).length).toBe(200); // undefined = key absent
      const limited = await collect(saver.list(base, { filter: { parity: "even" }, limit: 2, before: { configurable: { checkpoint_id: ids[10] } } }));
      expect(limited.map((t) => t.metadata?.step)).toEqual([8, 6]);
    });

    it("lists every namespace of a thread when none is given, and exactly one checkpoint when checkpoint_id is", async () => {
      const all = await collect(saver.list({ configurable: { thread_id: thread } }, { limit: 1 }));
      expect(all[0]?.config.configurable?.checkpoint_ns).toBe("child"); // the newest checkpoint overall
      expect((await collect(saver.list({ configurable: { thread_id: thread } }))).length).toBe(251);
      const one = await collect(saver.list({ configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: ids[5] } }));
      expect(one.map((t) => t.checkpoint.id)).toEqual([ids[5]]);
    });

    it("refuses a bad limit or filter with a typed error", async () => {
      await expect(collect(saver.list({ configurable: { thread_id: thread } }, { limit: -1 }))).rejects.toBeInstanceOf(InvalidInputError);
      await expect(collect(saver.list({ configurable: { thread_id: thread } }, { filter: [] as unknown as Record<string, unknown> }))).rejects.toBeInstanceOf(InvalidInputError);
    });
  });

  describe("versions", () => {
    it("increase along a branch and differ between branches forked from one checkpoint", () => {
      let v: number | undefined;
      for (let i = 0; i < 1000; i++) {
        const next = saver.getNextVersion(v);
        if (v !== undefined) expect(next).toBeGreaterThan(v);
        expect(Math.floor(next)).toBe(i + 1);
        v = next;
      }
      const forks = new Set(Array.from({ length: 10_000 }, () => saver.getNextVersion(41.5)));
      expect(forks.size).toBe(10_000);
      expect(saver.getNextVersion(7)).toBeGreaterThan(8);
      expect(saver.getNextVersion("00000000000000000003.abc" as unknown as number)).toBeGreaterThan(4);
    });
  });

  describe("construction", () => {
    it("refuses a missing client or a prefix with braces", () => {
      expect(() => new RedisSaver({} as never)).toThrow(InvalidInputError);
      expect(() => new RedisSaver({ client: {} as never })).toThrow(/ioredis/);
      expect(() => new RedisSaver({ client, prefix: "{app}" })).toThrow(/prefix/);
      expect(() => new RedisSaver({ client, prefix: "" })).toThrow(/prefix/);
    });

    it("closes only the client it created", async () => {
      const own = ownedSaver(randomPrefix());
      expect(await own.client.ping()).toBe("PONG");
      await own.close();
      expect(own.client.status).toBe("end");

      const mine = newClient();
      const borrowed = new RedisSaver({ client: mine, prefix: randomPrefix() });
      await borrowed.close();
      expect(await mine.ping()).toBe("PONG");
      await mine.quit();
    });

    it("closes its client only after the putWrites calls in flight, even those not awaited", async () => {
      const prefix = randomPrefix();
      const own = ownedSaver(prefix);
      const config = await own.put({ configurable: { thread_id: "closing" } }, checkpointWith({ a: 1 }), meta(), { a: 1 });
      await new Promise((resolve) => setTimeout(resolve, 50)); // the put's thread index entry, sent beside it, has landed
      const writing = own.putWrites(config, [["a", 2]], "last-task"); // not awaited before close
      await own.close();
      await writing;
      const reader = new RedisSaver({ client, prefix });
      expect((await reader.getTuple(config))!.pendingWrites).toEqual([["last-task", "a", 2]]);
      await reader.deleteThread("closing");
    });

    it("serialises to a short string, never its client (LangGraph puts checkpointers in configs)", () => {
      expect(JSON.stringify({ checkpointer: saver })).toBe('{"checkpointer":"[RedisSaver]"}');
    });
  });
});
