// Time travel and forking an agent run: replay from an older checkpoint (a new branch of the same
// thread), see the branches, switch between them, and fork a branch off into a new conversation.
//
//   npx tsx examples/time-travel.ts
import { HumanMessage } from "@langchain/core/messages";
import { ConversationManager, RedisSaver } from "langgraph-checkpoint-redis-tree";
import { chatGraph, exampleRedis, line, runIfMain, show } from "./lib/setup.js";

export async function main(): Promise<void> {
  const { url } = await exampleRedis();
  const saver = RedisSaver.fromUrl(url, { prefix: "example" });
  const conversations = new ConversationManager({ saver });
  const graph = chatGraph(saver);
  const userId = "ada";
  const c = await conversations.createConversation({ userId, metadata: { title: "Trip planning", tags: ["travel"] } });
  const config = { configurable: { thread_id: c.threadId } };

  await graph.invoke({ messages: [new HumanMessage("Hi, I'm Ada. Plan a trip to Lisbon.")] }, config);
  await graph.invoke({ messages: [new HumanMessage("Make it three days.")] }, config);

  // Replay: pick the state after the first answer from the history, and run a different second turn.
  const history = [];
  for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot);
  const afterFirstAnswer = history.find((s) => s.values.messages?.length === 2 && s.next.length === 0)!;
  await graph.invoke({ messages: [new HumanMessage("Make it a week instead.")] }, afterFirstAnswer.config);

  let branches = await conversations.listBranches(c.threadId, { userId });
  line(`the thread now has ${branches.length} branches:`);
  for (const b of branches) line(`  ${b.active ? "*" : " "} ${b.checkpointId}  ${b.messageCount} messages`);

  // Name the three-day branch and switch back to it; the next turn continues it.
  const threeDays = branches.find((b) => !b.active)!;
  await conversations.nameBranch(c.threadId, threeDays.checkpointId, "three days", { userId });
  await conversations.switchBranch(c.threadId, threeDays.checkpointId, { userId });
  const continued = await graph.invoke({ messages: [new HumanMessage("Add a day in Sintra.")] }, config);
  line("after switching to \"three days\" and going on:");
  show(continued.messages);

  // Fork the week-long plan into a conversation of its own; the source is unchanged.
  branches = await conversations.listBranches(c.threadId, { userId });
  const week = branches.find((b) => b.name !== "three days")!;
  const fork = await conversations.forkConversation(c.threadId, { userId, checkpointId: week.checkpointId, title: "Lisbon, a week" });
  line(`forked "${fork.title}" from ${fork.forkedFrom!.threadId} at ${fork.forkedFrom!.checkpointId}:`);
  show(await conversations.getMessages(fork.threadId, { userId }));

  for (const id of [c.threadId, fork.threadId]) await conversations.deleteConversation(id, { userId });
  await saver.close();
}

runIfMain(import.meta.url, main);
