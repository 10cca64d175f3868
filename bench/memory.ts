// Storage of a chat graph as a conversation grows: Redis memory of this saver against the bytes
// PostgresSaver and SqliteSaver add, at 60 and 120 turns of the same thread (a human message of
// about 100 characters and an answer of about 450 a turn, three checkpoints a turn), then what
// prune and shallow mode leave. Memory is MEMORY USAGE ... SAMPLES 0 on every key of the thread
// (this program may scan; the library never does).
//
//   npm run bench:memory        (REDIS_URL, else 127.0.0.1:6379; PG_URL, else postgresql://postgres@127.0.0.1:5432/test)
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { RedisSaver } from "../src/index.js";
import { threadMemory } from "./lib/fixtures.js";
import { postgresStore, sqliteStore } from "./lib/stores.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PG_URL = process.env.PG_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const HALF = 60;
const TURNS = 120;
const OURS = "redis-tree (this)";

/** A question of about 100 characters and an answer of about 450, different every turn. */
export function chatTurn(i: number): { question: string; answer: string } {
  const question = `Question ${i}: my order #${10_000 + i} arrived damaged and the box was open, what are my options now?`;
  const answer =
    `Answer ${i}: I am sorry your order #${10_000 + i} arrived damaged. You can ask for a replacement or a refund from the Orders page: ` +
    "choose the order, then Report a problem, then Damaged item, and attach a photo of the item and of the box. A replacement ships " +
    "within two business days once the report is reviewed; a refund goes back to the original payment method within five to seven " +
    "business days. Keep the item and the packaging until the case is closed, a courier may collect them.";
  return { question, answer };
}

/** The chat graph of this benchmark: one model node that answers every question. */
export function chatGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("model", (s) => ({ messages: [new AIMessage(chatTurn(Math.floor(s.messages.length / 2)).answer)] }))
    .addEdge(START, "model")
    .addEdge("model", END)
    .compile({ checkpointer });
}

interface Store {
  name: string;
  saver: BaseCheckpointSaver;
  /** Bytes the thread takes (ours), or the store's size (others: measured as growth). */
  bytes: (threadId: string) => Promise<number>;
  measure: string;
  close: () => Promise<void>;
}

async function stores(client: Redis, prefix: string, notes: string[]): Promise<Store[]> {
  const ours = new RedisSaver({ client, prefix });
  const all: Store[] = [{ name: OURS, saver: ours, bytes: async (t) => (await threadMemory(ours, t)).bytes, measure: "Redis MEMORY USAGE of the thread's keys", close: async () => {} }];
  try {
    const pg = await postgresStore(PG_URL);
    all.push({ name: "PostgresSaver", ...pg, measure: "growth of the schema's tables (pg_total_relation_size, TOAST included)" });
  } catch (err) {
    notes.push(`PostgresSaver: not run (${(err as Error).message.split("\n")[0]}).`);
  }
  try {
    const sqlite = await sqliteStore();
    all.push({ name: "SqliteSaver", ...sqlite, measure: "growth of the database file" });
  } catch (err) {
    notes.push(`SqliteSaver: not run (${(err as Error).message.split("\n")[0]}).`);
  }
  return all;
}

async function checkpointsOf(saver: BaseCheckpointSaver, threadId: string): Promise<number> {
  let n = 0;
  for await (const _ of saver.list({ configurable: { thread_id: threadId } })) n++;
  return n;
}

/**
 * The storage table: bytes per checkpoint at 60 and 120 turns for every store, this saver's
 * memory after prune and in shallow mode, and the targets (120 turns: at most 4 KiB a checkpoint
 * and at most 2.4x the memory of 60 turns, which is linear growth with room for fixed costs).
 */
export async function chatMemory(log: (line: string) => void = console.log) {
  const client = new Redis(REDIS_URL);
  const prefix = `lgbench-${randomBytes(4).toString("hex")}`;
  const notes: string[] = [];
  const rows: Array<Record<string, string | number>> = [];
  const growth: Record<string, number> = {};
  const perCheckpoint: Record<string, number> = {};
  const all = await stores(client, prefix, notes);
  for (const store of all) {
    const graph = chatGraph(store.saver);
    const threadId = `chat-${randomBytes(3).toString("hex")}`;
    const before = store.name === OURS ? 0 : await store.bytes(threadId);
    let atHalf = 0;
    for (let i = 0; i < TURNS; i++) {
      await graph.invoke({ messages: [new HumanMessage(chatTurn(i).question)] }, { configurable: { thread_id: threadId } });
      if (i + 1 !== HALF && i + 1 !== TURNS) continue;
      const bytes = (await store.bytes(threadId)) - before;
      const checkpoints = await checkpointsOf(store.saver, threadId);
      rows.push({ store: store.name, turns: i + 1, checkpoints, "total KiB": Math.round(bytes / 1024), "bytes/checkpoint": Math.round(bytes / checkpoints), measure: store.measure });
      if (i + 1 === HALF) atHalf = bytes;
      else {
        growth[store.name] = bytes / atHalf;
        perCheckpoint[store.name] = bytes / checkpoints;
      }
    }
    if (store.saver instanceof RedisSaver) {
      for (const keepLast of [30, 1]) {
        await store.saver.prune([threadId], { keepLast });
        const pruned = await threadMemory(store.saver, threadId);
        rows.push({ store: `${store.name}, after prune keepLast ${keepLast}`, turns: TURNS, checkpoints: pruned.checkpoints, "total KiB": Math.round(pruned.bytes / 1024), "bytes/checkpoint": Math.round(pruned.bytes / pruned.checkpoints), measure: store.measure });
      }
    }
    await store.saver.deleteThread(threadId);
  }
  const shallow = new RedisSaver({ client, prefix, shallow: true });
  const graph = chatGraph(shallow);
  for (let i = 0; i < TURNS; i++) await graph.invoke({ messages: [new HumanMessage(chatTurn(i).question)] }, { configurable: { thread_id: "shallow" } });
  const kept = await threadMemory(shallow, "shallow");
  rows.push({ store: `${OURS}, shallow mode`, turns: TURNS, checkpoints: kept.checkpoints, "total KiB": Math.round(kept.bytes / 1024), "bytes/checkpoint": Math.round(kept.bytes / kept.checkpoints), measure: "Redis MEMORY USAGE of the thread's keys" });
  await shallow.deleteThread("shallow");
  for (const store of all) await store.close();
  await client.quit();

  for (const [name, ratio] of Object.entries(growth)) log(`${name}: memory at ${TURNS} turns is ${ratio.toFixed(2)}x memory at ${HALF} (linear growth is 2x plus what fixed costs add)`);
  const targets = [
    { target: `memory per checkpoint at ${TURNS} turns <= 4 KiB`, measured: `${((perCheckpoint[OURS] ?? Number.NaN) / 1024).toFixed(2)} KiB`, result: (perCheckpoint[OURS] ?? Number.POSITIVE_INFINITY) <= 4096 ? "pass" : "falls short" },
    { target: `memory at ${TURNS} turns <= 2.4x memory at ${HALF}`, measured: `${(growth[OURS] ?? Number.NaN).toFixed(2)}x`, result: (growth[OURS] ?? Number.POSITIVE_INFINITY) <= 2.4 ? "pass" : "falls short" },
  ];
  return { rows, targets, notes, growth };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await chatMemory();
  console.log(`Redis ${REDIS_URL}: a chat graph, ${TURNS} turns (3 checkpoints a turn), messages of about 100 and 450 characters`);
  console.table(result.rows);
  console.table(result.targets);
  for (const n of result.notes) console.log(`note: ${n}`);
}
