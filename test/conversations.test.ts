// ConversationManager against a real Redis and real graphs: metadata, listing by activity,
// paging, access control, messages, bad input, round trips.
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import {
  ConversationExistsError,
  ConversationManager,
  InvalidInputError,
  NotFoundError,
  RedisSaver,
  type Conversation,
} from "../src/index.js";
import { chatGraph as sharedChatGraph } from "./helpers/graphs.js";
import { keysOf, keysUnder, snapshot, testSaver } from "./helpers/redis.js";

/** The chat graph, recording the messages its model saw. */
function chatGraph(saver: RedisSaver, seen?: BaseMessage[][]) {
  return sharedChatGraph(saver, {
    kind: "ordinary",
    model: (messages) => {
      seen?.push([...messages]);
      return new AIMessage(`reply to ${String(messages.at(-1)?.content)}`);
    },
  });
}

const ids = (page: { conversations: Conversation[] }) => page.conversations.map((c) => c.threadId);

describe("ConversationManager", () => {
  const ctx = testSaver();
  const { saver, client, prefix } = ctx;
  const manager = new ConversationManager({ saver });
  afterAll(async () => {
    await ctx.cleanup();
  });

  describe("create and get", () => {
    it("stores and returns every metadata field", async () => {
      const before = Date.now();
      const c = await manager.createConversation({
        userId: "alice",
        metadata: { agentId: "support", title: "Refund", description: "Order 42 arrived broken", tags: ["billing", "urgent"], customData: { priority: "high", order: { id: 42, items: [1, 2] } } },
      });
      expect(c.threadId).toMatch(/^[0-9a-f-]{36}$/);
      expect(c).toMatchObject({ userId: "alice", agentId: "support", title: "Refund", description: "Order 42 arrived broken", tags: ["billing", "urgent"], customData: { priority: "high", order: { id: 42, items: [1, 2] } } });
      expect(Date.parse(c.createdAt)).toBeGreaterThanOrEqual(before - 5);
      expect(Date.parse(c.updatedAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(await manager.getConversation(c.threadId, { userId: "alice" })).toEqual(c);
    });

    it("returns null for a missing conversation and for someone else's, alike", async () => {
      const c = await manager.createConversation({ userId: "alice", metadata: { title: "private" } });
      expect(await manager.getConversation(c.threadId, { userId: "mallory" })).toBeNull();
      expect(await manager.getConversation("no-such-thread", { userId: "alice" })).toBeNull();
    });

    it("attaches a conversation to a thread a graph already ran on", async () => {
      const graph = chatGraph(saver);
      await graph.invoke({ messages: [new HumanMessage("before the conversation")] }, { configurable: { thread_id: "pre-existing" } });
      const c = await manager.createConversation({ userId: "alice", threadId: "pre-existing", metadata: { title: "adopted" } });
      expect(c.threadId).toBe("pre-existing");
      expect((await manager.getMessages("pre-existing", { userId: "alice" })).map((m) => m.content)).toEqual(["before the conversation", "reply to before the conversation"]);
      await expect(manager.createConversation({ userId: "alice", threadId: "pre-existing" })).rejects.toBeInstanceOf(ConversationExistsError);
      await expect(manager.createConversation({ userId: "bob", threadId: "pre-existing" })).rejects.toBeInstanceOf(ConversationExistsError);
    });
  });

  describe("listing", () => {
    it("orders by activity exactly, even for conversations created in the same millisecond", async () => {
      const created = await Promise.all(Array.from({ length: 25 }, (_, i) => manager.createConversation({ userId: "burst", metadata: { title: `c${i}` } })));
      // Created concurrently: the listing order is the order in which Redis saw them.
      const page = await manager.listConversations({ userId: "burst", limit: 100 });
      expect(page.total).toBe(25);
      const updated = page.conversations.map((c) => c.updatedAt);
      expect([...updated].sort().reverse()).toEqual(updated);
      expect(new Set(ids(page))).toEqual(new Set(created.map((c) => c.threadId)));
      // Sequential creates: newest first, exactly.
      const a = await manager.createConversation({ userId: "seq", metadata: { title: "a" } });
      const b = await manager.createConversation({ userId: "seq", metadata: { title: "b" } });
      const c = await manager.createConversation({ userId: "seq", metadata: { title: "c" } });
      expect(ids(await manager.listConversations({ userId: "seq" }))).toEqual([c.threadId, b.threadId, a.threadId]);
      expect(ids(await manager.listConversations({ userId: "seq", order: "asc" }))).toEqual([a.threadId, b.threadId, c.threadId]);
    });

    it("moves a conversation to the top when a graph runs on it, when a message is added, when it is updated", async () => {
      const [first, second, third] = [
        await manager.createConversation({ userId: "active", metadata: { title: "1" } }),
        await manager.createConversation({ userId: "active", metadata: { title: "2" } }),
        await manager.createConversation({ userId: "active", metadata: { title: "3" } }),
      ];
      const top = async () => ids(await manager.listConversations({ userId: "active" }))[0];
      expect(await top()).toBe(third.threadId);
      await chatGraph(saver).invoke({ messages: [new HumanMessage("hi")] }, { configurable: { thread_id: first.threadId } });
      expect(await top()).toBe(first.threadId);
      await manager.addMessage(second.threadId, { role: "user", content: "me too" }, { userId: "active" });
      expect(await top()).toBe(second.threadId);
      await manager.updateConversation(third.threadId, { title: "3!" }, { userId: "active" });
      expect(ids(await manager.listConversations({ userId: "active" }))).toEqual([third.threadId, second.threadId, first.threadId]);
      const graphRun = await manager.getConversation(first.threadId, { userId: "active" });
      expect(Date.parse(graphRun!.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt) - 1);
    });

    it("filters by all given tags and by agent; two users with overlapping tags never see each other's", async () => {
      const mk = (userId: string, tags: string[], agentId?: string) => manager.createConversation({ userId, metadata: { tags, ...(agentId ? { agentId } : {}) } });
      const a1 = await mk("tag-a", ["billing", "urgent"], "support");
      const a2 = await mk("tag-a", ["billing"], "sales");
      const a3 = await mk("tag-a", ["urgent"], "support");
      const b1 = await mk("tag-b", ["billing", "urgent"], "support");
      expect(ids(await manager.listConversations({ userId: "tag-a", tags: ["billing"] }))).toEqual([a2.threadId, a1.threadId]);
      expect(ids(await manager.listConversations({ userId: "tag-a", tags: ["billing", "urgent"] }))).toEqual([a1.threadId]);
      expect(ids(await manager.listConversations({ userId: "tag-a", agentId: "support" }))).toEqual([a3.threadId, a1.threadId]);
      expect(ids(await manager.listConversations({ userId: "tag-a", agentId: "support", tags: ["billing"] }))).toEqual([a1.threadId]);
      expect((await manager.listConversations({ userId: "tag-a", tags: ["billing"] })).total).toBe(2);
      expect(ids(await manager.listConversations({ userId: "tag-b", tags: ["billing", "urgent"] }))).toEqual([b1.threadId]);
      expect(ids(await manager.listConversations({ userId: "tag-a", tags: ["nope"] }))).toEqual([]);
    });

    it("gives the same pages through the walk (large tag sets) and the intersection (small ones)", async () => {
      const all: Array<{ id: string; tags: string[]; even: boolean }> = [];
      for (let i = 0; i < 300; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, (_, j) => {
            const n = i + j;
            const tags = ["common", ...(n % 3 === 0 ? ["third"] : []), ...(n % 7 === 0 ? ["seventh"] : [])];
            return manager.createConversation({ userId: "walker", metadata: { tags, ...(n % 2 === 0 ? { agentId: "even" } : {}) } }).then((c) => ({ id: c.threadId, tags, even: n % 2 === 0 }));
          }),
        );
        all.push(...batch);
      }
      const order = ids(await manager.listConversations({ userId: "walker", limit: 100 })).concat(
        ids(await manager.listConversations({ userId: "walker", limit: 100, offset: 100 })),
        ids(await manager.listConversations({ userId: "walker", limit: 100, offset: 200 })),
      );
      const byId = new Map(all.map((c) => [c.id, c]));
      const expected = (tags: string[], agent?: boolean) =>
        order.filter((id) => tags.every((t) => byId.get(id)!.tags.includes(t)) && (agent === undefined || byId.get(id)!.even));
      // A walk of 3 conversations per call: pages of rare combinations and offsets take several calls.
      const stepping = new ConversationManager({ saver: new RedisSaver({ client, prefix }, { walkMaxNodes: 3 }) });
      for (const m of [manager, stepping]) {
        const pages = async (tags: string[], limit: number, agentId?: string) => {
          const out: string[] = [];
          let cursor: string | undefined;
          let total = -1;
          do {
            const page: Awaited<ReturnType<typeof m.listConversations>> = await m.listConversations({ userId: "walker", tags, limit, ...(agentId ? { agentId } : {}), ...(cursor ? { cursor } : {}) });
            out.push(...ids(page));
            total = page.total;
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          return { out, total };
        };
        for (const [tags, limit, agent] of [[["common"], 7], [["common"], 100], [["common", "third"], 5], [["common", "third"], 50], [["seventh", "common"], 4], [["common"], 9, "even"]] as Array<[string[], number, string?]>) {
          const { out, total } = await pages(tags, limit, agent);
          const want = expected(tags, agent ? true : undefined);
          expect(out, `${tags.join("+")} limit ${limit}`).toEqual(want);
          expect(total).toBe(want.length);
        }
        expect(ids(await m.listConversations({ userId: "walker", tags: ["common"], offset: 10, limit: 5 }))).toEqual(expected(["common"]).slice(10, 15));
        expect(ids(await m.listConversations({ userId: "walker", tags: ["common", "seventh"], offset: 20, limit: 5 }))).toEqual(expected(["common", "seventh"]).slice(20, 25));
        expect(ids(await m.listConversations({ userId: "walker", tags: ["common", "third"], offset: 60, limit: 100 }))).toEqual(expected(["common", "third"]).slice(60));
      }
    });

    it("pages with a cursor while new conversations are created, missing and repeating nothing", async () => {
      const initial: string[] = [];
      for (let i = 0; i < 35; i++) initial.push((await manager.createConversation({ userId: "pager", metadata: { title: `p${i}` } })).threadId);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<typeof manager.listConversations>> = await manager.listConversations({ userId: "pager", limit: 7, ...(cursor ? { cursor } : {}) });
        seen.push(...ids(page));
        cursor = page.nextCursor ?? undefined;
        pages++;
        // Meanwhile, new conversations arrive (they go to the top, before the cursor).
        await manager.createConversation({ userId: "pager", metadata: { title: `new ${pages}` } });
      } while (cursor);
      expect(seen).toEqual([...initial].reverse());
      expect(pages).toBe(5);
    });

    it("pages past entries left over from an interrupted delete without stopping early", async () => {
      const created: string[] = [];
      for (let i = 0; i < 10; i++) created.push((await manager.createConversation({ userId: "leftover", metadata: { title: `l${i}` } })).threadId);
      const newestFirst = [...created].reverse();
      // Records 2..4 gone, their listing entries still there (what an interrupted delete leaves).
      for (const id of newestFirst.slice(2, 5)) await client.hdel(`${keysOf(saver).userBase("leftover")}:meta`, id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page: Awaited<ReturnType<typeof manager.listConversations>> = await manager.listConversations({ userId: "leftover", limit: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...ids(page));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...newestFirst.slice(0, 2), ...newestFirst.slice(5)]);
      expect((await manager.listConversations({ userId: "leftover", limit: 100 })).total).toBe(7); // cleaned as they were met
    });

    it("pages with offset; limit defaults to 20, at most 100", async () => {
      for (let i = 0; i < 23; i++) await manager.createConversation({ userId: "offset", metadata: { title: `o${i}` } });
      const all = ids(await manager.listConversations({ userId: "offset", limit: 100 }));
      const first = await manager.listConversations({ userId: "offset" });
      expect(first.conversations).toHaveLength(20);
      expect(first.total).toBe(23);
      expect(ids(await manager.listConversations({ userId: "offset", offset: 20 }))).toEqual(all.slice(20));
      expect(ids(await manager.listConversations({ userId: "offset", offset: 5, limit: 3 }))).toEqual(all.slice(5, 8));
      await expect(manager.listConversations({ userId: "offset", limit: 101 })).rejects.toBeInstanceOf(InvalidInputError);
      // A page walks past its offset inside one script: deep pages go by cursor.
      expect(ids(await manager.listConversations({ userId: "offset", offset: 1000 }))).toEqual([]);
      await expect(manager.listConversations({ userId: "offset", offset: 1001 })).rejects.toBeInstanceOf(InvalidInputError);
    });
  });

  describe("update and delete", () => {
    it("updates part of the metadata; tag and agent indexes follow", async () => {
      const c = await manager.createConversation({ userId: "upd", metadata: { agentId: "a1", title: "t", description: "d", tags: ["x", "y"], customData: { k: 1 } } });
      const u = await manager.updateConversation(c.threadId, { tags: ["y", "z"], agentId: "a2", description: null }, { userId: "upd" });
      expect(u).toMatchObject({ agentId: "a2", title: "t", description: null, tags: ["y", "z"], customData: { k: 1 } });
      expect(await manager.getConversation(c.threadId, { userId: "upd" })).toEqual(u);
      expect(ids(await manager.listConversations({ userId: "upd", tags: ["x"] }))).toEqual([]);
      expect(ids(await manager.listConversations({ userId: "upd", tags: ["z"] }))).toEqual([c.threadId]);
      expect(ids(await manager.listConversations({ userId: "upd", agentId: "a1" }))).toEqual([]);
      expect(ids(await manager.listConversations({ userId: "upd", agentId: "a2" }))).toEqual([c.threadId]);
    });

    it("keeps concurrent updates of different fields (compare-and-set, retried)", async () => {
      const c = await manager.createConversation({ userId: "cas", metadata: { title: "t" } });
      await Promise.all([
        manager.updateConversation(c.threadId, { title: "new title" }, { userId: "cas" }),
        manager.updateConversation(c.threadId, { description: "new description" }, { userId: "cas" }),
        manager.updateConversation(c.threadId, { tags: ["t1"] }, { userId: "cas" }),
      ]);
      expect(await manager.getConversation(c.threadId, { userId: "cas" })).toMatchObject({ title: "new title", description: "new description", tags: ["t1"] });
    });

    it("deletes the conversation and leaves no key (and no index entry) that names its thread", async () => {
      const c = await manager.createConversation({ userId: "del", metadata: { agentId: "agent", tags: ["gone", "kept"] } });
      const other = await manager.createConversation({ userId: "del", metadata: { tags: ["kept"] } });
      await chatGraph(saver).invoke({ messages: [new HumanMessage("to be deleted")] }, { configurable: { thread_id: c.threadId } });
      await manager.addMessage(c.threadId, { role: "user", content: "more" }, { userId: "del" });

      expect(await manager.deleteConversation(c.threadId, { userId: "del" })).toBe(true);
      expect(await manager.deleteConversation(c.threadId, { userId: "del" })).toBe(false);
      expect(await manager.getConversation(c.threadId, { userId: "del" })).toBeNull();
      expect(ids(await manager.listConversations({ userId: "del", tags: ["kept"] }))).toEqual([other.threadId]);

      const escaped = keysOf(saver).threadBase(c.threadId);
      const dump = JSON.stringify(await snapshot(client, prefix));
      expect((await keysUnder(client, prefix)).filter((k) => k.includes(c.threadId) || k.startsWith(escaped))).toEqual([]);
      expect(dump).not.toContain(c.threadId);
    });
  });

  describe("messages", () => {
    it("addMessage appends a checkpoint that the next graph.invoke sees in its state", async () => {
      const c = await manager.createConversation({ userId: "msg", metadata: { title: "m" } });
      const seen: BaseMessage[][] = [];
      const graph = chatGraph(saver, seen);
      const config = { configurable: { thread_id: c.threadId } };

      await manager.addMessage(c.threadId, { role: "system", content: "You are terse." }, { userId: "msg" });
      await manager.addMessage(c.threadId, new HumanMessage({ content: "first", id: "h1" }), { userId: "msg" });
      await graph.invoke({ messages: [new HumanMessage("question")] }, config);
      expect(seen[0]!.map((m) => `${m.getType()}:${String(m.content)}`)).toEqual(["system:You are terse.", "human:first", "human:question"]);

      await manager.addMessage(c.threadId, { role: "assistant", content: "an aside", name: "helper" }, { userId: "msg" });
      await graph.invoke({ messages: [new HumanMessage("again")] }, config);
      expect(seen[1]!.map((m) => String(m.content))).toEqual(["You are terse.", "first", "question", "reply to question", "an aside", "again"]);
      const messages = await manager.getMessages(c.threadId, { userId: "msg" });
      expect(messages.map((m) => String(m.content))).toEqual(["You are terse.", "first", "question", "reply to question", "an aside", "again", "reply to again"]);
      expect(messages[4]).toBeInstanceOf(AIMessage);
      expect(messages[4]!.name).toBe("helper");
      expect((await graph.getState(config)).values.messages).toHaveLength(7);

      // A message with an id already there replaces it, as LangGraph's reducer does.
      await manager.addMessage(c.threadId, new HumanMessage({ content: "first (edited)", id: "h1" }), { userId: "msg" });
      expect((await manager.getMessages(c.threadId, { userId: "msg" }))[1]!.content).toBe("first (edited)");
    });

    it("concurrent addMessage calls all land on the active branch", async () => {
      const c = await manager.createConversation({ userId: "msg", metadata: { title: "busy" } });
      await manager.addMessage(c.threadId, { role: "user", content: "first" }, { userId: "msg" });
      await Promise.all(Array.from({ length: 6 }, (_, i) => manager.addMessage(c.threadId, { role: "user", content: `m${i}` }, { userId: "msg" })));
      const messages = (await manager.getMessages(c.threadId, { userId: "msg" })).map((m) => String(m.content));
      expect(messages[0]).toBe("first");
      expect(messages.slice(1).sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
      expect(await manager.listBranches(c.threadId, { userId: "msg" })).toHaveLength(1);
    });

    it("getMessages reads a given checkpoint", async () => {
      const c = await manager.createConversation({ userId: "msg", metadata: {} });
      const { checkpointId } = await manager.addMessage(c.threadId, { role: "user", content: "one" }, { userId: "msg" });
      await manager.addMessage(c.threadId, { role: "user", content: "two" }, { userId: "msg" });
      expect((await manager.getMessages(c.threadId, { userId: "msg", checkpointId })).map((m) => m.content)).toEqual(["one"]);
      expect((await manager.getMessages(c.threadId, { userId: "msg" })).map((m) => m.content)).toEqual(["one", "two"]);
      await expect(manager.getMessages(c.threadId, { userId: "msg", checkpointId: "nope" })).rejects.toBeInstanceOf(NotFoundError);
      const empty = await manager.createConversation({ userId: "msg", metadata: {} });
      expect(await manager.getMessages(empty.threadId, { userId: "msg" })).toEqual([]);
    });
  });

  describe("access control", () => {
    it("an intruder gets what a missing conversation gets, for every operation, and changes nothing", async () => {
      const c = await manager.createConversation({ userId: "owner", metadata: { title: "secret", tags: ["t"] } });
      await chatGraph(saver).invoke({ messages: [new HumanMessage("secret stuff")] }, { configurable: { thread_id: c.threadId } });
      const before = await snapshot(client, prefix);

      const asIntruder = { userId: "intruder" };
      const outcomes = async (threadId: string) => ({
        get: await manager.getConversation(threadId, asIntruder),
        update: await manager.updateConversation(threadId, { title: "mine now" }, asIntruder).catch((e: unknown) => (e as Error).constructor.name),
        addMessage: await manager.addMessage(threadId, { role: "user", content: "injected" }, asIntruder).catch((e: unknown) => (e as Error).constructor.name),
        getMessages: await manager.getMessages(threadId, asIntruder).catch((e: unknown) => (e as Error).constructor.name),
        delete: await manager.deleteConversation(threadId, asIntruder),
      });
      const onTheirs = await outcomes(c.threadId);
      expect(onTheirs).toEqual({ get: null, update: "NotFoundError", addMessage: "NotFoundError", getMessages: "NotFoundError", delete: false });
      expect(await outcomes("does-not-exist")).toEqual(onTheirs);
      expect(ids(await manager.listConversations({ userId: "intruder" }))).toEqual([]);
      expect(ids(await manager.listConversations({ userId: "intruder", tags: ["t"] }))).toEqual([]);

      const after = await snapshot(client, prefix);
      for (const key of Object.keys({ ...before, ...after })) expect(after[key], key).toEqual(before[key]);
      expect((await manager.getConversation(c.threadId, { userId: "owner" }))?.title).toBe("secret");
    });
  });

  describe("bad input", () => {
    it("is refused with a typed error carrying the zod issues, and nothing is written", async () => {
      const c = await manager.createConversation({ userId: "strict", metadata: { title: "x" } });
      const before = await snapshot(client, prefix);
      const refusals: Array<Promise<unknown>> = [
        manager.createConversation({ userId: "", metadata: {} }),
        manager.createConversation({ userId: "u", metadata: { tags: "billing" as unknown as string[] } }),
        manager.createConversation({ userId: "u", metadata: { tags: [1, 2] as unknown as string[] } }),
        manager.createConversation({ userId: "u", metadata: { title: 42 as unknown as string } }),
        manager.createConversation({ userId: "u", metadata: { customData: { f: () => 1 } as unknown as Record<string, unknown> } }),
        manager.createConversation({ userId: "u", metadata: { colour: "red" } as never }),
        manager.listConversations({ userId: "strict", limit: 0 }),
        manager.listConversations({ userId: "strict", limit: 1000 }),
        manager.listConversations({ userId: "strict", cursor: "not-a-cursor" }),
        manager.listConversations({ userId: "strict", cursor: Buffer.from(JSON.stringify({ v: 1, s: "1", f: "forged" })).toString("base64url") }),
        manager.getConversation(c.threadId, { userId: "" }),
        manager.updateConversation(c.threadId, { title: 7 as unknown as string }, { userId: "strict" }),
        manager.addMessage(c.threadId, { role: "robot", content: "hi" } as never, { userId: "strict" }),
        manager.addMessage(c.threadId, { role: "tool", content: "hi" }, { userId: "strict" }),
        manager.getMessages("", { userId: "strict" }),
      ];
      for (const refusal of refusals) {
        const err = await refusal.then(
          () => "accepted",
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as InvalidInputError).code).toBe("INVALID_INPUT");
      }
      const withIssues = (await manager.createConversation({ userId: "u", metadata: { title: 42 as unknown as string } }).catch((e: unknown) => e)) as InvalidInputError;
      expect(withIssues.issues[0]).toMatchObject({ path: ["metadata", "title"] });
      expect(await snapshot(client, prefix)).toEqual(before);
    });

    it("a cursor from another listing (other user, tags or order) is refused", async () => {
      for (let i = 0; i < 3; i++) await manager.createConversation({ userId: "cur", metadata: { tags: ["a"] } });
      const page = await manager.listConversations({ userId: "cur", limit: 1 });
      expect(page.nextCursor).not.toBeNull();
      await expect(manager.listConversations({ userId: "other", cursor: page.nextCursor! })).rejects.toThrow(/unknown cursor/);
      await expect(manager.listConversations({ userId: "cur", tags: ["a"], cursor: page.nextCursor! })).rejects.toThrow(/unknown cursor/);
      expect((await manager.listConversations({ userId: "cur", cursor: page.nextCursor! })).conversations).toHaveLength(2);
    });
  });

});
