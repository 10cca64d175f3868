// The side-by-side benchmark: this saver against the one-round-trip floor and the savers a user
// would pick instead, in one run on one machine.
//
//   npm run bench          (REDIS_URL, else 127.0.0.1:6379; PG_URL, else postgresql://postgres@127.0.0.1:5432/test;
//                           BENCH_ONLY=e2e,... for some sections alone)
//
// Prints tables, and writes the same figures as JSON plus an SVG chart of the scale curves to
// bench/results/ (not committed). Every figure is the median over repeated rounds in which the
// contestants take turns (interleaved), with the p99 beside it. BENCH_QUICK=1 shortens the run.
// The last section is bench/delta.ts: long conversations on a DeltaChannel.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { ConversationManager, RedisSaver } from "../src/index.js";
import { deltaBench } from "./delta.js";
import { chatMemory } from "./memory.js";
import { postgresStore, sqliteStore } from "./lib/stores.js";
import { agentGraph, buildConversations, buildLongThread, question } from "./lib/fixtures.js";
import { ISSUE_OPS, MICRO_OPS, MICRO_THREADS, RoundTripFloor, ServerTimeFloor, chatGraphPuts, conversationPuts, fcallStats, floorOps, issueFixtureOps, microOps, type MicroOp } from "./lib/micro.js";
import { median, summarize, type Summary } from "./lib/stats.js";
import { lineChart } from "./lib/svg.js";

const QUICK = process.env.BENCH_QUICK === "1";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PG_URL = process.env.PG_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const ROUNDS = QUICK ? 2 : 5;
/**
 * End-to-end rounds: more than the others, as this machine's speed drifts by a third from one run
 * of a few seconds to the next; the ratios are medians of each round's ratio (contestants taking
 * turns in the round, in an order that flips every round), which cancels most of the drift.
 */
const E2E_ROUNDS = QUICK ? 2 : 12;
const CALLS_C1 = QUICK ? 60 : 200;
const CALLS_C32 = QUICK ? 320 : 960;
/** Chat graph turns per round and size for the in-graph put rows (32 threads a size). */
const GRAPH_TURNS = QUICK ? 4 : 12;
const OURS = "redis-tree (this)";
const FLOOR_E2E = "floor: MemorySaver + 1 PING per call";
const SERVER_TIME_E2E = "floor + this saver's server time per call";

interface Contestant {
  name: string;
  saver: BaseCheckpointSaver;
  close: () => Promise<void>;
}

const notes: string[] = [];
const log = (line: string) => console.log(line);

// ---------------------------------------------------------------------------------------------
// Contestants

async function contestants(prefix: string): Promise<{ all: Contestant[]; redis: Redis; ours: RedisSaver }> {
  const redis = new Redis(REDIS_URL);
  const ours = new RedisSaver({ client: redis, prefix });
  const all: Contestant[] = [{ name: OURS, saver: ours, close: async () => {} }];
  all.push({ name: "MemorySaver", saver: new MemorySaver(), close: async () => {} });

  try {
    const pg = await postgresStore(PG_URL);
    all.push({ name: "PostgresSaver", saver: pg.saver, close: pg.close });
  } catch (err) {
    notes.push(`PostgresSaver: not run (${(err as Error).message.split("\n")[0]}).`);
  }
  try {
    const sqlite = await sqliteStore();
    all.push({ name: "SqliteSaver", saver: sqlite.saver, close: sqlite.close });
  } catch (err) {
    notes.push(`SqliteSaver: not run: @langchain/langgraph-checkpoint-sqlite did not load here (${(err as Error).message.split("\n")[0]}).`);
  }

  const modules = (await redis.call("MODULE", "LIST").catch(() => [])) as unknown[];
  notes.push(
    `@langchain/langgraph-checkpoint-redis (the official Redis saver): not run. It needs the RedisJSON and RediSearch modules (Redis Stack); the Redis here has ${modules.length === 0 ? "no modules loaded" : `${modules.length} module(s), not those`}. This saver needs none.`,
  );
  return { all, redis, ours };
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Runs `op` `calls` times with `concurrency` callers; per-call latencies (µs) and calls/s. */
async function measure(op: (i: number) => Promise<unknown>, calls: number, concurrency: number): Promise<{ samples: number[]; perSecond: number }> {
  const samples: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const t0 = performance.now();
        await op(i);
        samples.push((performance.now() - t0) * 1000);
      }
    }),
  );
  return { samples, perSecond: calls / ((performance.now() - start) / 1000) };
}

