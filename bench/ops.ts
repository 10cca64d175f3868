// Latency of each saver operation next to the one-round-trip floor, through one ioredis client,
// sequential calls. (bench/compare.ts runs the same workload against the other savers too.)
//
//   npm run bench:ops            (REDIS_URL, else 127.0.0.1:6379)
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { RedisSaver } from "../src/index.js";
import { FLOOR_OPS, ISSUE_OPS, MICRO_OPS, MICRO_THREADS, chatGraphPuts, conversationPuts, floorOps, issueFixtureOps, microOps } from "./lib/micro.js";
import { summarize } from "./lib/stats.js";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 200);
/** Chat graph turns per round and size; with 32 threads a size, threads grow by about 6 turns in all. */
const GRAPH_TURNS = Number(process.env.BENCH_GRAPH_TURNS ?? 12);
const GRAPH_SIZES = [10, 120] as const;
const graphRow = (turns: number) => `put in the chat graph (${turns} turns)`;

async function main() {
  const client = new Redis(url);
  const saver = new RedisSaver({ client, prefix: `lgbench-${randomBytes(4).toString("hex")}` });
  const ops = await microOps(saver, (ROUNDS + 1) * PER_ROUND);
  const floor = await floorOps(client, saver);
  const short = await conversationPuts(saver, 10, "10", (ROUNDS + 1) * PER_ROUND);
  const long = await conversationPuts(saver, 120, "120", (ROUNDS + 1) * PER_ROUND);
  const graphs = await Promise.all(GRAPH_SIZES.map((turns) => chatGraphPuts(saver, turns, String(turns))));
  const issue = await issueFixtureOps(client, saver, (ROUNDS + 1) * PER_ROUND);
  const conversationOps = { "put (conversation of 10 turns)": short.op, "put (conversation of 120 turns)": long.op };
  const all: Record<string, (i: number) => Promise<unknown>> = { ...floor.ops, ...ops, ...conversationOps, ...issue.ops };
  const samples: Record<string, number[]> = Object.fromEntries([...Object.keys(all), ...GRAPH_SIZES.map(graphRow)].map((k) => [k, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, op] of Object.entries(all)) {
      for (let i = 0; i < PER_ROUND; i++) {
        const t0 = performance.now();
        await op(i);
        if (round > 0) samples[name]!.push((performance.now() - t0) * 1000); // round 0 warms up
      }
    }
    for (let i = 0; i < GRAPH_TURNS; i++) {
      for (const [k, turns] of GRAPH_SIZES.entries()) {
        const puts = await graphs[k]!.turn();
        if (round > 0) samples[graphRow(turns)]!.push(...puts);
      }
    }
  }
  const ping = summarize(samples.PING!).p50;
  console.log(`Redis ${url}, ${ROUNDS} interleaved rounds x ${PER_ROUND} calls, sequential; a tuple of ${floor.bytes} bytes`);
  console.table([...FLOOR_OPS, ...MICRO_OPS, ...Object.keys(conversationOps), ...GRAPH_SIZES.map(graphRow), ...ISSUE_OPS].map((name) => {
    const s = summarize(samples[name]!);
    return { operation: name, "p50 µs": Math.round(s.p50), "p99 µs": Math.round(s.p99), "p50 / PING": (s.p50 / ping).toFixed(2) };
  }));
  const p50 = (name: string) => summarize(samples[name]!).p50;
  console.log(`getTuple (by id) / read floor: ${(p50("getTuple (by id)") / p50("read floor (GET + deserialise)")).toFixed(2)}x; / the read floor with this saver's JSON reader: ${(p50("getTuple (by id)") / p50("read floor, this saver's JSON reader")).toFixed(2)}x`);
  console.log(`put / write floor: ${(p50("put") / p50("write floor (serialise + SET)")).toFixed(2)}x`);
  console.log(`the issue's fixture: getTuple / read floor ${(p50("getTuple (issue fixture)") / p50("read floor (issue fixture)")).toFixed(2)}x; put / write floor ${(p50("put (issue fixture)") / p50("write floor (issue fixture)")).toFixed(2)}x, ${(p50("put (issue fixture, new message objects every put)") / p50("write floor (issue fixture)")).toFixed(2)}x with new message objects every put`);
  console.log(`put at 120 turns / put at 10 turns: ${(p50("put (conversation of 120 turns)") / p50("put (conversation of 10 turns)")).toFixed(2)}x (fixture), ${(p50(graphRow(120)) / p50(graphRow(10))).toFixed(2)}x (in the chat graph)`);
  await floor.cleanup();
  await issue.cleanup();
  await Promise.all([...MICRO_THREADS, ...short.threads, ...long.threads, ...graphs.flatMap((g) => g.threads), ...issue.threads].map((t) => saver.deleteThread(t)));
  await client.quit();
}

await main();
