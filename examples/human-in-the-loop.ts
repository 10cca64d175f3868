// Human in the loop: a graph stops at interrupt() to ask for approval; the pending interrupt is
// read back from Redis, and the run resumes with Command({ resume }), here from a new connection.
//
//   npx tsx examples/human-in-the-loop.ts
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { Command, END, MessagesAnnotation, START, StateGraph, interrupt } from "@langchain/langgraph";
import { RedisSaver } from "langgraph-checkpoint-redis-tree";
import { exampleRedis, line, runIfMain, show } from "./lib/setup.js";

const builder = new StateGraph(MessagesAnnotation)
  .addNode("propose", () => ({ messages: [new AIMessage("I can refund order 42 (59.90 EUR).")] }))
  .addNode("approve", () => {
    // The run stops here; the question is saved with the checkpoint.
    const decision = interrupt<{ question: string }, string>({ question: "Refund order 42?" });
    return { messages: [new AIMessage(decision === "yes" ? "Refund sent." : "Refund cancelled.")] };
  })
  .addEdge(START, "propose")
  .addEdge("propose", "approve")
  .addEdge("approve", END);

export async function main(): Promise<void> {
  const { url } = await exampleRedis();
  const config = { configurable: { thread_id: `approval-${Date.now()}` } };

  const first = RedisSaver.fromUrl(url, { prefix: "example" });
  await builder.compile({ checkpointer: first }).invoke({ messages: [new HumanMessage("My order 42 arrived broken.")] }, config);
  await first.close();

  // Later, elsewhere: what is the graph waiting for?
  const saver = RedisSaver.fromUrl(url, { prefix: "example" });
  const graph = builder.compile({ checkpointer: saver });
  const state = await graph.getState(config);
  line(`waiting at: ${state.next.join(", ")}`);
  line(`pending interrupt: ${JSON.stringify(state.tasks[0]?.interrupts[0]?.value)}`);

  const done = await graph.invoke(new Command({ resume: "yes" }), config);
  line("after resuming with \"yes\":");
  show(done.messages);

  await saver.deleteThread(config.configurable.thread_id);
  await saver.close();
}

runIfMain(import.meta.url, main);
