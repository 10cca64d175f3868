// Faults: Redis killed (SIGKILL) and restarted in the middle of a graph workload. Operations in
// flight fail with a clear error or succeed; no checkpoint is half written; after the restart the
// graph resumes every thread. The test runs its own redis-server on a spare port.
import type { AIMessage } from "@langchain/core/messages";
import { HumanMessage } from "@langchain/core/messages";
import { Redis } from "ioredis";
import { RedisSaver, RedisTreeError } from "../src/index.js";
import { startOwnServer, type OwnServer } from "../scripts/dev/own-server.js";
import { chatGraph, re } from "./helpers/graphs.js";
import { collect } from "./helpers/fixtures.js";
import { luaScripts } from "../src/lua/generated.js";

const THREADS = 12;
const TURNS = 25;

describe("Redis killed and restarted under a graph workload", () => {
  let server: OwnServer;
  beforeAll(async () => {
    server = await startOwnServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it("loses no acknowledged checkpoint, half-writes none, and resumes every thread", async () => {
    // Fail fast while the server is down, so that the workload sees errors, then recovers.
    const client = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, retryStrategy: () => 50 });
    client.on("error", () => {});
    const saver = new RedisSaver({ client, prefix: "faults" });
    const graph = chatGraph(saver, { kind: "ordinary", model: re });

    const errors: unknown[] = [];
    const done = new Array<number>(THREADS).fill(0);
    const acknowledged: string[][] = Array.from({ length: THREADS }, () => []);
    const workload = Promise.all(
      Array.from({ length: THREADS }, async (_, t) => {
        const config = { configurable: { thread_id: `thread-${t}` } };
        for (let attempt = 0; done[t]! < TURNS && attempt < TURNS * 40; attempt++) {
          try {
            // What a careful application does after a failure: finish an interrupted run before
            // sending the next message. (A task whose writes were saved before the crash is not in
            // state.next, but it is in state.tasks: resuming applies its writes.)
            const state = await graph.getState(config);
            done[t] = ((state.values.messages ?? []) as AIMessage[]).filter((m) => m.getType() === "ai").length;
            if (done[t] >= TURNS) break;
            const result = state.tasks.length > 0 ? await graph.invoke(null, config) : await graph.invoke({ messages: [new HumanMessage(`t${t} turn ${done[t]}`)] }, config);
            expect(result.messages.at(-1)?.getType()).toBe("ai");
            acknowledged[t]!.push((await saver.getTuple(config))!.config.configurable!.checkpoint_id as string);
          } catch (err) {
            errors.push(err);
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }),
    );
    // Let the workload get going, then kill Redis, keep it down a moment, and restart it.
    await new Promise((r) => setTimeout(r, 100));
    const turnsAtKill = done.reduce((a, b) => a + b, 0);
    expect(turnsAtKill).toBeLessThan(THREADS * TURNS / 2); // the crash hits the middle of the workload
    await server.kill();
    await new Promise((r) => setTimeout(r, 400));
    await server.start();
    await workload;

    expect(errors.length).toBeGreaterThan(0);
    // Every error was a clear one: ours (StorageError with the cause) or ioredis' own.
    for (const err of errors) {
      expect(err instanceof RedisTreeError || /connection|closed|ECONNREFUSED|max retries|stream/i.test(String(err)), String(err)).toBe(true);
    }

    for (let t = 0; t < THREADS; t++) {
      const config = { configurable: { thread_id: `thread-${t}` } };
      // No checkpoint half written: every checkpoint has every channel value it names.
      for await (const tuple of saver.list(config)) {
        const versions = tuple.checkpoint.channel_versions;
        if ("messages" in versions) expect(Array.isArray(tuple.checkpoint.channel_values.messages), `${t} ${tuple.checkpoint.id}`).toBe(true);
      }
      // Every checkpoint a completed turn was acknowledged with survived the crash.
      for (const id of acknowledged[t]!) expect(await saver.getTuple({ configurable: { thread_id: `thread-${t}`, checkpoint_id: id } }), id).toBeDefined();
      const state = await graph.getState(config);
      const messages = (state.values.messages ?? []) as Array<{ content: unknown }>;
      // Question/answer pairs in order: no lost or repeated turn.
      const got = messages.map((m) => String(m.content));
      expect(got).toEqual(Array.from({ length: TURNS }, (_, k) => [`t${t} turn ${k}`, `re: t${t} turn ${k}`]).flat());
      const resumed = await graph.invoke({ messages: [new HumanMessage(`t${t} after restart`)] }, config);
      expect(String(resumed.messages.at(-1)?.content)).toBe(`re: t${t} after restart`);
      expect(resumed.messages.length).toBeGreaterThanOrEqual(2 * done[t]! + 2);
    }
    expect(done.every((d) => d === TURNS)).toBe(true);
    await client.quit();
  }, 120_000);

  it("recovers from FUNCTION FLUSH and SCRIPT FLUSH between calls: a missing library is loaded again by the call that finds it missing", async () => {
    const client = new Redis(server.url);
    const saver = new RedisSaver({ client, prefix: "flush" });
    const config = { configurable: { thread_id: "flush-1" } };
    const flush = async () => {
      await client.function("FLUSH");
      await client.script("FLUSH");
    };
    const libraries = async () => ((await client.function("LIST")) as unknown[][]).map((l) => String(l[1])).sort();
    let stored = await saver.put(config, { v: 4, id: "00000001", ts: "", channel_values: { a: 1 }, channel_versions: { a: 1 }, versions_seen: {} }, { source: "input", step: -1, parents: {} }, { a: 1 });
    for (let i = 2; i < 6; i++) {
      await flush();
      stored = await saver.put(stored, { v: 4, id: `0000000${i}`, ts: "", channel_values: { a: i }, channel_versions: { a: i }, versions_seen: {} }, { source: "loop", step: i, parents: {} }, { a: i });
      await flush();
      await saver.putWrites(stored, [["a", i * 10]], `task-${i}`);
      await flush();
      const tuple = await saver.getTuple(config);
      expect(tuple?.checkpoint.channel_values).toEqual({ a: i });
      expect(tuple?.pendingWrites).toEqual([[`task-${i}`, "a", i * 10]]);
      // Only what was called since the flush was loaded: the library of getTuple, through FCALL.
      expect(await libraries()).toEqual([luaScripts.getTuple.fn]);
    }
    await saver.deleteThread("flush-1");
    await client.quit();
  });

  it("falls back to EVALSHA where an ACL refuses FUNCTION or FCALL, and works the same", async () => {
    const admin = new Redis(server.url);
    await admin.function("FLUSH");
    // One user may call functions but not load them; the other may do neither.
    await admin.acl("SETUSER", "no-load", "on", "nopass", "~*", "+@all", "-function");
    await admin.acl("SETUSER", "no-functions", "on", "nopass", "~*", "+@all", "-function", "-fcall", "-fcall_ro");
    try {
      for (const username of ["no-load", "no-functions"]) {
        const client = new Redis(server.url, { username, password: "x" });
        const saver = new RedisSaver({ client, prefix: `acl-${username}` });
        const graph = chatGraph(saver, { kind: "ordinary", model: re });
        const config = { configurable: { thread_id: "acl" } };
        for (let i = 0; i < 3; i++) await graph.invoke({ messages: [new HumanMessage(`question ${i}`)] }, config);
        const messages = (await graph.getState(config)).values.messages as AIMessage[];
        expect(messages.map((m) => String(m.content)), username).toEqual(Array.from({ length: 3 }, (_, i) => [`question ${i}`, `re: question ${i}`]).flat());
        expect((await collect(saver.list(config))).length).toBeGreaterThan(6);
        await saver.deleteThread("acl");
        expect(await saver.getTuple(config)).toBeUndefined();
        await client.quit();
      }
      // Nothing could load a library: every call went through EVALSHA.
      expect(await admin.function("LIST")).toEqual([]);
    } finally {
      await admin.acl("DELUSER", "no-load", "no-functions");
      await admin.quit();
    }
  });

  it("a conversation stored element by element goes on across FUNCTION FLUSH and a restart: no message lost, each stored once", async () => {
    const client = new Redis(server.url, { maxRetriesPerRequest: 20, retryStrategy: () => 50 });
    client.on("error", () => {});
    const saver = new RedisSaver({ client, prefix: "lists" });
    const graph = chatGraph(saver, { kind: "ordinary", model: re });
    const config = { configurable: { thread_id: "lists" } };
    const turn = (i: number) => graph.invoke({ messages: [new HumanMessage(`question ${i}`)] }, config);
    for (let i = 0; i < 3; i++) await turn(i);
    await client.function("FLUSH"); // the saver's libraries are loaded again on their next call
    for (let i = 3; i < 6; i++) await turn(i);
    await server.kill();
    await server.start();
    for (let i = 6; i < 9; i++) await turn(i);
    const messages = (await graph.getState(config)).values.messages as AIMessage[];
    expect(messages.map((m) => String(m.content))).toEqual(Array.from({ length: 9 }, (_, i) => [`question ${i}`, `re: question ${i}`]).flat());
    const fields = await client.hkeys("lists:{lists}:items:");
    expect(fields.filter((f) => f.startsWith("e"))).toHaveLength(18);
    await client.quit();
  });
});
