// Quickstart: a chat graph checkpointed in Redis; a second saver on a new connection (as a second
// process would) picks the thread up where the first left it.
//
//   npx tsx examples/quickstart.ts
import { HumanMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { Redis } from "ioredis";
import { RedisSaver } from "langgraph-checkpoint-redis-tree";
import { exampleRedis, fakeModel, line, runIfMain, show } from "./lib/setup.js";

const builder = new StateGraph(MessagesAnnotation)
  .addNode("model", (state) => ({ messages: [fakeModel(state.messages)] }))
  .addEdge(START, "model")
  .addEdge("model", END);

export async function main(): Promise<void> {
  const { url } = await exampleRedis();
  const config = { configurable: { thread_id: `quickstart-${Date.now()}` } };

  // Process one: compile with the saver as checkpointer, two turns.
  const client = new Redis(url);
  const graph = builder.compile({ checkpointer: new RedisSaver({ client, prefix: "example" }) });
  await graph.invoke({ messages: [new HumanMessage("Hi, I'm Ada.")] }, config);
  await graph.invoke({ messages: [new HumanMessage("Nice weather today.")] }, config);
  await client.quit();
  line("process one ran two turns, and exited.");

  // Process two: a new connection, the same thread id; the conversation goes on.
  const saver = RedisSaver.fromUrl(url, { prefix: "example" });
  const resumed = builder.compile({ checkpointer: saver });
  const result = await resumed.invoke({ messages: [new HumanMessage("What's my name?")] }, config);
  line("process two resumed the thread:");
  show(result.messages);

  await saver.deleteThread(config.configurable.thread_id); // examples leave nothing behind
  await saver.close();
}

runIfMain(import.meta.url, main);
