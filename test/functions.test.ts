// The saver's Lua runs as Redis Functions libraries, loaded by the call that finds one missing
// (src/scripts/functions.ts). On a Cluster a library is loaded on every primary, so a thread on any
// node finds it. The single-node cases (FUNCTION FLUSH, a restart, an ACL that refuses FUNCTION, a
// full memory) are in test/faults.test.ts and test/pressure.test.ts, on servers of their own; this
// file flushes the libraries of the test Cluster, which is the tests' own too.
import type { Cluster } from "ioredis";
import { HumanMessage, type AIMessage } from "@langchain/core/messages";
import { luaScripts } from "../src/lua/generated.js";
import { chatGraph, re } from "./helpers/graphs.js";
import { isCluster, testSaver } from "./helpers/redis.js";

describe.runIf(isCluster())("Redis Functions on a Cluster", () => {
  const ctx = testSaver();
  afterAll(async () => {
    await ctx.cleanup();
  });

  it("loads a missing library on every primary, and threads on every node go on", async () => {
    const cluster = ctx.client as Cluster;
    const primaries = cluster.nodes("master");
    expect(primaries.length).toBeGreaterThan(1);
    await Promise.all(primaries.map((node) => node.function("FLUSH")));
    const graph = chatGraph(ctx.saver, { kind: "ordinary", model: re });
    // Enough threads to land on every primary.
    const threads = Array.from({ length: 12 }, (_, i) => `functions-${i}`);
    for (let turn = 0; turn < 2; turn++) {
      await Promise.all(threads.map((thread) => graph.invoke({ messages: [new HumanMessage(`${thread} ${turn}`)] }, { configurable: { thread_id: thread } })));
    }
    for (const thread of threads) {
      const messages = (await graph.getState({ configurable: { thread_id: thread } })).values.messages as AIMessage[];
      expect(messages.map((m) => String(m.content))).toEqual([`${thread} 0`, `re: ${thread} 0`, `${thread} 1`, `re: ${thread} 1`]);
    }
    for (const node of primaries) {
      const names = ((await node.function("LIST")) as unknown[][]).map((library) => String(library[1]));
      expect(names).toEqual(expect.arrayContaining([luaScripts.put.fn, luaScripts.putWrites.fn, luaScripts.getTuple.fn]));
    }
  });
});
