// forkConversation at a source of 10 and of 10,000 checkpoints (the same state at the fork point,
// only the history differs): a shallow fork must cost the same. And getTree for a conversation
// of 200 messages (100 turns of a real graph).
//
//   npm run bench:trees        (REDIS_URL, else 127.0.0.1:6379)
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { emptyCheckpoint, uuid6, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { Redis } from "ioredis";
import { ConversationManager, RedisSaver } from "../src/index.js";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SIZES = [10, 10_000];
const ROUNDS = 10;
const PER_ROUND = 50;

const p = (samples: number[], q: number) => [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;

async function main() {
  const client = new Redis(url);
  const prefix = `lgbench-${randomBytes(4).toString("hex")}`;
  const saver = new RedisSaver({ client, prefix });
  const manager = new ConversationManager({ saver });
  const userId = "bench-user";

  // Sources: N checkpoints of history; every checkpoint holds the same 10 messages and a step counter.
  const messages = Array.from({ length: 10 }, (_, i) => (i % 2 ? new AIMessage({ content: `answer ${i}`, id: `m${i}` }) : new HumanMessage({ content: `question ${i}`, id: `m${i}` })));
  const sources: Record<number, string> = {};
  for (const size of SIZES) {
    const c = await manager.createConversation({ userId, metadata: { title: `source ${size}`, tags: ["bench"] } });
    let config: RunnableConfig = { configurable: { thread_id: c.threadId, checkpoint_ns: "" } };
    const meta = { source: "loop", step: 0, parents: {} } as CheckpointMetadata;
    let v = saver.getNextVersion(undefined);
    const mv = v;
    for (let i = 0; i < size; i++) {
      v = saver.getNextVersion(v);
      const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { messages, step: i }, channel_versions: { messages: mv, step: v } };
      config = await saver.put(config, checkpoint, { ...meta, step: i }, i === 0 ? { messages: mv, step: v } : { step: v });
    }
    sources[size] = c.threadId;
    console.log(`source with ${size} checkpoints: ${c.threadId}`);
  }

  const forks: string[] = [];
  const samples: Record<number, number[]> = Object.fromEntries(SIZES.map((s) => [s, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const size of SIZES) {
      for (let i = 0; i < PER_ROUND; i++) {
        const t0 = performance.now();
        const fork = await manager.forkConversation(sources[size]!, { userId });
        if (round > 0) samples[size]!.push((performance.now() - t0) * 1000);
        forks.push(fork.threadId);
      }
    }
  }
  console.log(`Redis ${url}, ${ROUNDS} interleaved rounds x ${PER_ROUND} forks per size`);
  console.table(SIZES.map((size) => ({ operation: "forkConversation (head)", "source checkpoints": size, "p50 µs": Math.round(p(samples[size]!, 0.5)), "p99 µs": Math.round(p(samples[size]!, 0.99)) })));
  const ratio = p(samples[SIZES[1]!]!, 0.5) / p(samples[SIZES[0]!]!, 0.5);
  console.log(`fork p50 at ${SIZES[1]} / at ${SIZES[0]}: ${ratio.toFixed(2)}x (target <= 1.20x): ${ratio <= 1.2 ? "pass" : "falls short"}`);

  // getTree on 200 messages: 100 turns of a real graph (3 checkpoints a turn).
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("model", (s) => ({ messages: [new AIMessage(`reply ${s.messages.length}: ${"lorem ipsum ".repeat(8)}`)] }))
    .addEdge(START, "model")
    .addEdge("model", END)
    .compile({ checkpointer: saver });
  const c = await manager.createConversation({ userId, metadata: { title: "long" } });
  for (let i = 0; i < 100; i++) await graph.invoke({ messages: [new HumanMessage(`turn ${i}: ${"dolor sit amet ".repeat(8)}`)] }, { configurable: { thread_id: c.threadId } });
  const treeSamples: number[] = [];
  let nodes = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const tree = await manager.getTree(c.threadId, { userId });
    if (i >= 5) treeSamples.push((performance.now() - t0) * 1000);
    nodes = tree.nodes.length;
  }
  let checkpoints = 0;
  for await (const _ of saver.list({ configurable: { thread_id: c.threadId, checkpoint_ns: "" } })) checkpoints++;
  console.table([{ operation: "getTree", messages: nodes, checkpoints, "p50 ms": (p(treeSamples, 0.5) / 1000).toFixed(2), "p99 ms": (p(treeSamples, 0.99) / 1000).toFixed(2) }]);

  await Promise.all([...forks, ...Object.values(sources), c.threadId].map((t) => manager.deleteConversation(t, { userId })));
  await client.quit();
}

await main();
