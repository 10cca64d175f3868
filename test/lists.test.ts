// Lists stored element by element (src/lua/includes/lists.lua): every list version reads back
// exactly, across branches, duplicates and edits, from this process and a cold one; each element
// is stored once per thread; prune, forks and deletes keep what kept checkpoints need and release
// the rest; a list start that is gone is sent again, never read wrong; a lost element is an error.
import { AIMessage, HumanMessage, RemoveMessage, isBaseMessage, type BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";
import { Cluster, type Redis } from "ioredis";
import { ConversationManager, RedisSaver, isStorageError } from "../src/index.js";
import { escapeKeyPart } from "../src/keys.js";
import { Serde } from "../src/threads/serde.js";
import { chatGraph, contents, re } from "./helpers/graphs.js";
import { collect } from "./helpers/fixtures.js";
import { keysOf, redisPerTest } from "./helpers/redis.js";

const meta = { source: "loop" as const, step: 1, parents: {} };

/** The items hash of a thread's namespace and what it holds, by kind. */
async function items(saver: RedisSaver, threadId: string, ns = "") {
  const key = `${keysOf(saver).threadBase(threadId)}:items:${escapeKeyPart(ns)}`;
  const all = (await saver.client.hgetallBuffer(key));
  const of = (kind: string) => Object.entries(all).filter(([f]) => f.startsWith(kind));
  return { key, elements: of("e"), nodes: of("n"), joined: of("f") };
}

/** Puts a checkpoint whose `items` channel is `list`, as a new version, after `parent`. */
async function putList(saver: RedisSaver, threadId: string, parent: RunnableConfig | undefined, list: unknown[]): Promise<RunnableConfig> {
  const version = saver.getNextVersion(undefined) + Math.random() * 1000;
  const config = parent ?? { configurable: { thread_id: threadId, checkpoint_ns: "" } };
  return saver.put(config, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { items: list }, channel_versions: { items: version } }, meta, { items: version });
}

async function listAt(saver: RedisSaver, config: RunnableConfig): Promise<unknown> {
  return (await saver.getTuple(config))?.checkpoint.channel_values.items;
}

/** Bytes received over a saver's connections (on a Cluster, one per node). */
function bytesReceived(saver: RedisSaver): number {
  const client = saver.client;
  const connections = client instanceof Cluster ? client.nodes("all") : [client];
  return connections.reduce((n, c) => n + ((c.stream as { bytesRead?: number } | undefined)?.bytesRead ?? 0), 0);
}

/** A 60-message conversation, answers of some 300 characters. */
function history(): BaseMessage[] {
  return Array.from({ length: 60 }, (_, i) => (i % 2 ? new AIMessage({ content: `answer ${i}: ${"the part ships on monday. ".repeat(12)}`, id: `a${i}` }) : new HumanMessage({ content: `question ${i}`, id: `h${i}` })));
}

/** Puts the first `from` messages of history() on `threadId`, then one more message per checkpoint up to 60. */
async function putHistory(saver: RedisSaver, threadId: string, from: number): Promise<{ config: RunnableConfig; listBytes: number; elements: Array<[string, Buffer]> }> {
  const messages = history();
  let config = await putList(saver, threadId, undefined, messages.slice(0, from));
  for (let n = from + 1; n <= 60; n++) config = await putList(saver, threadId, config, messages.slice(0, n));
  const { elements } = await items(saver, threadId);
  return { config, elements, listBytes: elements.reduce((n, [, v]) => n + v.byteLength, 0) };
}

