// Redis memory per checkpoint for a 200-turn conversation (a real StateGraph, growing messages),
// before and after prune, and in shallow mode. MEMORY USAGE ... SAMPLES 0 on every key of the
// thread (this program may scan; the library never does).
//
//   npm run bench:memory        (REDIS_URL, else 127.0.0.1:6379)
import { randomBytes } from "node:crypto";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { Redis } from "ioredis";
import { RedisSaver } from "../src/index.js";
import { threadMemory } from "./lib/fixtures.js";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const TURNS = 200;

async function main() {
  const client = new Redis(url);
  const prefix = `lgbench-${randomBytes(4).toString("hex")}`;
  const rows = [];
  for (const shallow of [false, true]) {
    const saver = new RedisSaver({ client, prefix, shallow });
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("model", (s) => ({ messages: [new AIMessage(`Answer ${s.messages.length}: open Settings, then Security, then Reset password.`)] }))
      .addEdge(START, "model")
      .addEdge("model", END)
      .compile({ checkpointer: saver });
    const threadId = shallow ? "shallow" : "full";
    for (let i = 0; i < TURNS; i++) await graph.invoke({ messages: [new HumanMessage(`Question ${i}: how do I reset my password?`)] }, { configurable: { thread_id: threadId } });
    const full = await threadMemory(saver, threadId);
    rows.push({ thread: shallow ? "shallow mode" : "200 turns", checkpoints: full.checkpoints, keys: full.keys, "total KiB": (full.bytes / 1024).toFixed(1), "bytes / checkpoint": Math.round(full.bytes / full.checkpoints) });
    if (!shallow) {
      for (const keepLast of [30, 1]) {
        await saver.prune([threadId], { keepLast });
        const pruned = await threadMemory(saver, threadId);
        rows.push({ thread: `after prune keepLast ${keepLast}`, checkpoints: pruned.checkpoints, keys: pruned.keys, "total KiB": (pruned.bytes / 1024).toFixed(1), "bytes / checkpoint": Math.round(pruned.bytes / pruned.checkpoints) });
      }
    }
    await saver.deleteThread(threadId);
  }
  console.log(`Redis ${url}: ${TURNS} turns of a two-message exchange (3 checkpoints a turn)`);
  console.table(rows);
  await client.quit();
}

await main();
