// The conversation manager: conversations with owners, tags and metadata; listing with a cursor;
// messages; another user refused; export to JSON and import back.
//
//   npx tsx examples/conversations.ts
import { HumanMessage } from "@langchain/core/messages";
import { ConversationManager, NotFoundError, RedisSaver } from "langgraph-checkpoint-redis-tree";
import { chatGraph, exampleRedis, line, runIfMain, show } from "./lib/setup.js";

export async function main(): Promise<void> {
  const { url } = await exampleRedis();
  const saver = RedisSaver.fromUrl(url, { prefix: "example" });
  const conversations = new ConversationManager({ saver });
  const graph = chatGraph(saver);
  const alice = `alice-${Date.now()}`;

  const created = [];
  for (const [title, tags] of [["Refund for order 42", ["billing"]], ["Password reset", ["account"]], ["Invoice copy", ["billing"]], ["Change of address", ["account"]], ["Damaged parcel", ["billing", "urgent"]]] as const) {
    created.push(await conversations.createConversation({ userId: alice, metadata: { agentId: "support", title, tags: [...tags], customData: { channel: "web" } } }));
  }
  // A graph run is activity: this conversation moves to the top of the listing.
  await graph.invoke({ messages: [new HumanMessage("Any news on my refund?")] }, { configurable: { thread_id: created[0]!.threadId } });

  line("alice's billing conversations, two per page, newest activity first:");
  let cursor: string | undefined;
  do {
    const page = await conversations.listConversations({ userId: alice, tags: ["billing"], limit: 2, ...(cursor ? { cursor } : {}) });
    for (const c of page.conversations) line(`  ${c.title}  [${c.tags.join(", ")}]  (of ${page.total})`);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);

  await conversations.addMessage(created[0]!.threadId, { role: "user", content: "The parcel number is 7731." }, { userId: alice });
  line("messages of the refund conversation:");
  show(await conversations.getMessages(created[0]!.threadId, { userId: alice }));

  // Someone else gets exactly what a missing conversation gets.
  const mallory = "mallory";
  line(`mallory reads it: ${String(await conversations.getConversation(created[0]!.threadId, { userId: mallory }))}`);
  const refused = await conversations.addMessage(created[0]!.threadId, { role: "user", content: "hi" }, { userId: mallory }).catch((e: unknown) => e);
  line(`mallory writes to it: ${refused instanceof NotFoundError ? `refused (${refused.code})` : "ALLOWED?!"}`);

  // Export to plain JSON, import as a new conversation.
  const json = JSON.stringify(await conversations.exportConversation(created[0]!.threadId, { userId: alice }));
  const copy = await conversations.importConversation(JSON.parse(json), { userId: alice });
  line(`exported ${json.length} bytes of JSON; imported as "${copy.title}" with ${(await conversations.getMessages(copy.threadId, { userId: alice })).length} messages`);

  for (const c of [...created, copy]) await conversations.deleteConversation(c.threadId, { userId: alice });
  await saver.close();
}

runIfMain(import.meta.url, main);
