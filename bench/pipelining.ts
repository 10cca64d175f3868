// Does ioredis auto-pipelining help a graph run? The end-to-end workload of `npm run bench` (a
// two-node agent graph, growing messages) with 8 and with 32 threads at a time, this saver on a
// default client and on one with `enableAutoPipelining: true` (commands issued in the same tick
// leave in one socket write: the putWrites of a step's concurrent tasks, the puts of concurrent
// threads), beside the one-PING-per-call floor on each client. Rounds take turns, so that the
// machine's drift touches every row alike.
//
//   npm run bench:pipelining     (REDIS_URL, else 127.0.0.1:6379; BENCH_QUICK=1 for a short run)
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { RedisSaver } from "../src/index.js";
import { agentGraph, question } from "./lib/fixtures.js";
import { RoundTripFloor } from "./lib/micro.js";
import { median } from "./lib/stats.js";

const QUICK = process.env.BENCH_QUICK === "1";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ROUNDS = QUICK ? 2 : 6;
/** Turns per measurement, shared among the threads (a thread's messages grow with its turns). */
const TURNS = QUICK ? 64 : 320;

/** Turns per second of `threads` threads, TURNS turns in all, `threads` at a time. */
async function run(saver: BaseCheckpointSaver, threads: number, tag: string): Promise<number> {
  const graph = agentGraph(saver);
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
    { name: "redis-tree, default client", saver: new RedisSaver({ client: plain, prefix }) },
    { name: "redis-tree, enableAutoPipelining", saver: new RedisSaver({ client: auto, prefix }) },
    { name: "floor (1 PING per call), default client", saver: new RoundTripFloor(plain) },
    { name: "floor (1 PING per call), enableAutoPipelining", saver: new RoundTripFloor(auto) },
  ];
  const rates = new Map<string, number[]>();
  console.log(`Redis ${(await plain.info("server")).match(/redis_version:(\S+)/)?.[1]}, ${ROUNDS} rounds of ${TURNS} turns per row; median turns/s\n`);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const threads of [8, 32]) {
      for (const row of round % 2 === 0 ? rows : [...rows].reverse()) {
        const rate = await run(row.saver, threads, `${round}-${threads}-${rows.indexOf(row)}`);
        // Round 0 warms up (JIT, script loading).
        if (round > 0) rates.set(`${threads}|${row.name}`, [...(rates.get(`${threads}|${row.name}`) ?? []), rate]);
      }
    }
  }
  console.log("| client | 8 threads at a time | 32 threads at a time |\n| --- | ---: | ---: |");
  for (const row of rows) {
    const at = (threads: number) => Math.round(median(rates.get(`${threads}|${row.name}`)!));
    console.log(`| ${row.name} | ${at(8)} | ${at(32)} |`);
  }
  for (const threads of [8, 32]) {
    const ratio = median(rates.get(`${threads}|${rows[1]!.name}`)!) / median(rates.get(`${threads}|${rows[0]!.name}`)!);
    console.log(`\nauto-pipelining / default, ${threads} threads: ${ratio.toFixed(2)}x`);
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