/** Each end-to-end contestant's turns/s, round by round (round 0, the warm-up, left out). */
const e2eRounds = new Map<string, number[]>();

/** The median over rounds of `a`'s turns/s over `b`'s in the same round. */
function pairedRatio(a: string, b: string): number {
  const x = e2eRounds.get(a) ?? [];
  const y = e2eRounds.get(b) ?? [];
  return x.length === 0 || x.length !== y.length ? Number.NaN : median(x.map((v, i) => v / y[i]!));
}

interface Cell {
  samples: number[];
  rates: number[];
}
const cells = new Map<string, Cell>();
function record(key: string, result: { samples: number[]; perSecond: number }) {
  const cell = cells.get(key) ?? { samples: [], rates: [] };
  cell.samples.push(...result.samples);
  cell.rates.push(result.perSecond);
  cells.set(key, cell);
}
function cell(key: string): Summary & { perSecond: number } {
  const c = cells.get(key);
  if (!c) return { p50: Number.NaN, p99: Number.NaN, n: 0, perSecond: Number.NaN };
  return { ...summarize(c.samples), perSecond: median(c.rates) };
}

// ---------------------------------------------------------------------------------------------
// 1. Micro

async function micro(all: Contestant[], redis: Redis, ours: RedisSaver) {
  const ops = new Map<string, Record<MicroOp, (i: number) => Promise<unknown>>>();
  for (const c of all) ops.set(c.name, await microOps(c.saver, (ROUNDS + 1) * (CALLS_C1 + CALLS_C32)));
  const { ops: floor, bytes, cleanup } = await floorOps(redis, ours);
  // put as a conversation grows (bench/lib/micro.ts conversationPuts), this saver only, c=1.
  const growing = { 10: await conversationPuts(ours, 10, "c10", (ROUNDS + 1) * CALLS_C1), 120: await conversationPuts(ours, 120, "c120", (ROUNDS + 1) * CALLS_C1) };
  // The same inside the chat graph of bench/memory.ts (chatGraphPuts): whole turns, each put timed.
  const inGraph = { 10: await chatGraphPuts(ours, 10, "c10"), 120: await chatGraphPuts(ours, 120, "c120") };
  // The issue's fixture (bench/lib/micro.ts issueFixtureOps), this saver and its floors only, c=1.
  const issue = await issueFixtureOps(redis, ours, (ROUNDS + 1) * CALLS_C1);
  log(`micro: a tuple of ${bytes} bytes (10 messages), ${ROUNDS} rounds x ${CALLS_C1} calls at concurrency 1 and ${CALLS_C32} at 32`);

  for (let round = 0; round <= ROUNDS; round++) {
    for (const concurrency of [1, 32]) {
      const calls = concurrency === 1 ? CALLS_C1 : CALLS_C32;
      for (const [name, op] of Object.entries(floor)) {
        const r = await measure(op, calls, concurrency);
        if (round > 0) record(`micro|floor|${name}|${concurrency}`, r);
      }
      for (const c of all) {
        for (const op of MICRO_OPS) {
          const r = await measure(ops.get(c.name)![op], calls, concurrency);
          if (round > 0) record(`micro|${c.name}|${op}|${concurrency}`, r); // round 0 warms up
        }
      }
    }
    for (const turns of [10, 120] as const) {
      const r = await measure(growing[turns].op, CALLS_C1, 1);
      if (round > 0) record(`micro|${OURS}|put (conversation of ${turns} turns)|1`, r);
    }
    for (const name of ISSUE_OPS) {
      const r = await measure(issue.ops[name], CALLS_C1, 1);
      if (round > 0) record(`micro|issue|${name}|1`, r);
    }
    for (let i = 0; i < GRAPH_TURNS; i++) {
      for (const turns of [10, 120] as const) {
        const puts = await inGraph[turns].turn();
        if (round > 0) record(`micro|${OURS}|put in the chat graph (${turns} turns)|1`, { samples: puts, perSecond: Number.NaN });
      }
    }
  }
  await cleanup();
  await issue.cleanup();
  await Promise.all([...growing[10].threads, ...growing[120].threads, ...inGraph[10].threads, ...inGraph[120].threads, ...issue.threads].map((t) => ours.deleteThread(t)));

  const rows: Array<Record<string, string | number>> = [];
  for (const concurrency of [1, 32]) {
    for (const name of Object.keys(floor)) {
      const f = cell(`micro|floor|${name}|${concurrency}`);
      rows.push({ concurrency, saver: "floor", operation: name, "p50 µs": Math.round(f.p50), "p99 µs": Math.round(f.p99), "ops/s": Math.round(f.perSecond) });
    }
    for (const op of MICRO_OPS) {
      for (const c of all) {
        const m = cell(`micro|${c.name}|${op}|${concurrency}`);
        rows.push({ concurrency, saver: c.name, operation: op, "p50 µs": Math.round(m.p50), "p99 µs": Math.round(m.p99), "ops/s": Math.round(m.perSecond) });
      }
    }
  }
  for (const operation of [10, 120].flatMap((turns) => [`put (conversation of ${turns} turns)`, `put in the chat graph (${turns} turns)`])) {
    const m = cell(`micro|${OURS}|${operation}|1`);
    rows.push({ concurrency: 1, saver: OURS, operation, "p50 µs": Math.round(m.p50), "p99 µs": Math.round(m.p99), "ops/s": Number.isNaN(m.perSecond) ? "" : Math.round(m.perSecond) });
  }
  for (const operation of ISSUE_OPS) {
    const m = cell(`micro|issue|${operation}|1`);
    rows.push({ concurrency: 1, saver: operation.includes("floor") ? "floor" : OURS, operation, "p50 µs": Math.round(m.p50), "p99 µs": Math.round(m.p99), "ops/s": Math.round(m.perSecond) });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 2. End to end

async function endToEnd(all: Contestant[], redis: Redis) {
  // The server-time floor keeps Redis as busy per turn as this saver's scripts were in the rounds
  // so far (round 0 warms up, and measures it), spread over its own calls.
  const serverTime = new ServerTimeFloor(redis);
  await serverTime.load();
  all = [
    ...all,
    { name: FLOOR_E2E, saver: new RoundTripFloor(redis), close: () => Promise.resolve() },
    { name: SERVER_TIME_E2E, saver: serverTime, close: () => serverTime.unload() },
  ];
  const THREADS = QUICK ? 12 : 32;
  const TURNS = QUICK ? 3 : 5;
  const CONCURRENCY = 8;
  const graphs = new Map(all.map((c) => [c.name, agentGraph(c.saver)]));
  log(`end to end: a two-node agent graph, ${THREADS} threads x ${TURNS} turns per round, ${CONCURRENCY} threads at a time, ${E2E_ROUNDS} rounds`);
  const scripts = { calls: 0, usec: 0, turns: 0 };
  let serverTimeTurns = 0;
  for (let round = 0; round <= E2E_ROUNDS; round++) {
    for (const c of round % 2 === 0 ? all : [...all].reverse()) {
      const graph = graphs.get(c.name)!;
      const thread = (t: number) => ({ configurable: { thread_id: `e2e-${round}-${t}` } });
      const before = c.name === OURS ? await fcallStats(redis) : undefined;
      const result = await measure(
        async (i) => {
          const t = i % THREADS;
          await graph.invoke({ messages: [question(Math.floor(i / THREADS))] }, thread(t));
        },
        THREADS * TURNS,
        CONCURRENCY,
      );
      if (before !== undefined) {
        const after = await fcallStats(redis);
        scripts.calls += after.calls - before.calls;
        scripts.usec += after.usec - before.usec;
        scripts.turns += THREADS * TURNS;
        const floorCalls = serverTimeTurns > 0 ? serverTime.calls / serverTimeTurns : scripts.calls / scripts.turns;
        serverTime.setServerTime(scripts.usec / scripts.turns, floorCalls);
      }
      if (c.saver === serverTime) serverTimeTurns += THREADS * TURNS;
      if (round > 0) {
        record(`e2e|${c.name}`, result);
        e2eRounds.set(c.name, [...(e2eRounds.get(c.name) ?? []), result.perSecond]);
      }
    }
  }
  notes.push(`end to end: this saver's scripts took ${(scripts.usec / scripts.turns).toFixed(0)} µs of server time per turn (INFO commandstats), in ${(scripts.calls / scripts.turns).toFixed(1)} script calls; the server-time floor keeps Redis that busy per turn, over its ${(serverTime.calls / serverTimeTurns).toFixed(1)} calls.`);
  return all.map((c) => {
    const m = cell(`e2e|${c.name}`);
    return { saver: c.name, "turns/s": Math.round(m.perSecond), "x the one-PING floor": pairedRatio(c.name, FLOOR_E2E).toFixed(2), "turn p50 ms": (m.p50 / 1000).toFixed(2), "turn p99 ms": (m.p99 / 1000).toFixed(2) };
  });
}

// ---------------------------------------------------------------------------------------------
// 3. Scale (this saver)

async function scale(ours: RedisSaver) {
  const manager = new ConversationManager({ saver: ours });
  const THREAD_SIZES = QUICK ? [10, 1000] : [10, 1000, 10_000];
  const USERS = QUICK ? [100, 10_000] : [100, 100_000];
  const FORKS = QUICK ? [10, 1000] : [10, 10_000];
  const threads = new Map<number, string>();
  for (const size of THREAD_SIZES) {
    await buildLongThread(ours, `scale-${size}`, size);
    threads.set(size, `scale-${size}`);
  }
  const users = new Map<number, { userId: string; some: string }>();
  for (const size of USERS) {
    const ids = await buildConversations(manager, `scale-user-${size}`, size);
    users.set(size, { userId: `scale-user-${size}`, some: ids[0]! });
  }
  const forkSources = new Map<number, string>();
  for (const size of FORKS) {
    const c = await manager.createConversation({ userId: "fork-user", metadata: { title: `source ${size}` } });
    await buildLongThread(ours, c.threadId, size);
    forkSources.set(size, c.threadId);
  }
  log(`scale: threads of ${THREAD_SIZES.join(", ")} checkpoints; users with ${USERS.join(", ")} conversations; fork sources of ${FORKS.join(", ")} checkpoints`);

  const forks: string[] = [];
  const ops: Array<{ name: string; sizes: number[]; op: (size: number) => Promise<unknown>; calls: number }> = [
    { name: "getTuple (latest)", sizes: THREAD_SIZES, calls: CALLS_C1, op: (size) => ours.getTuple({ configurable: { thread_id: threads.get(size)!, checkpoint_ns: "" } }) },
    {
      name: "list (limit 10)",
      sizes: THREAD_SIZES,
      calls: CALLS_C1,
      op: async (size) => {
        for await (const _ of ours.list({ configurable: { thread_id: threads.get(size)!, checkpoint_ns: "" } }, { limit: 10 })) void _;
      },
    },
    { name: "listConversations (page of 20)", sizes: USERS, calls: CALLS_C1, op: (size) => manager.listConversations({ userId: users.get(size)!.userId }) },
    { name: "getConversation", sizes: USERS, calls: CALLS_C1, op: (size) => manager.getConversation(users.get(size)!.some, { userId: users.get(size)!.userId }) },
    {
      name: "forkConversation",
      sizes: FORKS,
      calls: QUICK ? 20 : 60,
      op: async (size) => forks.push((await manager.forkConversation(forkSources.get(size)!, { userId: "fork-user" })).threadId),
    },
  ];
  for (let round = 0; round <= ROUNDS; round++) {
    for (const { name, sizes, op, calls } of ops) {
      for (const size of sizes) {
        const r = await measure(() => op(size), calls, 1);
        if (round > 0) record(`scale|${name}|${size}`, r);
      }
    }
  }
  const rows = ops.flatMap(({ name, sizes }) =>
    sizes.map((size) => {
      const m = cell(`scale|${name}|${size}`);
      return { operation: name, size, "p50 µs": Math.round(m.p50), "p99 µs": Math.round(m.p99) };
    }),
  );
  const svg = lineChart(
    "redis-tree: p50 latency as data grows",
    ops.map(({ name, sizes }) => ({ name, points: sizes.map((size) => ({ x: size, y: cell(`scale|${name}|${size}`).p50 })) })),
    "p50 µs",
  );
  // Clean up what scale built.
  await Promise.all([...threads.values()].map((t) => ours.deleteThread(t)));
  for (const { userId } of users.values()) {
    for (;;) {
      const page = await manager.listConversations({ userId, limit: 100 });
      if (page.conversations.length === 0) break;
      await Promise.all(page.conversations.map((c) => manager.deleteConversation(c.threadId, { userId })));
    }
  }
  await Promise.all([...forkSources.values(), ...forks].map((t) => manager.deleteConversation(t, { userId: "fork-user" })));
  return { rows, svg, sizes: { THREAD_SIZES, USERS, FORKS } };
}

// ---------------------------------------------------------------------------------------------
// 4. Storage

async function storage() {
  // bench/memory.ts: the chat graph at 60 and 120 turns, this saver next to PostgresSaver and
  // SqliteSaver, prune and shallow mode.
  return chatMemory(log);
}

// ---------------------------------------------------------------------------------------------

function machine(redisInfo: string) {
  const version = /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? "?";
  let pg = "?";
  try {
    pg = execFileSync("psql", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    /* not installed */
  }
  return { cpu: os.cpus()[0]?.model ?? "?", cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, redis: version, postgres: pg, platform: `${os.type()} ${os.release()}` };
}

async function main() {
  const prefix = `lgbench-${randomBytes(4).toString("hex")}`;
  const { all, redis, ours } = await contestants(prefix);
  const env = machine(await redis.info("server"));
  log(`machine: ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, Node ${env.node}, Redis ${env.redis} (loopback), ${env.postgres}`);
  log(`contestants: ${all.map((c) => c.name).join(", ")}`);
  for (const n of notes) log(`note: ${n}`);

  // BENCH_ONLY=e2e,scale (micro, e2e, scale, storage, delta) runs those sections alone; the
  // targets of the others read "not measured".
  const only = new Set((process.env.BENCH_ONLY ?? "micro,e2e,scale,storage,delta").split(","));
  // A section not run prints no empty table.
  const table = (rows: readonly object[]) => rows.length > 0 && console.table(rows);
  const microRows = only.has("micro") ? await micro(all, redis, ours) : [];
  table(microRows);
  const e2eRows = only.has("e2e") ? await endToEnd(all, redis) : [];
  table(e2eRows);
  const scaleResult = only.has("scale") ? await scale(ours) : { rows: [], svg: "", sizes: { THREAD_SIZES: [10, 10_000], USERS: [100, 100_000], FORKS: [10, 10_000] } };
  table(scaleResult.rows);
  const storageResult = only.has("storage") ? await storage() : { rows: [], notes: [], targets: [] };
  const storageRows = storageResult.rows;
  table(storageRows);
  notes.push(...storageResult.notes);
  const delta = only.has("delta") ? await deltaBench(log) : { perTurn: [], commands: [], memory: [], walk: [], notes: [], targets: [] };
  table(delta.perTurn);
  table(delta.commands);
  table(delta.memory);
  table(delta.walk);
  notes.push(...delta.notes);

  // Targets (reported, not asserted).
  const p50 = (key: string) => cell(key).p50;
  const ratio = (a: number, b: number) => a / b;
  const { THREAD_SIZES, USERS, FORKS } = scaleResult.sizes;
  const largest = (xs: number[]) => xs[xs.length - 1]!;
  const targets = [
    { target: "getTuple p50 <= 1.2x read floor (c=1)", value: ratio(p50(`micro|${OURS}|getTuple (by id)|1`), p50("micro|floor|read floor (GET + deserialise)|1")), limit: 1.2, lower: true },
    { target: "(reference) the same, the floor with this saver's JSON reader", value: ratio(p50(`micro|${OURS}|getTuple (by id)|1`), p50("micro|floor|read floor, this saver's JSON reader|1")), limit: 1.2, lower: true },
    { target: "put p50 <= 1.3x write floor (c=1)", value: ratio(p50(`micro|${OURS}|put|1`), p50("micro|floor|write floor (serialise + SET)|1")), limit: 1.3, lower: true },
    { target: "getTuple p50 <= 1.2x read floor (c=1, the issue's fixture)", value: ratio(p50("micro|issue|getTuple (issue fixture)|1"), p50("micro|issue|read floor (issue fixture)|1")), limit: 1.2, lower: true },
    { target: "put p50 <= 1.3x write floor (c=1, the issue's fixture)", value: ratio(p50("micro|issue|put (issue fixture)|1"), p50("micro|issue|write floor (issue fixture)|1")), limit: 1.3, lower: true },
    { target: "(reference) the same, new message objects every put (each serialised again)", value: ratio(p50("micro|issue|put (issue fixture, new message objects every put)|1"), p50("micro|issue|write floor (issue fixture)|1")), limit: 1.3, lower: true },
    { target: "put p50 in a conversation of 120 turns <= 1.3x in one of 10", value: ratio(p50(`micro|${OURS}|put (conversation of 120 turns)|1`), p50(`micro|${OURS}|put (conversation of 10 turns)|1`)), limit: 1.3, lower: true },
    { target: "the same, puts inside the chat graph", value: ratio(p50(`micro|${OURS}|put in the chat graph (120 turns)|1`), p50(`micro|${OURS}|put in the chat graph (10 turns)|1`)), limit: 1.3, lower: true },
    { target: "end-to-end turns/s >= 2x PostgresSaver", value: pairedRatio(OURS, "PostgresSaver"), limit: 2, lower: false },
    { target: "end-to-end turns/s >= 0.95x the one-PING floor", value: pairedRatio(OURS, FLOOR_E2E), limit: 0.95, lower: false },
    { target: "(reference) the server-time floor vs the one-PING floor: what the scripts' server time costs", value: pairedRatio(SERVER_TIME_E2E, FLOOR_E2E), limit: 0.95, lower: false },
    { target: "(reference) this saver vs the server-time floor: what its client-side work costs", value: pairedRatio(OURS, SERVER_TIME_E2E), limit: 0.95, lower: false },
    { target: "(reference) MemorySaver + 1 PING per call vs MemorySaver", value: pairedRatio(FLOOR_E2E, "MemorySaver"), limit: 0.85, lower: false },
    { target: `getTuple p50 at ${largest(THREAD_SIZES)} <= 1.1x at ${THREAD_SIZES[0]}`, value: ratio(p50(`scale|getTuple (latest)|${largest(THREAD_SIZES)}`), p50(`scale|getTuple (latest)|${THREAD_SIZES[0]}`)), limit: 1.1, lower: true },
    { target: `list p50 at ${largest(THREAD_SIZES)} <= 1.1x at ${THREAD_SIZES[0]}`, value: ratio(p50(`scale|list (limit 10)|${largest(THREAD_SIZES)}`), p50(`scale|list (limit 10)|${THREAD_SIZES[0]}`)), limit: 1.1, lower: true },
    { target: `listConversations p50 at ${largest(USERS)} <= 1.2x at ${USERS[0]}`, value: ratio(p50(`scale|listConversations (page of 20)|${largest(USERS)}`), p50(`scale|listConversations (page of 20)|${USERS[0]}`)), limit: 1.2, lower: true },
    { target: `forkConversation p50 at ${largest(FORKS)} <= 1.2x at ${FORKS[0]}`, value: ratio(p50(`scale|forkConversation|${largest(FORKS)}`), p50(`scale|forkConversation|${FORKS[0]}`)), limit: 1.2, lower: true },
  ].map((t) => ({ target: t.target, measured: `${t.value.toFixed(2)}x`, result: Number.isNaN(t.value) ? "not measured" : (t.lower ? t.value <= t.limit : t.value >= t.limit) ? "pass" : "falls short" }));
  targets.push(...storageResult.targets);
  targets.push(...delta.targets);
  console.table(targets);
  for (const n of notes) log(`note: ${n}`);

  const dir = join(process.cwd(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const report = { date: new Date().toISOString(), quick: QUICK, machine: env, notes, micro: microRows, endToEnd: e2eRows, scale: scaleResult.rows, storage: storageRows, delta, targets };
  writeFileSync(join(dir, `bench-${stamp}.json`), JSON.stringify(report, null, 2));
  writeFileSync(join(dir, "latest.json"), JSON.stringify(report, null, 2));
  if (scaleResult.svg !== "") writeFileSync(join(dir, "scale.svg"), scaleResult.svg);
  log(`wrote bench/results/bench-${stamp}.json, bench/results/latest.json and bench/results/scale.svg`);

  for (const c of all) {
    await Promise.all([...MICRO_THREADS, "storage"].map((t) => c.saver.deleteThread(t)));
    for (let round = 0; round <= E2E_ROUNDS; round++) await Promise.all(Array.from({ length: 32 }, (_, t) => c.saver.deleteThread(`e2e-${round}-${t}`)));
    await c.close();
  }
  await redis.quit();
}

await main();
