// Quickstart: a chat graph checkpointed in Redis; a second saver on a new connection (as a second
// process would) picks the thread up where the first left it.
//
//   npx tsx examples/quickstart.ts          (REDIS_URL, else redis://127.0.0.1:6379)
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { Redis } from "ioredis";
import { RedisSaver } from "langgraph-checkpoint-redis-tree";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

// A deterministic stand-in for a chat model: no API key, same answer every run.
function fakeModel(state: typeof MessagesAnnotation.State) {
  const question = String(state.messages.at(-1)?.content ?? "");
  return { messages: [new AIMessage(`You said "${question}". That's message #${state.messages.length}.`)] };
}

const builder = new StateGraph(MessagesAnnotation).addNode("model", fakeModel).addEdge(START, "model").addEdge("model", END);
const threadId = `quickstart-${Date.now()}`;
const config = { configurable: { thread_id: threadId } };

// Process one: two turns.
const firstClient = new Redis(url);
const graph = builder.compile({ checkpointer: new RedisSaver({ client: firstClient, prefix: "quickstart" }) });
await graph.invoke({ messages: [new HumanMessage("Hi, I'm Ada.")] }, config);
await graph.invoke({ messages: [new HumanMessage("What's my name?")] }, config);
await firstClient.quit();

// Process two: a new connection, the same thread.
const saver = RedisSaver.fromUrl(url, { prefix: "quickstart" });
const resumed = builder.compile({ checkpointer: saver });
const result = await resumed.invoke({ messages: [new HumanMessage("Still there?")] }, config);
for (const message of result.messages) console.log(`${message.getType().padEnd(5)} ${String(message.content)}`);

await saver.deleteThread(threadId); // tidy up: examples leave nothing behind
await saver.close();
