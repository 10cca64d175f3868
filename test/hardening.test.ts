// Concurrency, large values, and a property-based test of confinement and filtering against an
// in-memory model. Runs on the single node and on the cluster.
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { emptyCheckpoint, uuid6, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import fc from "fast-check";
import { ConversationManager, InvalidInputError, RedisSaver, SerializationError, type RedisClient } from "../src/index.js";
import { keysOf, keysUnder, newClient, snapshot, testSaver } from "./helpers/redis.js";
import { collect, meta } from "./helpers/fixtures.js";
import { chatGraph, re } from "./helpers/graphs.js";

describe("hardening", () => {
  const ctx = testSaver();
  const { saver, client, prefix } = ctx;
  afterAll(async () => {
    await ctx.cleanup();
  });

  describe("concurrency", () => {
    it("200 concurrent putWrites to one checkpoint from several clients: nothing lost, nothing duplicated", async () => {
      const config = await saver.put({ configurable: { thread_id: "writes-race" } }, { ...emptyCheckpoint(), id: uuid6(-1) }, meta(), {});
      const clients: RedisClient[] = Array.from({ length: 5 }, () => newClient());
      const savers = clients.map((c) => new RedisSaver({ client: c, prefix }));
      // 200 tasks with two writes each, every task also retried once (with other values) at the same time.
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => [
          savers[i % 5]!.putWrites(config, [["a", `task ${i} a`], ["b", `task ${i} b`]], `task-${String(i).padStart(3, "0")}`),
          savers[(i + 1) % 5]!.putWrites(config, [["a", `retry ${i} a`], ["b", `retry ${i} b`]], `task-${String(i).padStart(3, "0")}`),
        ]).flat(),
      );
      const writes = (await saver.getTuple(config))!.pendingWrites!;
      expect(writes).toHaveLength(400);
      const byTask = new Map<string, string[]>();
      for (const [task, channel, value] of writes) byTask.set(task, [...(byTask.get(task) ?? []), `${channel}=${String(value)}`]);
      expect(byTask.size).toBe(200);
      for (const [task, values] of byTask) {
        const i = Number(task.slice(5));
        // One attempt's writes won, whole: never half of each.
        expect([[`a=task ${i} a`, `b=task ${i} b`], [`a=retry ${i} a`, `b=retry ${i} b`]]).toContainEqual(values);
      }
      expect(writes.map((w) => w[0])).toEqual([...writes.map((w) => w[0])].sort());
      await Promise.all(clients.map((c) => c.quit()));
    });

    it("100 threads run by a graph concurrently each end in exactly their own state", async () => {
      const graph = chatGraph(saver, {
        kind: "ordinary",
        model: async (messages) => {
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          return re(messages);
        },
      });
      await Promise.all(
        Array.from({ length: 100 }, async (_, t) => {
          for (let turn = 0; turn < 3; turn++) await graph.invoke({ messages: [new HumanMessage(`t${t}.${turn}`)] }, { configurable: { thread_id: `many-${t}` } });
        }),
      );
      for (let t = 0; t < 100; t++) {
        const state = await graph.getState({ configurable: { thread_id: `many-${t}` } });
        expect(state.values.messages.map((m: { content: unknown }) => String(m.content))).toEqual([`t${t}.0`, `re: t${t}.0`, `t${t}.1`, `re: t${t}.1`, `t${t}.2`, `re: t${t}.2`]);
      }
    }, 60_000);
  });

  describe("large values", () => {
    it("round-trips a 1 MB channel value and a 1 MB write", async () => {
      const big = "x".repeat(1024 * 1024);
      const bytes = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
      const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { big, bytes }, channel_versions: { big: 1, bytes: 1 } };
      const config = await saver.put({ configurable: { thread_id: "large-1" } }, checkpoint, meta(), { big: 1, bytes: 1 });
      await saver.putWrites(config, [["big", big + "!"]], "task");
      const tuple = await saver.getTuple(config);
      expect((tuple!.checkpoint.channel_values.big as string).length).toBe(1024 * 1024);
      expect(tuple!.checkpoint.channel_values.bytes).toEqual(bytes);
      expect((tuple!.pendingWrites![0]![2] as string).length).toBe(1024 * 1024 + 1);
    });

    it("round-trips a thread of 10,000 messages, through the saver and the manager", async () => {
      const manager = new ConversationManager({ saver });
      const c = await manager.createConversation({ userId: "big", metadata: { title: "long" } });
      const messages = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? new AIMessage({ content: `a${i}`, id: `m${i}` }) : new HumanMessage({ content: `q${i}`, id: `m${i}` })));
      await saver.put({ configurable: { thread_id: c.threadId } }, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages }, channel_versions: { messages: 1 } }, meta(), { messages: 1 });
      const back = await manager.getMessages(c.threadId, { userId: "big" });
      expect(back).toHaveLength(10_000);
      expect(back[9_999]).toBeInstanceOf(AIMessage);
      expect(back[9_999]!.content).toBe("a9999");
      await manager.addMessage(c.threadId, { role: "user", content: "one more" }, { userId: "big" });
      expect(await manager.getMessages(c.threadId, { userId: "big" })).toHaveLength(10_001);
      const tree = await manager.getTree(c.threadId, { userId: "big" });
      expect(tree.nodes).toHaveLength(10_001);
    }, 60_000);

    it("refuses a value the serde cannot handle with a clear error, writing nothing", async () => {
      const before = await snapshot(client, prefix);
      const keysBefore = Object.keys(before);
      const bad = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { n: 10n }, channel_versions: { n: 1 } };
      const err = await saver.put({ configurable: { thread_id: "bigint" } }, bad, meta(), { n: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SerializationError);
      expect((err as Error).message).toMatch(/channel "n"/);
      const config = await saver.put({ configurable: { thread_id: "bigint" } }, { ...emptyCheckpoint(), id: uuid6(-1) }, meta(), {});
      const afterPut = (await keysUnder(client, prefix)).sort();
      await expect(saver.putWrites(config, [["ok", 1], ["n", 10n]], "task")).rejects.toBeInstanceOf(SerializationError);
      expect((await saver.getTuple(config))!.pendingWrites).toEqual([]);
      expect(afterPut.filter((k) => !keysBefore.includes(k)).every((k) => k.includes("{bigint}"))).toBe(true);
      await saver.deleteThread("bigint");
      expect(await snapshot(client, prefix)).toEqual(before);
    });

    it("refuses a value over maxValueBytes with an InvalidInputError naming it, writing nothing", async () => {
      const small = new RedisSaver({ client, prefix, maxValueBytes: 1000 });
      const manager = new ConversationManager({ saver: small });
      const c = await manager.createConversation({ userId: "sizes", metadata: { title: "sizes" } });
      const config = await small.put({ configurable: { thread_id: c.threadId } }, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages: [new HumanMessage("hi")] }, channel_versions: { messages: 1 } }, meta(), { messages: 1 });
      const before = await snapshot(client, prefix);
      const big = "x".repeat(1000);
      const refused = [
        // A whole value, one element of a list (the others are small), a pending write, a
        // checkpoint's metadata, and a message added through the manager.
        small.put(config, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { c: big }, channel_versions: { c: 1 } }, meta(), { c: 1 }),
        small.put(config, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages: [new HumanMessage("hi"), new AIMessage(big)] }, channel_versions: { messages: 2 } }, meta(), { messages: 2 }),
        small.putWrites(config, [["ok", 1], ["c", big]], "task"),
        small.put(config, { ...emptyCheckpoint(), id: uuid6(-1) }, meta({ note: big }), {}),
        manager.addMessage(c.threadId, { role: "user", content: big }, { userId: "sizes" }),
        // A value the serde writes (a promise that fails) and then one the JSON writer refuses
        // at once: the first failure must not go unhandled (collect in serde.ts).
        small.put(config, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { a: new Uint8Array(2000), c: big }, channel_versions: { a: 1, c: 1 } }, meta(), { a: 1, c: 1 }),
        small.putWrites(config, [["a", new Uint8Array(2000)], ["c", big]], "task"),
      ];
      // Each failure is caught as it comes (an unhandled one fails the run, as it should).
      const errors = refused.map((attempt) => attempt.then(() => undefined, (e: unknown) => e));
      for (const [i, attempt] of errors.entries()) {
        const err = await attempt;
        expect(err, `attempt ${i}`).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toMatch(/more than maxValueBytes \(1000\)/);
      }
      expect(String(await errors[1])).toMatch(/channel "messages", element 1 is \d+ bytes/);
      expect(await snapshot(client, prefix)).toEqual(before);
      // The limit is the saver's: the default one stores the same value.
      await saver.put(config, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { c: big }, channel_versions: { c: 1 } }, meta(), { c: 1 });
      expect(() => new RedisSaver({ client, prefix, maxValueBytes: 0 })).toThrow(InvalidInputError);
      expect(() => new RedisSaver({ client, prefix, maxValueBytes: 1.5 })).toThrow(InvalidInputError);
      await manager.deleteConversation(c.threadId, { userId: "sizes" });
    });
  });

  describe("oversized and ill-formed input", () => {
    it("refuses too many metadata keys, channels, writes or filter keys with an InvalidInputError, writing nothing", async () => {
      const config = await saver.put({ configurable: { thread_id: "counts" } }, { ...emptyCheckpoint(), id: uuid6(-1) }, meta(), {});
      const before = await snapshot(client, prefix);
      const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
      const ones = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1]));
      const refused: Array<[Promise<unknown>, RegExp]> = [
        [saver.put(config, { ...emptyCheckpoint(), id: uuid6(-1) }, meta(many(10_001)), {}), /metadata keys: 10\d{3}, more than the 10000/],
        [saver.put(config, { ...emptyCheckpoint(), id: uuid6(-1), channel_values: many(10_001), channel_versions: ones(10_001) }, meta(), ones(10_001)), /channels: 10001, more than the 10000/],
        [saver.putWrites(config, Array.from({ length: 10_001 }, (_, i) => [`c${i}`, i] as [string, unknown]), "task"), /writes: 10001, more than the 10000/],
        [collect(saver.list(config, { filter: many(1_001) })), /filter keys: 1001, more than the 1000/],
      ];
      for (const [attempt, message] of refused) {
        const err = await attempt.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toMatch(message);
      }
      expect(await snapshot(client, prefix)).toEqual(before);
      // At the limits, each works (8,000 filter keys used to fail inside Lua).
      expect(await collect(saver.list(config, { filter: many(1_000) }))).toEqual([]);
      const wide = await saver.put(config, { ...emptyCheckpoint(), id: uuid6(-1) }, meta(many(10_000 - 3)), {});
      expect(Object.keys((await saver.getTuple(wide))!.metadata!)).toHaveLength(10_000);
      await saver.deleteThread("counts");
    });

    it("refuses a filter value that is not JSON data, rather than match what JSON makes of it", async () => {
      const config = { configurable: { thread_id: "json-filter" } };
      await saver.put(config, { ...emptyCheckpoint(), id: uuid6(-1) }, meta({ n: null, s: "2026-01-01T00:00:00.000Z", list: [null] }), {});
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY, new Date("2026-01-01T00:00:00.000Z"), 10n, cycle, [undefined], new Map(), { nested: Number.NEGATIVE_INFINITY }]) {
        const err = await collect(saver.list(config, { filter: { n: value } })).catch((e: unknown) => e);
        expect(err, String(value)).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toMatch(/must be JSON data/);
      }
      // The JSON values themselves still match.
      expect(await collect(saver.list(config, { filter: { n: null } }))).toHaveLength(1);
      expect(await collect(saver.list(config, { filter: { s: "2026-01-01T00:00:00.000Z", list: [null] } }))).toHaveLength(1);
      await saver.deleteThread("json-filter");
    });

    it("refuses a prefix that is not well-formed unicode (two would share keys)", () => {
      expect(() => new RedisSaver({ client, prefix: "\uD800" })).toThrow(InvalidInputError);
      expect(() => new RedisSaver({ client, prefix: "app\uDC00" })).toThrow(InvalidInputError);
      expect(new RedisSaver({ client, prefix: "app-\u{1F600}" }).prefix).toBe("app-\u{1F600}");
    });
  });

  describe("property: ids and filters", () => {
    /** What list() must return: the reference model, by the same rules in plain JS. */
    interface Stored {
      thread: string;
      ns: string;
      id: string;
      metadata: Record<string, unknown>;
    }
    const byteOrderDesc = (a: Stored, b: Stored) => Buffer.compare(Buffer.from(b.id), Buffer.from(a.id)) || Buffer.compare(Buffer.from(b.ns), Buffer.from(a.ns));
    const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortKeys) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])])) : v;

    const text = fc.oneof(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
      fc.constantFrom("*", "?", "[a]", "{", "}", "{x}", ":", "a:b", "%", "%7B", "\n", " ", "🦜", "\\", "\u0000"),
    );
    const value = fc.oneof(fc.constantFrom("x", "y", 1, 2, true, null), fc.record({ k: fc.constantFrom(1, 2) }), fc.constantFrom([1, 2], [2, 1]));
    const metadata = fc.dictionary(fc.constantFrom("source", "step", "k:1", "{tag}", "ü", "*"), value, { maxKeys: 4 });

    it("keeps every thread in its own keys, and list(filter) returns what the model returns", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ thread: text, ns: fc.oneof(fc.constant(""), text), id: text, metadata }), { minLength: 1, maxLength: 12 }),
          fc.array(metadata, { minLength: 1, maxLength: 4 }),
          async (entries, filters) => {
            const run = testSaver();
            try {
              // Later duplicates (same thread, namespace and id) replace earlier ones, as in Redis.
              const model = new Map<string, Stored>();
              for (const e of entries) {
                await run.saver.put({ configurable: { thread_id: e.thread, checkpoint_ns: e.ns } }, { ...emptyCheckpoint(), id: e.id }, e.metadata as CheckpointMetadata, {});
                model.set(JSON.stringify([e.thread, e.ns, e.id]), e);
              }
              const stored = [...model.values()];
              const threads = [...new Set(stored.map((s) => s.thread))];
              // Confinement: every key belongs to exactly one thread's base (or is the thread index).
              const bases = threads.map((t) => `${keysOf(run.saver).threadBase(t)}:`);
              for (const key of await keysUnder(run.client, run.prefix)) {
                if (key === keysOf(run.saver).threadsIndex()) continue;
                expect(bases.filter((b) => key.startsWith(b)), key).toHaveLength(1);
              }
              for (const thread of threads) {
                for (const filter of [{}, ...filters, ...stored.filter((s) => s.thread === thread).map((s) => s.metadata)]) {
                  const want = stored
                    .filter((s) => s.thread === thread && Object.entries(filter).every(([k, v]) => (v === undefined ? !(k in s.metadata) : k in s.metadata && deepEqual(s.metadata[k], v))))
                    .sort(byteOrderDesc)
                    .map((s) => [s.ns, s.id]);
                  const got = (await collect(run.saver.list({ configurable: { thread_id: thread } }, { filter }))).map((t) => [t.config.configurable!.checkpoint_ns, t.checkpoint.id]);
                  expect(got).toEqual(want);
                }
              }
              // Deleting one thread leaves every other one whole.
              const [gone, ...kept] = threads;
              await run.saver.deleteThread(gone!);
              expect(await collect(run.saver.list({ configurable: { thread_id: gone } }))).toEqual([]);
              for (const thread of kept) {
                expect((await collect(run.saver.list({ configurable: { thread_id: thread } }))).length).toBe(stored.filter((s) => s.thread === thread).length);
              }
            } finally {
              await run.cleanup();
            }
          },
        ),
        { numRuns: 60 },
      );
    }, 120_000);

    it("refuses ids that are not well-formed unicode (two would share keys)", async () => {
      const config: RunnableConfig = { configurable: { thread_id: "lone \ud800 surrogate" } };
      await expect(saver.put(config, { ...emptyCheckpoint(), id: uuid6(-1) }, meta(), {})).rejects.toBeInstanceOf(InvalidInputError);
      await expect(saver.put({ configurable: { thread_id: "ok", checkpoint_ns: "\udc00" } }, { ...emptyCheckpoint(), id: uuid6(-1) }, meta(), {})).rejects.toBeInstanceOf(InvalidInputError);
      await expect(saver.put({ configurable: { thread_id: "ok" } }, { ...emptyCheckpoint(), id: "\ud800" }, meta(), {})).rejects.toBeInstanceOf(InvalidInputError);
    });
  });
});