describe("lists element by element", () => {
  const redis = redisPerTest("lists");
  const newSaver = () => new RedisSaver({ client: redis.client, prefix: redis.prefix });

  it("reads back every version of lists with duplicate, shared and changed elements across branches, from this process and a cold one", async () => {
    const pool = ["a", "a", "b", { role: "user", text: "hi" }, { role: "user", text: "hi" }, [1, 2], 7, null, "a much longer element ".repeat(20)];
    const step = fc.record({
      from: fc.nat(),
      edit: fc.oneof(
        fc.record({ append: fc.array(fc.nat({ max: pool.length - 1 }), { minLength: 1, maxLength: 4 }) }),
        fc.record({ remove: fc.nat() }),
        fc.record({ replace: fc.nat(), by: fc.nat({ max: pool.length - 1 }) }),
        fc.record({ mutate: fc.nat() }),
        fc.constant({ same: true }),
      ),
      cold: fc.boolean(),
      // Build on the parent's list as getTuple reads it (as a graph run does), not on the objects put.
      read: fc.boolean(),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const threadId = `prop-${run++}`;
        const warm = newSaver();
        const stored: Array<{ config: RunnableConfig; list: unknown[] }> = [];
        for (const s of steps) {
          const parent = stored.length > 0 ? stored[s.from % stored.length] : undefined;
          const saver = s.cold ? redis.otherSaver() : warm;
          const read = s.read && parent ? ((await listAt(saver, parent.config)) as unknown[]) : undefined;
          let list = [...(read ?? parent?.list ?? [])];
          const e = s.edit;
          if ("append" in e) list.push(...e.append.map((i) => structuredClone(pool[i])));
          else if ("remove" in e && list.length > 1) list.splice(e.remove % list.length, 1);
          else if ("replace" in e && list.length > 0) list[e.replace % list.length] = structuredClone(pool[e.by]);
          else if ("mutate" in e && read && list.length > 0) {
            // An element just read, changed in place before the put (only read ones: the objects
            // put before are the expected values of earlier checkpoints).
            const target = list[e.mutate % list.length];
            if (Array.isArray(target)) target.push(run);
            else if (typeof target === "object" && target !== null) (target as Record<string, unknown>).text = `changed ${run}`;
          }
          if (list.length === 0) list = [pool[0]];
          stored.push({ config: await putList(saver, threadId, parent?.config, list), list });
        }
        const reader = redis.otherSaver();
        for (const { config, list } of stored) expect(await listAt(reader, config)).toEqual(list);
        // A listing sends each element once per reply (later copies as their index): every listed
        // tuple is its list all the same, in one reply or across replies cut short by their bytes.
        const byId = new Map(stored.map(({ config, list }) => [config.configurable?.checkpoint_id as string, list]));
        for (const lister of [reader, new RedisSaver({ client: redis.client, prefix: redis.prefix }, { listMaxBytes: 200 })]) {
          let listed = 0;
          for await (const tuple of lister.list({ configurable: { thread_id: threadId } })) {
            expect(tuple.checkpoint.channel_values.items).toEqual(byId.get(tuple.checkpoint.id));
            listed++;
          }
          expect(listed).toBe(stored.length);
        }
        // Each distinct element once, whatever the branches.
        const distinct = new Set(stored.flatMap(({ list }) => list.map((x) => JSON.stringify(x))));
        expect((await items(warm, threadId)).elements.length).toBe(distinct.size);
        // Prune releases what no kept checkpoint names, and keeps the rest readable.
        await warm.prune([threadId], { keepLast: 1 });
        const kept = stored.reduce((a, b) => (String(b.config.configurable?.checkpoint_id) > String(a.config.configurable?.checkpoint_id) ? b : a));
        expect(await listAt(reader, kept.config)).toEqual(kept.list);
        expect((await items(warm, threadId)).elements.length).toBe(new Set(kept.list.map((x) => JSON.stringify(x))).size);
        await warm.deleteThread(threadId);
        expect(await redis.client.exists((await items(warm, threadId)).key)).toBe(0);
      }),
      { numRuns: 25 },
    );
  });

  it("stores each message once: a thread's elements are its distinct messages, also when a cold process continues it", async () => {
    const saver = newSaver();
    const graph = chatGraph(saver, { kind: "ordinary", model: re });
    const config = { configurable: { thread_id: "chat" } };
    for (let i = 0; i < 10; i++) await graph.invoke({ messages: [new HumanMessage(`question ${i}`)] }, config);
    const cold = chatGraph(redis.otherSaver(), { kind: "ordinary", model: re });
    for (let i = 10; i < 20; i++) await cold.invoke({ messages: [new HumanMessage(`question ${i}`)] }, config);
    const state = await graph.getState(config);
    expect(state.values.messages).toHaveLength(40);
    expect(contents(state.values.messages).slice(-2)).toEqual(["human:question 19", "ai:re: question 19"]);
    const stored = await items(saver, "chat");
    expect(stored.elements).toHaveLength(40);
    // The cold process extended the stored list (its first put found the parent's list as its
    // start) instead of storing a second copy of all of it.
    const elementBytes = stored.elements.reduce((n, [, v]) => n + v.byteLength, 0);
    const joinedBytes = stored.joined.reduce((n, [, v]) => n + v.byteLength, 0);
    expect(joinedBytes).toBeLessThan(elementBytes);
    // Every checkpoint still reads its own messages.
    for await (const tuple of saver.list(config)) {
      const messages = tuple.checkpoint.channel_values.messages as unknown[] | undefined;
      expect(messages?.length ?? 0).toBeLessThanOrEqual(40);
    }
  });

  it("a run on a thread it has just read serialises and sends only its new messages, also after turns written by another process", async () => {
    const saver = newSaver();
    const config = { configurable: { thread_id: "resumed" } };
    const ask = (i: number) => ({ messages: [new HumanMessage(`question ${i}: ${"why is the sky blue at noon and red at dusk? ".repeat(12)}`)] });
    const run = (s: RedisSaver, i: number) => chatGraph(s, { kind: "ordinary", model: re }).invoke(ask(i), config);
    for (let i = 0; i < 20; i++) await run(saver, i);
    const stored = await items(saver, "resumed");
    const messageBytes = stored.elements.reduce((n, [, v]) => n + v.byteLength, 0);

    /** Messages serialised one by one (put's elements; putWrites serialises its lists whole), and bytes sent, in one turn. */
    const turn = async (runner: RedisSaver, i: number) => {
      const dumpTyped = vi.spyOn(Serde.prototype, "dumpTyped");
      let sent = 0;
      const client = runner.client as Redis;
      const sendCommand = client.sendCommand.bind(client);
      client.sendCommand = (...args: Parameters<Redis["sendCommand"]>) => {
        for (const arg of args[0].args) sent += typeof arg === "string" ? Buffer.byteLength(arg) : Buffer.isBuffer(arg) ? arg.byteLength : 0;
        return sendCommand(...args);
      };
      let serialised: number;
      try {
        await run(runner, i);
        serialised = dumpTyped.mock.calls.filter(([value]) => isBaseMessage(value)).length;
      } finally {
        client.sendCommand = sendCommand;
        dumpTyped.mockRestore();
      }
      return { serialised, sent };
    };

    // The process that wrote the thread: the question and its answer, once each. What it sends
    // is the turn's two messages (each in its write and in its put), records and writes; a put
    // that sent the list whole would send more than the thread's messages.
    const warm = await turn(saver, 20);
    expect(warm.serialised).toBe(2);
    expect(warm.sent).toBeLessThan(messageBytes / 2);
    // A process that has not written the thread pays as a whole-list saver would, once: a process
    // that only reads threads is not made to take every list it reads apart.
    const other = redis.otherSaver();
    expect((await turn(other, 21)).serialised).toBeGreaterThan(40);
    // After a turn written elsewhere, the list it reads is not the one it wrote: taken apart from
    // the reply, and its node named as the next put's start.
    await run(saver, 22);
    const again = await turn(other, 23);
    expect(again.serialised).toBe(2);
    expect(again.sent).toBeLessThan(messageBytes / 2);

    const messages = (await chatGraph(saver, { kind: "ordinary", model: re }).getState(config)).values.messages as BaseMessage[];
    expect(contents(messages).slice(-4).map((c) => c.slice(0, 12))).toEqual(["human:questi", "ai:re: quest", "human:questi", "ai:re: quest"]);
    expect(messages).toHaveLength(48);
    expect((await items(saver, "resumed")).elements).toHaveLength(48);
  });

  it.each(["ordinary", "delta"] as const)("turns taken in turn by two processes that both write the thread read back whole through the state reader (%s messages)", async (kind) => {
    const saver = newSaver();
    const other = redis.otherSaver();
    const manager = new ConversationManager({ saver });
    const { threadId } = await manager.createConversation({ userId: "u" });
    const config = { configurable: { thread_id: threadId } };
    const run = (s: RedisSaver, i: number) => chatGraph(s, { kind, model: re, snapshotFrequency: 3 }).invoke({ messages: [new HumanMessage(`question ${i}`)] }, config);
    const expected: string[] = [];
    // Each process reads lists the other wrote since its own last put (taken apart from the reply).
    for (let i = 0; i < 8; i++) {
      await run(i % 3 === 2 ? other : saver, i);
      expected.push(`human:question ${i}`, `ai:re: question ${i}`);
    }
    expect(contents(await manager.getMessages(threadId, { userId: "u" }))).toEqual(expected);
    for (const reader of [saver, other, redis.otherSaver()]) {
      expect(contents((await chatGraph(reader, { kind, model: re, snapshotFrequency: 3 }).getState(config)).values.messages as BaseMessage[])).toEqual(expected);
    }
  });

  it("a message read, then changed in place before the next put, is stored as it is now", async () => {
    const saver = newSaver();
    const other = redis.otherSaver();
    await putList(other, "read-edit", undefined, ["another branch"]); // both processes have written the thread
    const before = await putList(saver, "read-edit", undefined, [new HumanMessage({ content: "book a table for two", id: "h1" }), new AIMessage({ content: "for when?", id: "a1" })]);
    for (const [reader, size] of [[saver, "four"], [other, "six"]] as const) {
      const read = (await listAt(reader, before)) as BaseMessage[];
      read[0]!.content = `book a table for ${size}`;
      (read[1] as AIMessage).additional_kwargs.edited = true;
      const after = await putList(reader, "read-edit", before, [...read, new HumanMessage({ content: "tonight", id: "h2" })]);
      const now = (await listAt(redis.otherSaver(), after)) as AIMessage[];
      expect(contents(now)).toEqual([`human:book a table for ${size}`, "ai:for when?", "human:tonight"]);
      expect(now[1]!.additional_kwargs).toEqual({ edited: true });
    }
    expect(contents((await listAt(redis.otherSaver(), before)) as AIMessage[])).toEqual(["human:book a table for two", "ai:for when?"]);
  });

  it("a prune and a fork keep every message of what they keep", async () => {
    const saver = newSaver();
    const manager = new ConversationManager({ saver });
    const { threadId } = await manager.createConversation({ userId: "u" });
    const graph = chatGraph(saver, { kind: "ordinary", model: re });
    const config = { configurable: { thread_id: threadId } };
    for (let i = 0; i < 12; i++) await graph.invoke({ messages: [new HumanMessage(`question ${i}`)] }, config);
    const before = contents((await graph.getState(config)).values.messages);
    await saver.prune([threadId], { keepLast: 2 });
    expect(contents((await graph.getState(config)).values.messages)).toEqual(before);
    const fork = await manager.forkConversation(threadId, { userId: "u" });
    expect(contents(await manager.getMessages(fork.threadId, { userId: "u" }))).toEqual(before);
    await graph.invoke({ messages: [new HumanMessage("after the fork")] }, { configurable: { thread_id: fork.threadId } });
    expect(contents((await graph.getState({ configurable: { thread_id: fork.threadId } })).values.messages)).toEqual([...before, "human:after the fork", "ai:re: after the fork"]);
    // The source is untouched by what happened on the fork.
    expect(contents((await graph.getState(config)).values.messages)).toEqual(before);
  });

  it("a message changed in place between puts is stored as it is now; the checkpoint before keeps it as it was", async () => {
    const saver = newSaver();
    const first = new HumanMessage({ content: "book a table for two", id: "h1" });
    const reply = new AIMessage({ content: "for when?", id: "a1" });
    const before = await putList(saver, "in-place", undefined, [first, reply]);
    first.content = "book a table for four";
    reply.additional_kwargs.edited = true;
    const after = await putList(saver, "in-place", before, [first, reply, new HumanMessage({ content: "tonight", id: "h2" })]);
    const reader = redis.otherSaver();
    expect(contents((await listAt(reader, before)) as AIMessage[])).toEqual(["human:book a table for two", "ai:for when?"]);
    const now = (await listAt(reader, after)) as AIMessage[];
    expect(contents(now)).toEqual(["human:book a table for four", "ai:for when?", "human:tonight"]);
    expect(now[1]!.additional_kwargs).toEqual({ edited: true });
  });

  it("sends the whole list again when the start it remembers is gone, and never reads it wrong", async () => {
    const saver = newSaver();
    const first = await putList(saver, "gone", undefined, ["one", "two"]);
    expect(await listAt(saver, first)).toEqual(["one", "two"]);
    // Another process deletes the thread: this saver still remembers ["one", "two"] as stored.
    await redis.otherSaver().deleteThread("gone");
    const again = await putList(saver, "gone", undefined, ["one", "two", "three"]);
    expect(await listAt(redis.otherSaver(), again)).toEqual(["one", "two", "three"]);
    expect((await items(saver, "gone")).elements).toHaveLength(3);
  });

  it("a list read, then deleted by another process before the next put, is sent whole again and reads back right", async () => {
    const saver = newSaver();
    await putList(saver, "read-gone", undefined, ["one"]);
    const first = await putList(redis.otherSaver(), "read-gone", undefined, ["one", { two: 2 }]);
    const read = (await listAt(saver, first)) as unknown[]; // a list this process did not write: its node is remembered
    await redis.otherSaver().deleteThread("read-gone");
    const again = await putList(saver, "read-gone", undefined, [...read, "three"]);
    expect(await listAt(redis.otherSaver(), again)).toEqual(["one", { two: 2 }, "three"]);
    expect((await items(saver, "read-gone")).elements).toHaveLength(3);
  });

  /** Puts `count` versions in a line, each one element longer, and a branch off every seventh. */
  async function longChains(saver: RedisSaver, threadId: string, count: number) {
    const stored: Array<{ config: RunnableConfig; list: unknown[] }> = [];
    let line: { config: RunnableConfig | undefined; list: unknown[] } = { config: undefined, list: [] };
    for (let i = 0; i < count; i++) {
      const list = [...line.list, { text: `element ${i}` }];
      line = { config: await putList(saver, threadId, line.config, list), list };
      stored.push(line as { config: RunnableConfig; list: unknown[] });
      if (i % 7 === 6) {
        const from = stored[Math.floor(i / 2)]!;
        const branch = [...from.list, { text: `branch ${i}` }];
        stored.push({ config: await putList(saver, threadId, from.config, branch), list: branch });
      }
    }
    return stored;
  }

  it("long chains of versions (past several segments) read back, and prune and delete release exactly what nothing names", async () => {
    const saver = newSaver();
    const stored = await longChains(saver, "chains", 70);
    const reader = redis.otherSaver();
    for (const { config, list } of stored) expect(await listAt(reader, config)).toEqual(list);
    const distinct = new Set(stored.flatMap(({ list }) => list.map((x) => JSON.stringify(x))));
    expect((await items(saver, "chains")).elements.length).toBe(distinct.size);
    // Each version is one node: 70 in the line and 10 branches.
    expect((await items(saver, "chains")).nodes.length).toBe(80);
    await saver.prune(["chains"], { keepLast: 1 });
    const last = stored.reduce((a, b) => (String(b.config.configurable?.checkpoint_id) > String(a.config.configurable?.checkpoint_id) ? b : a));
    expect(await listAt(reader, last.config)).toEqual(last.list);
    expect((await items(saver, "chains")).elements.length).toBe(last.list.length);
    await saver.deleteThread("chains");
    expect(await redis.client.exists((await items(saver, "chains")).key)).toBe(0);
  });

  it("a thread stored before chain nodes named their whole chain reads, extends and releases the same", async () => {
    const saver = newSaver();
    const stored = await longChains(saver, "older", 40);
    // Rewrite every chain node in the format before cumulative nodes: its own elements only.
    const key = (await items(saver, "older")).key;
    const rewritten = await redis.client.eval(
      `local n = 0
       local all = redis.call("HGETALL", KEYS[1])
       for i = 1, #all, 2 do
         local d, l, p, s, own = string.match(all[i + 1], "^(%d+):(%d+):(%x*):(%x*):(%d+):")
         if string.sub(all[i], 1, 1) == "n" and d then
           redis.call("HSET", KEYS[1], all[i], d .. ":" .. l .. ":" .. p .. ":" .. s .. ":" .. string.sub(all[i + 1], #all[i + 1] + 1 - tonumber(own) * 21))
           n = n + 1
         end
       end
       return n`,
      1,
      key,
    );
    expect(rewritten).toBeGreaterThan(20);
    const reader = redis.otherSaver();
    for (const { config, list } of stored) expect(await listAt(reader, config)).toEqual(list);
    // Extending them: the saver names an old-format node as its start (segments are built from it).
    let line = stored.filter((s) => s.list.length === 40).at(-1)!;
    for (let i = 0; i < 20; i++) {
      const list = [...line.list, { text: `after ${i}` }];
      line = { config: await putList(saver, "older", line.config, list), list };
      stored.push(line);
      expect(await listAt(reader, line.config)).toEqual(list);
    }
    for (const { config, list } of stored) expect(await listAt(reader, config)).toEqual(list);
    await saver.prune(["older"], { keepLast: 1 });
    expect(await listAt(reader, line.config)).toEqual(line.list);
    expect((await items(saver, "older")).elements.length).toBe(line.list.length);
    await saver.deleteThread("older");
    expect(await redis.client.exists(key)).toBe(0);
  });

  it("a regenerated answer (RemoveMessage, then a new turn) stores only what is new, in this process and a cold one", async () => {
    const saver = newSaver();
    const config = { configurable: { thread_id: "regen" } };
    const graph = chatGraph(saver, { kind: "ordinary", model: re });
    const ask = (i: number) => ({ messages: [new HumanMessage(`question ${i}: ${"which plan suits a team of four? ".repeat(8)}`)] });
    for (let i = 0; i < 40; i++) await graph.invoke(ask(i), config);
    const bytes = async () => {
      const stored = await items(saver, "regen");
      const sum = (entries: Array<[string, Buffer]>) => entries.reduce((n, [f, v]) => n + f.length + v.byteLength, 0);
      return { elements: sum(stored.elements), nodesAndJoined: sum(stored.nodes) + sum(stored.joined) };
    };
    const before = await bytes();
    const expected = contents((await graph.getState(config)).values.messages);
    for (let r = 0; r < 6; r++) {
      // Odd rounds from a process that has never seen the thread: it finds the shared part itself.
      const g = r % 2 === 0 ? graph : chatGraph(redis.otherSaver(), { kind: "ordinary", model: re });
      const last = (await g.getState(config)).values.messages.at(-1) as BaseMessage;
      await g.updateState(config, { messages: [new RemoveMessage({ id: last.id! })] });
      await g.invoke(ask(100 + r), config);
      expected.splice(-1, 1, `human:${String(ask(100 + r).messages[0]!.content)}`, `ai:re: ${String(ask(100 + r).messages[0]!.content)}`);
      expect(contents((await redis.otherSaver().getTuple(config).then((t) => t!.checkpoint.channel_values.messages)) as BaseMessage[])).toEqual(expected);
    }
    const after = await bytes();
    // Each round stores its two new messages (about 550 bytes each, with their fields) and a few
    // nodes: the 80 messages before are not stored again (they were, whole, in every round).
    expect(after.elements - before.elements).toBeLessThan(6 * 2 * 700);
    expect(after.nodesAndJoined - before.nodesAndJoined).toBeLessThan(before.elements / 2);
    for await (const tuple of redis.otherSaver().list(config)) expect(Array.isArray(tuple.checkpoint.channel_values.messages ?? [])).toBe(true);
  });

  it("lists that drop or replace elements at any depth of a long line read back, and build on what is stored", async () => {
    const saver = newSaver();
    const stored = await longChains(saver, "edits", 60);
    const line = stored.filter((s) => s.list.length === 60).at(-1)!;
    const edited: Array<{ config: RunnableConfig; list: unknown[] }> = [];
    // Drops of the last 1, 5, 17, 40 and all but one; a replacement near the end and near the start.
    for (const keep of [59, 55, 43, 20, 1]) {
      const list = [...line.list.slice(0, keep), { text: `instead of ${keep}` }];
      edited.push({ config: await putList(saver, "edits", line.config, list), list });
      // And from a cold process, which finds the shared part from the parent's list.
      const cold = [...line.list.slice(0, keep), { text: `cold instead of ${keep}` }];
      edited.push({ config: await putList(redis.otherSaver(), "edits", line.config, cold), list: cold });
    }
    for (const at of [57, 3]) {
      const list = line.list.map((x, i) => (i === at ? { text: `replaced ${at}` } : x));
      edited.push({ config: await putList(saver, "edits", line.config, list), list });
    }
    // A list that drops the last element and adds none: it is a stored list already, or one more node.
    edited.push({ config: await putList(saver, "edits", line.config, line.list.slice(0, 59)), list: line.list.slice(0, 59) });
    const reader = redis.otherSaver();
    for (const { config, list } of [...stored, ...edited]) expect(await listAt(reader, config)).toEqual(list);
    const { elements, joined } = await items(saver, "edits");
    const distinct = new Set([...stored, ...edited].flatMap(({ list }) => list.map((x) => JSON.stringify(x))));
    expect(elements.length).toBe(distinct.size);
    // Only an edit inside the first segment stores its shared elements' bytes again (joined, once).
    const elementBytes = elements.reduce((n, [, v]) => n + v.byteLength, 0);
    expect(joined.reduce((n, [, v]) => n + v.byteLength, 0)).toBeLessThan(2.5 * elementBytes);
    await saver.prune(["edits"], { keepLast: 1 });
    const last = [...stored, ...edited].reduce((a, b) => (String(b.config.configurable?.checkpoint_id) > String(a.config.configurable?.checkpoint_id) ? b : a));
    expect(await listAt(reader, last.config)).toEqual(last.list);
    expect((await items(saver, "edits")).elements.length).toBe(new Set(last.list.map((x) => JSON.stringify(x))).size);
    await saver.deleteThread("edits");
    expect(await redis.client.exists((await items(saver, "edits")).key)).toBe(0);
  });

  it("a process reading back a list it holds is not sent its elements, and reads exactly what a cold reader reads", async () => {
    // Its own connection, so that the bytes it receives are its reads' alone.
    const saver = redis.otherSaver();
    const received = () => bytesReceived(saver);
    // Past a segment, then a chain node: a read of either names what it holds.
    const { config, elements, listBytes } = await putHistory(saver, "held", 40);
    const dump = async (value: unknown) => Buffer.from((await saver.serde.dumpsTyped(value))[1]).toString("utf8");

    const expected = await dump(await listAt(redis.otherSaver(), config));
    for (const at of [config, { configurable: { thread_id: "held" } }]) {
      const before = received();
      const read = await listAt(saver, at);
      expect(received() - before).toBeLessThan(listBytes / 10);
      expect(await dump(read)).toBe(expected);
    }
    // An older checkpoint names another node: its elements come, whole and exact.
    const older = (await saver.getTuple(config))!.parentConfig!;
    const before = received();
    const read = (await listAt(saver, older)) as unknown[];
    expect(received() - before).toBeGreaterThan(listBytes * 0.9);
    expect(await dump(read)).toBe(await dump(await listAt(redis.otherSaver(), older)));
    expect(read).toHaveLength(59);

    // An element of the list lost behind the saver's back is an error for the process that holds
    // the list too, as for any other reader.
    await redis.client.hdel(`${keysOf(saver).threadBase("held")}:items:`, elements.find(([, v]) => v.includes("answer 59"))![0]);
    const err = await saver.getTuple(config).catch((e: unknown) => e);
    expect(isStorageError(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/list element .* not stored/);
  });

  it("a listing sends each element once per reply: a page of a conversation's checkpoints costs about one list", async () => {
    const saver = redis.otherSaver();
    const { elements, listBytes } = await putHistory(saver, "page", 30);
    const dump = async (value: unknown) => Buffer.from((await saver.serde.dumpsTyped(value))[1]).toString("utf8");
    // A cold reader, on its own connection(s): the bytes it receives are the listing's.
    const reader = redis.otherSaver();
    const received = () => bytesReceived(reader);
    await reader.getTuple({ configurable: { thread_id: "other" } }); // connected
    const before = received();
    const listed = await Promise.all((await collect(reader.list({ configurable: { thread_id: "page" } }, { limit: 20 }))).map(async (t) => [t.checkpoint.id, await dump(t.checkpoint.channel_values.items)]));
    // 20 lists of 41 to 60 elements: more than 14 lists' bytes if each came whole; here one list,
    // and each tuple's record and references (some 700 bytes).
    expect(received() - before).toBeLessThan(2 * listBytes);
    expect(listed).toHaveLength(20);
    for (const [id, value] of listed) expect(value).toBe(await dump(await listAt(redis.otherSaver(), { configurable: { thread_id: "page", checkpoint_ns: "", checkpoint_id: id } })));
    // An element lost behind the saver's back is still an error for a listing that meets it.
    await redis.client.hdel(`${keysOf(saver).threadBase("page")}:items:`, elements.find(([, v]) => v.includes("answer 59"))![0]);
    const err = await collect(reader.list({ configurable: { thread_id: "page" } }, { limit: 20 })).catch((e: unknown) => e);
    expect(isStorageError(err)).toBe(true);
  });

  it("a list element or node lost behind the saver's back is a StorageError naming it, never a shorter list", async () => {
    const saver = newSaver();
    const config = await putList(saver, "lost", undefined, [new HumanMessage("kept"), new AIMessage("lost")]);
    const { key, elements, joined } = await items(saver, "lost");
    expect(elements).toHaveLength(2);
    await redis.client.hdel(key, ...joined.map(([f]) => f));
    const err = await saver.getTuple(config).catch((e: unknown) => e);
    expect(isStorageError(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/list node .* not stored/);
    await redis.client.del(key);
    expect(isStorageError(await saver.getTuple(config).catch((e: unknown) => e))).toBe(true);
  });
});
