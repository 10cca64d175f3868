// Round trips per operation, counted as the server sees them: MONITOR on a second connection
// records what one client sends. (Single node only: on a Cluster the same commands go to the node
// that owns each slot.)
import type { RunnableConfig } from "@langchain/core/runnables";
import { Redis } from "ioredis";
import { ConversationManager, RedisSaver } from "../src/index.js";
import { recordCommands, roundTripsOf } from "./helpers/monitor.js";
import { redisUrl, testSaver } from "./helpers/redis.js";
import { checkpointWith, collect, meta } from "./helpers/fixtures.js";
import { chatGraph } from "./helpers/graphs.js";
import { HumanMessage } from "@langchain/core/messages";

const newClient = () => new Redis(redisUrl());


describe("round trips", () => {
  const ctx = testSaver();
  const { prefix } = ctx;
  afterAll(async () => {
    await ctx.cleanup();
  });

    it("sends one script per operation; the first put of a thread also enters it in the thread index", async () => {
      const observed = newClient();
      const probe = new RedisSaver({ client: observed, prefix });
      const { sent, stop } = await recordCommands(observed);
      const checkpoint = checkpointWith({ a: 1 });
      let config: RunnableConfig = { configurable: { thread_id: "rt" } };
      await probe.put(config, checkpointWith({}), meta(), {}); // the first call of a script on a new server also loads its library (FUNCTION LOAD)
      await probe.getTuple(config);
      await collect(probe.list(config, { limit: 10 }));
      await probe.putWrites({ configurable: { thread_id: "rt", checkpoint_id: "x" } }, [["a", 1]], "t");
      await probe.deleteThread("rt-warm-up");

      expect(await sent(async () => (config = await probe.put(config, checkpoint, meta(), { a: 1 })))).toEqual(["fcall"]);
      expect(await sent(() => probe.put({ configurable: { thread_id: "rt-new" } }, checkpointWith({ a: 1 }), meta(), { a: 1 }))).toEqual(["fcall", "zadd"]);
      expect(await sent(() => probe.putWrites(config, [["a", 2], ["b", 3]], "task"))).toEqual(["fcall"]);
      expect(await sent(() => probe.getTuple(config))).toEqual(["fcall"]);
      expect(await sent(() => probe.getTuple({ configurable: { thread_id: "rt" } }))).toEqual(["fcall"]);
      expect(await sent(() => collect(probe.list({ configurable: { thread_id: "rt" } }, { limit: 10 })))).toEqual(["fcall"]);
      expect(await sent(() => probe.deleteThread("rt"))).toEqual(["fcall", "zrem"]);
      // With a TTL too, while the deadline needs no move (a move of a big thread takes steps).
      const expiring = new RedisSaver({ client: observed, prefix, ttl: { defaultTTL: 60 } });
      const first = await expiring.put({ configurable: { thread_id: "rt-ttl" } }, checkpointWith({ a: 1 }), meta(), { a: 1 });
      expect(await sent(() => expiring.put(first, checkpointWith({ a: 2 }, { a: 2 }), meta(), { a: 2 }))).toEqual(["fcall"]);
      expect(await sent(() => expiring.getTuple(first))).toEqual(["fcall"]);
      await expiring.deleteThread("rt-ttl");
      await stop();
      await observed.quit();
    });

    it("the writes of tasks that finish together go as one script call, a call per thread", async () => {
      const observed = newClient();
      const probe = new RedisSaver({ client: observed, prefix });
      const config = await probe.put({ configurable: { thread_id: "rt-batch" } }, checkpointWith({ a: 1 }), meta(), { a: 1 });
      const other = await probe.put({ configurable: { thread_id: "rt-batch-other" } }, checkpointWith({ a: 1 }), meta(), { a: 1 });
      const pending = { configurable: { thread_id: "rt-batch", checkpoint_ns: "", checkpoint_id: "not-put-yet" } };
      await probe.putWrites(config, [["warm", 0]], "warm-up");
      const { sent, stop } = await recordCommands(observed);
      // Three tasks of one thread (two checkpoints) in one turn of the event loop: one call.
      expect(await sent(() => Promise.all([probe.putWrites(config, [["a", 1], ["b", 2]], "t1"), probe.putWrites(config, [["a", 3]], "t2"), probe.putWrites(pending, [["c", 4]], "t3")]))).toEqual(["fcall"]);
      // Two threads: one call each.
      expect(await sent(() => Promise.all([probe.putWrites(config, [["a", 5]], "t4"), probe.putWrites(other, [["a", 6]], "t5")]))).toEqual(["fcall", "fcall"]);
      const tuple = await probe.getTuple(config);
      expect(tuple!.pendingWrites!.map(([task, channel, value]) => `${task}:${channel}:${String(value)}`).sort()).toEqual(["t1:a:1", "t1:b:2", "t2:a:3", "t4:a:5", "warm-up:warm:0"]);
      // The writes to a checkpoint not put yet are kept for it (LangGraph sends a step's writes before its put).
      await probe.put({ configurable: { thread_id: "rt-batch" } }, { ...checkpointWith({ a: 2 }), id: "not-put-yet" }, meta(), { a: 2 });
      expect((await probe.getTuple(pending))!.pendingWrites).toEqual([["t3", "c", 4]]);
      // One call carries at most 64 tasks (a script of a few ms): the rest go in further calls. Counted
      // as the client sends them (MONITOR drops lines in a burst of this size).
      const fcalls: string[] = [];
      const sendCommand = observed.sendCommand.bind(observed);
      observed.sendCommand = (...args: Parameters<Redis["sendCommand"]>) => {
        if (args[0].name === "fcall") fcalls.push(String(args[0].args[0]));
        return sendCommand(...args);
      };
      try {
        await Promise.all(Array.from({ length: 300 }, (_, i) => probe.putWrites(config, [["m", i]], `many-${String(i).padStart(3, "0")}`)));
      } finally {
        delete (observed as { sendCommand?: unknown }).sendCommand;
      }
      expect(fcalls).toHaveLength(5);
      expect((await probe.getTuple(config))!.pendingWrites!.filter(([task]) => task.startsWith("many-"))).toHaveLength(300);
      await probe.deleteThread("rt-batch");
      await probe.deleteThread("rt-batch-other");
      await stop();
      await observed.quit();
    });

    it("a conversation's put is one round trip: its owner's activity goes beside the put, and stays exact when the owner changes", async () => {
      const observed = newClient();
      const saver = new RedisSaver({ client: observed, prefix });
      const m = new ConversationManager({ saver });
      const c = await m.createConversation({ userId: "rt-owner", threadId: "rt-owned" });
      await m.createConversation({ userId: "rt-owner", threadId: "rt-owned-later" });
      let config: RunnableConfig = await saver.put({ configurable: { thread_id: c.threadId } }, checkpointWith({ a: 1 }), meta(), { a: 1 });
      const top = async (userId: string) => (await m.listConversations({ userId })).conversations.map((x) => x.threadId);
      await m.listConversations({ userId: "rt-owner" });
      const { sent, stop } = await recordCommands(observed);
      let trips = 0;
      const put = (n: number) => async () => {
        trips = await roundTripsOf(observed, async () => (config = await saver.put(config, checkpointWith({ a: n }, { a: n }), meta(), { a: n })));
      };

      // The put's script and the touch of the owner's listing, sent together.
      await m.createConversation({ userId: "rt-owner", threadId: "rt-owned-newer" });
      expect(await sent(put(2))).toEqual(["fcall", "fcall"]);
      expect(trips).toBe(1);
      await observed.ping(); // after the touch, sent on this connection before put returned
      expect((await top("rt-owner"))[0]).toBe(c.threadId);

      // Another process deletes the conversation and makes it anew for someone else: the touch sent
      // ahead finds nothing in the old owner's index, and the new owner's is touched on the reply.
      const other = newClient();
      const elsewhere = new ConversationManager({ saver: new RedisSaver({ client: other, prefix }) });
      await elsewhere.deleteConversation(c.threadId, { userId: "rt-owner" });
      await elsewhere.createConversation({ userId: "rt-new-owner", threadId: c.threadId });
      await elsewhere.createConversation({ userId: "rt-new-owner", threadId: "rt-owned-by-new" });
      config = await saver.put({ configurable: { thread_id: c.threadId } }, checkpointWith({ a: 3 }), meta(), { a: 3 });
      await observed.ping(); // after the touch, sent on this connection before put returned
      expect(await top("rt-owner")).not.toContain(c.threadId);
      expect((await top("rt-new-owner"))[0]).toBe(c.threadId);
      // Then it knows the new owner: one round trip again.
      await elsewhere.createConversation({ userId: "rt-new-owner", threadId: "rt-owned-by-new-2" });
      expect(await sent(put(4))).toEqual(["fcall", "fcall"]);
      expect(trips).toBe(1);
      await observed.ping(); // after the touch, sent on this connection before put returned
      expect((await top("rt-new-owner"))[0]).toBe(c.threadId);
      await stop();
      await Promise.all([observed.quit(), other.quit()]);
    });

    it("getConversation and a listing page (tag filters included) are one script call each", async () => {
      const observed = newClient();
      const m = new ConversationManager({ saver: new RedisSaver({ client: observed, prefix }) });
      const c = await m.createConversation({ userId: "rt", metadata: { tags: ["a", "b"] } });
      await m.getConversation(c.threadId, { userId: "rt" });
      await m.listConversations({ userId: "rt" });
      await m.getMessages(c.threadId, { userId: "rt" });
      const { sent, stop } = await recordCommands(observed);
      expect(await sent(() => m.getConversation(c.threadId, { userId: "rt" }))).toEqual(["fcall"]);
      expect(await sent(() => m.listConversations({ userId: "rt" }))).toEqual(["fcall"]);
      expect(await sent(() => m.listConversations({ userId: "rt", tags: ["a", "b"], agentId: "x" }))).toEqual(["fcall"]);
      expect(await sent(() => m.getMessages(c.threadId, { userId: "rt" }))).toEqual(["fcall"]);
      await stop();
      await observed.quit();
    });

    it("graph.getState on a 40-turn DeltaChannel thread sends 2 commands, from a cold process and a warm one", async () => {
      const writer = chatGraph(ctx.saver);
      const config = { configurable: { thread_id: "rt-delta-40" } };
      for (let i = 0; i < 40; i++) await writer.invoke({ messages: [new HumanMessage(`q${i}`)] }, config);
      const observed = newClient();
      const graph = chatGraph(new RedisSaver({ client: observed, prefix }));
      await writer.invoke({ messages: [new HumanMessage("hi")] }, { configurable: { thread_id: "rt-delta-warm-up" } });
      await graph.getState({ configurable: { thread_id: "rt-delta-warm-up" } }); // the first call of a script on a new server also loads its library
      const { sent, stop } = await recordCommands(observed);
      let messages = 0;
      expect(await sent(async () => (messages = (await graph.getState(config)).values.messages.length))).toEqual(["fcall", "fcall"]);
      expect(messages).toBe(80);
      await writer.invoke({ messages: [new HumanMessage("one more")] }, config);
      expect(await sent(async () => (messages = (await graph.getState(config)).values.messages.length))).toEqual(["fcall", "fcall"]);
      expect(messages).toBe(82);
      await stop();
      await observed.quit();
    });

    it("a warm read walks only the checkpoints written since the last one: one script call where a cold read needs many", async () => {
      const config = { configurable: { thread_id: "rt-delta-warm" } };
      const writer = chatGraph(ctx.saver);
      for (let i = 0; i < 10; i++) await writer.invoke({ messages: [new HumanMessage(`q${i}`)] }, config);
      const observed = newClient();
      // Four checkpoints per script call: a cold read of 30 checkpoints takes 8 calls.
      const saver = new RedisSaver({ client: observed, prefix }, { walkMaxNodes: 4 });
      await writer.invoke({ messages: [new HumanMessage("hi")] }, { configurable: { thread_id: "rt-delta-warm-up-2" } });
      await saver.getDeltaChannelHistory({ config: { configurable: { thread_id: "rt-delta-warm-up-2" } }, channels: ["messages"] });
      const { sent, stop } = await recordCommands(observed);
      expect((await sent(() => saver.getDeltaChannelHistory({ config, channels: ["messages"] }))).length).toBe(8);
      await writer.invoke({ messages: [new HumanMessage("one more")] }, config);
      expect(await sent(() => saver.getDeltaChannelHistory({ config, channels: ["messages"] }))).toEqual(["fcall"]);
      await stop();
      await observed.quit();
    });

    it("getMessages of a DeltaChannel thread is one script call", async () => {
      const observed = newClient();
      const m = new ConversationManager({ saver: new RedisSaver({ client: observed, prefix }) });
      const c = await m.createConversation({ userId: "rt-delta" });
      const graph = chatGraph(ctx.saver);
      for (let i = 0; i < 5; i++) await graph.invoke({ messages: [new HumanMessage(`q${i}`)] }, { configurable: { thread_id: c.threadId } });
      await m.getMessages(c.threadId, { userId: "rt-delta" });
      const { sent, stop } = await recordCommands(observed);
      expect(await sent(() => m.getMessages(c.threadId, { userId: "rt-delta" }))).toEqual(["fcall"]);
      await stop();
      await observed.quit();
    });
});
