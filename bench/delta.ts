// Long conversations on a DeltaChannel messages channel (LangGraph 1.4's `MessagesDeltaValue`):
// what a turn costs as the thread grows, how many commands `getState` sends, how much memory a
// checkpoint takes, and how long one walking script call keeps Redis busy.
//
//   npm run bench:delta    (REDIS_URL, else 127.0.0.1:6379; PG_URL, else postgresql://postgres@127.0.0.1:5432/test)
//
// Also a section of `npm run bench`. Messages are about 100 (human) and 450 (assistant)
// characters; a turn writes three checkpoints.
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { END, MessagesDeltaValue, MessagesValue, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { BaseCheckpointSaver, MemorySaver } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { RedisSaver } from "../src/index.js";
import { startOwnServer } from "../scripts/dev/own-server.js";
import { threadMemory } from "./lib/fixtures.js";
import { summarize } from "./lib/stats.js";

const QUICK = process.env.BENCH_QUICK === "1";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PG_URL = process.env.PG_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

const QUESTION = "I ordered the blue model last week and the package arrived with a cracked screen; what now?"; // ~100 chars
const ANSWER = `${"Sorry about that. Please keep the packaging, take two photos of the crack and of the box, and open a return from Orders. ".repeat(3)}A courier will collect it within two working days, and the replacement ships as soon as the return is scanned.`; // ~450 chars

/** The chat graph of this benchmark, on a DeltaChannel messages channel or an ordinary one. */
export function longChatGraph(checkpointer: BaseCheckpointSaver, kind: "delta" | "ordinary" = "delta") {
  return new StateGraph(new StateSchema({ messages: kind === "delta" ? MessagesDeltaValue : MessagesValue }))
    .addNode("model", (s: { messages: BaseMessage[] }) => ({ messages: [new AIMessage(`${ANSWER} (${s.messages.length})`)] }))
    .addEdge(START, "model")
    .addEdge("model", END)
    .compile({ checkpointer });
}

const ask = (i: number) => ({ messages: [new HumanMessage(`${QUESTION} #${i}`)] });

/** This saver with the walk LangGraph's base class does: one getTuple per ancestor (what it did before). */
class PerAncestorWalk extends RedisSaver {
  override getDeltaChannelHistory(options: Parameters<BaseCheckpointSaver["getDeltaChannelHistory"]>[0]) {
    return BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(this, options);
  }
}

interface Contestant {
  name: string;
  /** The saver for each turn (a cold contestant makes a new one: a new process). */
  saver: () => BaseCheckpointSaver;
  close?: () => Promise<void>;
}

/** Commands an ioredis client sends while `op` runs. */
async function commandsOf(client: Redis, op: () => Promise<unknown>): Promise<number> {
  const original = client.sendCommand.bind(client);
  let count = 0;
  client.sendCommand = ((command: Parameters<Redis["sendCommand"]>[0]) => {
    count++;
    return original(command);
  });
  try {
    await op();
  } finally {
    client.sendCommand = original;
  }
  return count;
}

export interface DeltaBenchResult {
  perTurn: Array<Record<string, string | number>>;
  commands: Array<Record<string, string | number>>;
  memory: Array<Record<string, string | number>>;
  walk: Array<Record<string, string | number>>;
  targets: Array<{ target: string; measured: string; result: string }>;
  notes: string[];
}

export async function deltaBench(log: (line: string) => void = console.log): Promise<DeltaBenchResult> {
  const SMALL = 25;
  const LARGE = QUICK ? 100 : 175;
  const ROUNDS = QUICK ? 3 : 5;
  const TURNS_PER_ROUND = 2;
  const notes: string[] = [];
  const prefix = `lgbench-delta-${randomBytes(4).toString("hex")}`;
  const redis = new Redis(REDIS_URL);
  const warm = new RedisSaver({ client: redis, prefix });
  const contestants: Contestant[] = [
    { name: "redis-tree (this)", saver: () => warm },
    { name: "redis-tree, a new process every turn (no cache)", saver: () => new RedisSaver({ client: redis, prefix, historyCacheWrites: 0 }) },
    { name: "before: one getTuple per ancestor (base class walk)", saver: () => new PerAncestorWalk({ client: redis, prefix, historyCacheWrites: 0 }) },
    { name: "MemorySaver", saver: (() => { const m = new MemorySaver(); return () => m; })() },
  ];
  try {
    const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
    const schema = `lgbench_delta_${randomBytes(4).toString("hex")}`;
    const pg = PostgresSaver.fromConnString(PG_URL, { schema });
    await pg.setup();
    const pool = (pg as unknown as { pool: { query: (q: string) => Promise<unknown> } }).pool;
    contestants.push({
      name: "PostgresSaver",
      saver: () => pg,
      close: async () => {
        await pool.query(`drop schema if exists ${schema} cascade`);
        await pg.end();
      },
    });
  } catch (err) {
    notes.push(`PostgresSaver: not run (${(err as Error).message.split("\n")[0]}).`);
  }

  // 1. Per-turn p50 at SMALL and LARGE turns: each contestant grows two threads, then turns on
  // both are timed, interleaved, round by round.
  log(`delta: per-turn p50 of a DeltaChannel chat graph at ${SMALL} and ${LARGE} turns (${ROUNDS} rounds x ${TURNS_PER_ROUND} turns, interleaved)`);
  const samples = new Map<string, number[]>();
  const threads = (c: Contestant, size: number): RunnableConfig => ({ configurable: { thread_id: `delta-${contestants.indexOf(c)}-${size}` } });
  for (const c of contestants) {
    for (const size of [SMALL, LARGE]) {
      const graph = longChatGraph(c.name.startsWith("before") ? new RedisSaver({ client: redis, prefix }) : c.saver());
      for (let i = 0; i < size; i++) await graph.invoke(ask(i), threads(c, size));
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contestants) {
      for (const size of [SMALL, LARGE]) {
        for (let t = 0; t < TURNS_PER_ROUND; t++) {
          const graph = longChatGraph(c.saver());
          const start = performance.now();
          await graph.invoke(ask(1000 + round * TURNS_PER_ROUND + t), threads(c, size));
          const key = `${c.name}|${size}`;
          samples.set(key, [...(samples.get(key) ?? []), performance.now() - start]);
        }
      }
    }
  }
  const perTurn = contestants.map((c) => {
    const small = summarize(samples.get(`${c.name}|${SMALL}`) ?? []);
    const large = summarize(samples.get(`${c.name}|${LARGE}`) ?? []);
    return { saver: c.name, [`p50 ms at ${SMALL} turns`]: small.p50.toFixed(1), [`p50 ms at ${LARGE} turns`]: large.p50.toFixed(1), ratio: `${(large.p50 / small.p50).toFixed(2)}x` };
  });

  // 2. Commands per getState on a 40-turn thread.
  const counted = new Redis(REDIS_URL);
  const config: RunnableConfig = { configurable: { thread_id: "delta-commands-40" } };
  const writer = longChatGraph(warm);
  for (let i = 0; i < 40; i++) await writer.invoke(ask(i), config);
  const coldSaver = new RedisSaver({ client: counted, prefix });
  await longChatGraph(coldSaver).getState({ configurable: { thread_id: "delta-0-25" } }); // the first calls load the libraries
  const fresh = new RedisSaver({ client: counted, prefix });
  const commands = [
    { read: "getState, a process that has not read the thread", commands: await commandsOf(counted, () => longChatGraph(fresh).getState(config)) },
    { read: "getState again after one more turn (same process)", commands: await (async () => { await writer.invoke(ask(40), config); return commandsOf(counted, () => longChatGraph(fresh).getState(config)); })() },
    { read: "before: getState with one getTuple per ancestor", commands: await commandsOf(counted, () => longChatGraph(new PerAncestorWalk({ client: counted, prefix, historyCacheWrites: 0 })).getState(config)) },
  ];
  await counted.quit();

  // 3. Memory per checkpoint at 100 turns, DeltaChannel vs ordinary messages.
  const memory = [];
  for (const kind of ["delta", "ordinary"] as const) {
    const thread = `delta-memory-${kind}`;
    const graph = longChatGraph(warm, kind);
    for (let i = 0; i < 100; i++) await graph.invoke(ask(i), { configurable: { thread_id: thread } });
    const m = await threadMemory(warm, thread);
    memory.push({ messages: kind === "delta" ? "DeltaChannel (MessagesDeltaValue)" : "ordinary (MessagesValue)", turns: 100, checkpoints: m.checkpoints, "total KiB": (m.bytes / 1024).toFixed(1), "KiB / checkpoint": (m.bytes / 1024 / m.checkpoints).toFixed(2) });
  }

  // 4. Server time of one walking call: a cold read of a long thread on a Redis of our own
  // (INFO commandstats counts every FCALL of the server; the shared one has other clients).
  const walk: Array<Record<string, string | number>> = [];
  let maxCallMs = Number.NaN;
  try {
    const own = await startOwnServer({ persist: false });
    const client = new Redis(own.url);
    try {
      const saver = new RedisSaver({ client, prefix: "walk" });
      const graph = longChatGraph(saver);
      const LONG = QUICK ? 300 : 1000;
      for (let i = 0; i < LONG; i++) await graph.invoke(ask(i), { configurable: { thread_id: "long" } });
      const reader = new RedisSaver({ client, prefix: "walk", historyCacheWrites: 0 });
      await reader.getDeltaChannelHistory({ config: { configurable: { thread_id: "long" } }, channels: ["messages"] }); // loads the library
      const perCall: number[] = [];
      for (let r = 0; r < 3; r++) {
        await client.config("RESETSTAT");
        const calls = await commandsOf(client, () => reader.getDeltaChannelHistory({ config: { configurable: { thread_id: "long" } }, channels: ["messages"] }));
        const stats = /cmdstat_fcall:calls=(\d+),usec=(\d+)/.exec(await client.info("commandstats"));
        const usec = Number(stats?.[2] ?? Number.NaN);
        perCall.push(usec / 1000 / calls);
        walk.push({ read: `cold getDeltaChannelHistory of a ${LONG}-turn thread (${LONG * 3} checkpoints)`, "script calls": calls, "server ms": (usec / 1000).toFixed(1), "server ms / call": (usec / 1000 / calls).toFixed(2), "µs / checkpoint": (usec / (LONG * 3)).toFixed(1) });
      }
      maxCallMs = Math.max(...perCall);
    } finally {
      await client.quit();
      await own.stop();
    }
  } catch (err) {
    notes.push(`walk server time: not measured (${(err as Error).message.split("\n")[0]}; needs the redis-server binary)`);
  }

  const ours = samples.get(`${contestants[0]!.name}|${LARGE}`) ?? [];
  const ratio = summarize(ours).p50 / summarize(samples.get(`${contestants[0]!.name}|${SMALL}`) ?? []).p50;
  const target = (name: string, value: number, limit: number, shown: string) => ({
    target: name,
    measured: Number.isNaN(value) ? "-" : shown,
    result: Number.isNaN(value) ? "not measured" : value <= limit ? "pass" : "falls short",
  });
  const perGetState = Math.max(commands[0]!.commands, commands[1]!.commands);
  const targets = [
    target(`per-turn p50 at ${LARGE} turns <= 1.2x at ${SMALL} (DeltaChannel graph)`, ratio, 1.2, `${ratio.toFixed(2)}x`),
    target("commands per getState on a 40-turn DeltaChannel thread <= 2", perGetState, 2, String(perGetState)),
    target("server time per walking script call <= 10 ms", maxCallMs, 10, `${maxCallMs.toFixed(2)} ms`),
  ];

  const everyThread = [...contestants.flatMap((c) => [SMALL, LARGE].map((size) => threads(c, size).configurable!.thread_id as string)), "delta-commands-40", "delta-memory-delta", "delta-memory-ordinary"];
  await Promise.all(everyThread.map((t) => warm.deleteThread(t)));
  for (const c of contestants) await c.close?.();
  await redis.quit();
  return { perTurn, commands, memory, walk, targets, notes };
}

async function main() {
  const result = await deltaBench();
  console.table(result.perTurn);
  console.table(result.commands);
  console.table(result.memory);
  console.table(result.walk);
  console.table(result.targets);
  for (const n of result.notes) console.log(`note: ${n}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
