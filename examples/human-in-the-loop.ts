// Human in the loop: a graph stops at interrupt() to ask for approval; the conversation shows up in
// its owner's inbox (listConversations({ status: "interrupted" })) with the question, and the run
// resumes with Command({ resume }), here from a new connection, holding the conversation's lease.
//
//   npx tsx examples/human-in-the-loop.ts
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { Command, END, MessagesAnnotation, START, StateGraph, interrupt } from "@langchain/langgraph";
import { ConversationManager, RedisSaver } from "langgraph-checkpoint-redis-tree";
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
  const userId = `agent-ann-${Date.now()}`;

  const first = RedisSaver.fromUrl(url, { prefix: "example" });
  const conversation = await new ConversationManager({ saver: first }).createConversation({ userId, metadata: { title: "Broken parcel, order 42" } });
  const config = { configurable: { thread_id: conversation.threadId } };
  await builder.compile({ checkpointer: first }).invoke({ messages: [new HumanMessage("My order 42 arrived broken.")] }, config);
  await first.close();

  // Later, elsewhere: what waits for a human?
  const saver = RedisSaver.fromUrl(url, { prefix: "example" });
  const conversations = new ConversationManager({ saver });
  const inbox = await conversations.listConversations({ userId, status: "interrupted" });
  for (const c of inbox.conversations) line(`inbox: "${c.title}" asks ${JSON.stringify(c.interrupts[0]?.value)}`);

  const graph = builder.compile({ checkpointer: saver });
  const state = await graph.getState(config);
  line(`waiting at: ${state.next.join(", ")}`);
  line(`pending interrupt: ${JSON.stringify(state.tasks[0]?.interrupts[0]?.value)}`);

  // Resumed inside a run: a second click on "approve" would be refused, not run twice.
  const done = await conversations.run(conversation.threadId, { userId }, (runConfig) => graph.invoke(new Command({ resume: "yes" }), runConfig));
  line("after resuming with \"yes\":");
  show(done.messages);
  line(`status now: ${(await conversations.getConversation(conversation.threadId, { userId }))?.status}`);
  line(`inbox: ${(await conversations.listConversations({ userId, status: "interrupted" })).total} waiting`);

  await conversations.deleteConversation(conversation.threadId, { userId });
  await saver.close();
}

runIfMain(import.meta.url, main);
