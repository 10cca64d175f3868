// Fewer round trips per graph step: what wins? The end-to-end workload of `npm run bench` (a
// two-node agent graph, growing messages), and a graph whose middle step runs 8 tasks side by
// side, with 8 and with 32 threads at a time, for this saver:
// - as it ships: the writes of a thread's tasks that finish in the same turn of the event loop go
//   as one putWrites script call (src/scripts/scripts.ts putWrites);
// - with each putWrites sent alone, as before that;
// - on a client with `enableAutoPipelining: true` (commands issued in the same tick leave in one
//   socket write: the puts of concurrent threads, the writes of different threads);
// beside the one-PING-per-call floor on each client. It also counts script calls and their server
// time per turn (INFO commandstats). Rounds take turns, so that the machine's drift touches every
// row alike.
//
//   npm run bench:pipelining     (REDIS_URL, else 127.0.0.1:6379; BENCH_QUICK=1 for a short run)
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { RedisSaver } from "../src/index.js";
import { agentGraph, fanOutGraph, question } from "./lib/fixtures.js";
import { RoundTripFloor, fcallStats } from "./lib/micro.js";
import { median } from "./lib/stats.js";

const QUICK = process.env.BENCH_QUICK === "1";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ROUNDS = QUICK ? 2 : 6;
/** Turns per measurement, shared among the threads (a thread's messages grow with its turns). */
const TURNS = QUICK ? 64 : 320;

const GRAPHS = { "agent (2 nodes)": agentGraph, "fan-out (8 tasks in a step)": fanOutGraph } as const;
type GraphName = keyof typeof GRAPHS;

/** Turns per second of `threads` threads, TURNS turns in all, `threads` at a time. */
async function run(saver: BaseCheckpointSaver, graphName: GraphName, threads: number, tag: string): Promise<number> {
  const graph = GRAPHS[graphName](saver);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: threads }, async (_, t) => {
      const config = { configurable: { thread_id: `pipe-${tag}-${t}` } };
      for (let turn = 0; turn < TURNS / threads; turn++) await graph.invoke({ messages: [question(turn)] }, config);
    }),
  );
  return TURNS / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const prefix = `lgbench-pipe-${randomBytes(4).toString("hex")}`;
  const plain = new Redis(REDIS_URL);
  const auto = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const rows = [
    { name: "redis-tree (a thread's writes of one turn in one call)", saver: new RedisSaver({ client: plain, prefix }), scripts: true },
    { name: "redis-tree, each putWrites alone", saver: new RedisSaver({ client: plain, prefix }, { writeGroups: 1 }), scripts: true },
    { name: "redis-tree, enableAutoPipelining", saver: new RedisSaver({ client: auto, prefix }), scripts: true },
    { name: "floor (1 PING per call), default client", saver: new RoundTripFloor(plain), scripts: false },
    { name: "floor (1 PING per call), enableAutoPipelining", saver: new RoundTripFloor(auto), scripts: false },
  ];
  const rates = new Map<string, number[]>();
  const server = new Map<string, { calls: number; usec: number; turns: number }>();
  console.log(`Redis ${(await plain.info("server")).match(/redis_version:(\S+)/)?.[1]}, ${ROUNDS} rounds of ${TURNS} turns per row; median turns/s\n`);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const graph of Object.keys(GRAPHS) as GraphName[]) {
      for (const threads of [8, 32]) {
        for (const row of round % 2 === 0 ? rows : [...rows].reverse()) {
          const key = `${graph}|${threads}|${row.name}`;
          const before = row.scripts ? await fcallStats(plain) : undefined;
          const rate = await run(row.saver, graph, threads, `${round}-${threads}-${rows.indexOf(row)}-${graph.length}`);
          // Round 0 warms up (JIT, script loading).
          if (round === 0) continue;
          rates.set(key, [...(rates.get(key) ?? []), rate]);
          if (before !== undefined) {
            const after = await fcallStats(plain);
            const s = server.get(key) ?? { calls: 0, usec: 0, turns: 0 };
            server.set(key, { calls: s.calls + after.calls - before.calls, usec: s.usec + after.usec - before.usec, turns: s.turns + TURNS });
          }
        }
      }
    }
  }
  for (const graph of Object.keys(GRAPHS) as GraphName[]) {
    console.log(`\n${graph}\n\n| client | turns/s, 8 threads at a time | 32 at a time | script calls per turn | server µs per turn |\n| --- | ---: | ---: | ---: | ---: |`);
    for (const row of rows) {
      const at = (threads: number) => Math.round(median(rates.get(`${graph}|${threads}|${row.name}`)!));
      const s = server.get(`${graph}|8|${row.name}`);
      console.log(`| ${row.name} | ${at(8)} | ${at(32)} | ${s ? (s.calls / s.turns).toFixed(1) : ""} | ${s ? Math.round(s.usec / s.turns) : ""} |`);
    }
    for (const threads of [8, 32]) {
      const of = (i: number) => median(rates.get(`${graph}|${threads}|${rows[i]!.name}`)!);
      console.log(`${threads} threads: one call per turn's writes / each alone ${(of(0) / of(1)).toFixed(2)}x; auto-pipelining / default ${(of(2) / of(0)).toFixed(2)}x`);
    }
  }
  await cleanup(plain, prefix);
  plain.disconnect();
  auto.disconnect();
}

/** Removes the benchmark's keys, through the thread index (no keyspace scan). */
async function cleanup(client: Redis, prefix: string): Promise<void> {
  const saver = new RedisSaver({ client, prefix });
  const ids = await client.zrange(`${prefix}:threads`, 0, -1);
  for (const id of ids) await saver.deleteThread(id);
}

await main();
