// Conversation trees on real graphs: branches, switching, names, shallow forks, tree export and
// import.
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { ConversationManager, InvalidInputError, NotFoundError, RedisSaver, type TreeDocument } from "../src/index.js";
import { snapshot, testSaver } from "./helpers/redis.js";
import { chatGraph } from "./helpers/graphs.js";

const text = (messages: BaseMessage[]) => messages.map((m) => String(m.content));

describe("conversation trees", () => {
  const ctx = testSaver();
  const { saver, client, prefix } = ctx;
  const manager = new ConversationManager({ saver });
  // The model reports usage, which the tree keeps on its messages.
  const graph = chatGraph(saver, {
    kind: "ordinary",
    model: (messages) => new AIMessage({ content: `re: ${String(messages.at(-1)?.content)}`, usage_metadata: { input_tokens: messages.length, output_tokens: 1, total_tokens: messages.length + 1 } }),
  });
  afterAll(async () => {
    await ctx.cleanup();
  });

  const say = (threadId: string, content: string, checkpointId?: string) =>
    graph.invoke({ messages: [new HumanMessage(content)] }, { configurable: { thread_id: threadId, ...(checkpointId ? { checkpoint_id: checkpointId } : {}) } });
  const head = async (threadId: string) => (await saver.getTuple({ configurable: { thread_id: threadId } }))!.config.configurable!.checkpoint_id as string;

  /** hello → (A | B): two branches from the state after the first turn; B written last. */
  async function twoBranches(userId: string) {
    const c = await manager.createConversation({ userId, metadata: { title: "tree", tags: ["t"] } });
    await say(c.threadId, "hello");
    const afterHello = await head(c.threadId);
    await say(c.threadId, "A");
    const tipA = await head(c.threadId);
    await say(c.threadId, "B", afterHello);
    const tipB = await head(c.threadId);
    return { c, afterHello, tipA, tipB };
  }

  it("lists one branch per tip, switches, and continues on the chosen branch", async () => {
    const { c, tipA, tipB } = await twoBranches("u1");
    let branches = await manager.listBranches(c.threadId, { userId: "u1" });
    expect(branches.map((b) => [b.checkpointId, b.active, b.messageCount])).toEqual([
      [tipB, true, 4],
      [tipA, false, 4],
    ]);
    expect(text(await manager.getMessages(c.threadId, { userId: "u1" }))).toEqual(["hello", "re: hello", "B", "re: B"]);

    await manager.switchBranch(c.threadId, tipA, { userId: "u1" });
    expect(await head(c.threadId)).toBe(tipA);
    expect((await manager.listBranches(c.threadId, { userId: "u1" })).find((b) => b.active)?.checkpointId).toBe(tipA);
    expect(text(await manager.getMessages(c.threadId, { userId: "u1" }))).toEqual(["hello", "re: hello", "A", "re: A"]);

    // The next invoke, with no checkpoint id, continues branch A.
    const out = await say(c.threadId, "more A");
    expect(text(out.messages)).toEqual(["hello", "re: hello", "A", "re: A", "more A", "re: more A"]);
    branches = await manager.listBranches(c.threadId, { userId: "u1" });
    expect(branches).toHaveLength(2);
    const active = branches.find((b) => b.active)!;
    expect(active.checkpointId).toBe(await head(c.threadId));
    expect(active.messageCount).toBe(6);
    expect(branches.find((b) => !b.active)?.checkpointId).toBe(tipB);

    // Switching to a checkpoint inside the tree: the newest branch through it is the active one.
    const history = [];
    for await (const s of graph.getStateHistory({ configurable: { thread_id: c.threadId } })) history.push(s);
    const inner = history.find((s) => s.values.messages?.length === 2 && s.next.length === 0)!.config.configurable!.checkpoint_id as string;
    await manager.switchBranch(c.threadId, inner, { userId: "u1" });
    expect((await manager.listBranches(c.threadId, { userId: "u1" })).filter((b) => b.active)).toHaveLength(1);
    const third = await say(c.threadId, "C");
    expect(text(third.messages)).toEqual(["hello", "re: hello", "C", "re: C"]);
    expect(await manager.listBranches(c.threadId, { userId: "u1" })).toHaveLength(3);
    await expect(manager.switchBranch(c.threadId, "no-such-checkpoint", { userId: "u1" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a retried put of a checkpoint that has children does not bring back a branch", async () => {
    const { c, afterHello } = await twoBranches("u-retry");
    const before = await manager.listBranches(c.threadId, { userId: "u-retry" });
    const tuple = (await saver.getTuple({ configurable: { thread_id: c.threadId, checkpoint_id: afterHello } }))!;
    await saver.put(tuple.parentConfig ?? { configurable: { thread_id: c.threadId } }, tuple.checkpoint, tuple.metadata!, {});
    expect(await manager.listBranches(c.threadId, { userId: "u-retry" })).toEqual(before);
  });

  it("keeps a branch's name as the branch grows", async () => {
    const { c, tipA, tipB } = await twoBranches("u2");
    await manager.nameBranch(c.threadId, tipA, "formal", { userId: "u2" });
    await manager.switchBranch(c.threadId, tipA, { userId: "u2" });
    await say(c.threadId, "grow A");
    await say(c.threadId, "grow A again");
    const branches = await manager.listBranches(c.threadId, { userId: "u2" });
    const formal = branches.find((b) => b.name === "formal")!;
    expect(formal.active).toBe(true);
    expect(formal.messageCount).toBe(8);
    expect(branches.find((b) => b.checkpointId === tipB)?.name).toBeUndefined();
    // Renaming and clearing.
    await manager.nameBranch(c.threadId, tipB, "casual", { userId: "u2" });
    expect((await manager.listBranches(c.threadId, { userId: "u2" })).map((b) => b.name).sort()).toEqual(["casual", "formal"]);
    await manager.nameBranch(c.threadId, tipB, null, { userId: "u2" });
    expect((await manager.listBranches(c.threadId, { userId: "u2" })).filter((b) => b.name).map((b) => b.name)).toEqual(["formal"]);
    await expect(manager.nameBranch(c.threadId, tipB, "", { userId: "u2" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("forks from a middle checkpoint into a new conversation; both resume independently", async () => {
    const { c, afterHello } = await twoBranches("u3");
    await manager.updateConversation(c.threadId, { description: "source", customData: { k: 1 } }, { userId: "u3" });
    const sourceBefore = text(await manager.getMessages(c.threadId, { userId: "u3" }));

    const fork = await manager.forkConversation(c.threadId, { userId: "u3", checkpointId: afterHello, title: "fork of tree" });
    expect(fork).toMatchObject({ userId: "u3", title: "fork of tree", description: "source", tags: ["t"], customData: { k: 1 }, forkedFrom: { threadId: c.threadId, checkpointId: afterHello } });
    expect(fork.threadId).not.toBe(c.threadId);
    expect(await manager.getConversation(fork.threadId, { userId: "u3" })).toEqual(fork);
    expect(text(await manager.getMessages(fork.threadId, { userId: "u3" }))).toEqual(["hello", "re: hello"]);
    // Shallow: one checkpoint, no history.
    const history = [];
    for await (const s of graph.getStateHistory({ configurable: { thread_id: fork.threadId } })) history.push(s);
    expect(history).toHaveLength(1);

    expect(text((await say(fork.threadId, "on the fork")).messages)).toEqual(["hello", "re: hello", "on the fork", "re: on the fork"]);
    expect(text(await manager.getMessages(c.threadId, { userId: "u3" }))).toEqual(sourceBefore);
    expect(text((await say(c.threadId, "on the source")).messages)).toEqual([...sourceBefore, "on the source", "re: on the source"]);
    expect(text(await manager.getMessages(fork.threadId, { userId: "u3" }))).toEqual(["hello", "re: hello", "on the fork", "re: on the fork"]);

    // Default: from the head; the title stays the source's.
    const fromHead = await manager.forkConversation(c.threadId, { userId: "u3" });
    expect(fromHead.title).toBe("tree");
    expect(text(await manager.getMessages(fromHead.threadId, { userId: "u3" }))).toEqual(text(await manager.getMessages(c.threadId, { userId: "u3" })));
    expect(ids(await manager.listConversations({ userId: "u3" }))).toEqual([fromHead.threadId, c.threadId, fork.threadId]);
  });

  it("refuses a fork of someone else's conversation exactly like a missing one, writing nothing", async () => {
    const { c } = await twoBranches("owner");
    const before = await snapshot(client, prefix);
    const theirs = await manager.forkConversation(c.threadId, { userId: "thief" }).catch((e: unknown) => e);
    const missing = await manager.forkConversation("no-such-thread", { userId: "thief" }).catch((e: unknown) => e);
    expect(theirs).toBeInstanceOf(NotFoundError);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((theirs as Error).message).toBe((missing as Error).message.replace("no-such-thread", c.threadId));
    for (const op of [
      () => manager.listBranches(c.threadId, { userId: "thief" }),
      () => manager.switchBranch(c.threadId, "x", { userId: "thief" }),
      () => manager.nameBranch(c.threadId, "x", "mine", { userId: "thief" }),
      () => manager.getTree(c.threadId, { userId: "thief" }),
      () => manager.exportConversation(c.threadId, { userId: "thief" }),
    ]) {
      await expect(op()).rejects.toBeInstanceOf(NotFoundError);
    }
    expect(await snapshot(client, prefix)).toEqual(before);
  });

  it("exports the tree in the seed format: shared messages once, dot-delimited ids, edges, current node", async () => {
    const { c, tipA } = await twoBranches("u4");
    await manager.nameBranch(c.threadId, tipA, "alt", { userId: "u4" });
    const tree = await manager.getTree(c.threadId, { userId: "u4" });
    // A long thread's tree is read in short calls; two checkpoints per call read the same tree.
    const stepped = new ConversationManager({ saver: new RedisSaver({ client, prefix }, { step: 2 }) });
    expect(await stepped.getTree(c.threadId, { userId: "u4" })).toEqual(tree);
    expect(tree.schema_version).toBe("1.0.0");
    expect(tree.conversation_id).toBe(c.threadId);
    expect(tree.metadata).toMatchObject({ user_id: "u4", title: "tree", tags: ["t"] });
    const byId = Object.fromEntries(tree.nodes.map((n) => [n.node_id, n]));
    // hello → re: hello → (A → re: A | B → re: B)
    expect(Object.keys(byId).sort()).toEqual(["", "0", "0.0", "0.0.0", "0.1", "0.1.0"]);
    expect(byId[""]!.message).toMatchObject({ role: "user", content: "hello", name: null });
    expect(byId["0"]!.message).toMatchObject({ role: "assistant", content: "re: hello" });
    expect(byId["0"]!.metadata.usage).toEqual({ input_tokens: 1, output_tokens: 1, total_tokens: 2 });
    expect(byId["0.0"]!.message.content).toBe("A");
    expect(byId["0.1"]!.message.content).toBe("B");
    expect(tree.edges).toEqual([["", "0"], ["0", "0.0"], ["0.0", "0.0.0"], ["0", "0.1"], ["0.1", "0.1.0"]]);
    expect(tree.current_node_id).toBe("0.1.0");
    expect([byId["0.0"]!.branch_name, byId["0.0.0"]!.branch_name, byId["0.1"]!.branch_name, byId[""]!.branch_name]).toEqual(["alt", "alt", null, null]);
    for (const node of tree.nodes) {
      expect(typeof node.metadata.checkpoint_id).toBe("string");
      expect(Number.isNaN(Date.parse(node.timestamp))).toBe(false);
    }
  });

  it("round-trips through JSON: same messages on the active branch, same branches, names and head; a graph resumes it", async () => {
    const { c, tipA } = await twoBranches("u5");
    await manager.nameBranch(c.threadId, tipA, "alt", { userId: "u5" });
    await manager.switchBranch(c.threadId, tipA, { userId: "u5" });
    await say(c.threadId, "third turn on A");
    const exported = JSON.parse(JSON.stringify(await manager.exportConversation(c.threadId, { userId: "u5" }))) as TreeDocument;

    const imported = await manager.importConversation(exported, { userId: "u5" });
    expect(imported).toMatchObject({ title: "tree", tags: ["t"], userId: "u5" });
    expect(text(await manager.getMessages(imported.threadId, { userId: "u5" }))).toEqual(text(await manager.getMessages(c.threadId, { userId: "u5" })));
    const branchesOf = async (threadId: string) => (await manager.listBranches(threadId, { userId: "u5" })).map((b) => [b.name ?? null, b.active, b.messageCount]).sort();
    expect(await branchesOf(imported.threadId)).toEqual(await branchesOf(c.threadId));
    const again = await manager.exportConversation(imported.threadId, { userId: "u5" });
    const shape = (t: TreeDocument) => t.nodes.map((n) => [n.node_id, n.message.role, n.message.content, n.branch_name]);
    expect(shape(again)).toEqual(shape(exported));
    expect(again.current_node_id).toBe(exported.current_node_id);

    const resumed = await say(imported.threadId, "after import");
    expect(text(resumed.messages).slice(-2)).toEqual(["after import", "re: after import"]);
    expect(resumed.messages[0]).toBeInstanceOf(HumanMessage);
  });

  it("hangs branches that differ from the first message under a synthetic root, and reads it back", async () => {
    const doc = {
      schema_version: "1.0.0",
      conversation_id: "two-starts",
      current_node_id: "1.0",
      metadata: { title: "two starts" },
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
      nodes: [
        { node_id: "", message: { role: "system", content: "", name: null, metadata: {} }, timestamp: "2024-01-01T00:00:00Z", prompt_name: null, branch_name: null, metadata: { synthetic_root: true } },
        { node_id: "0", message: { role: "user", content: "first start", name: null, metadata: {} }, timestamp: "2024-01-01T00:00:01Z", prompt_name: null, branch_name: null, metadata: {} },
        { node_id: "1", message: { role: "user", content: "second start", name: null, metadata: {} }, timestamp: "2024-01-01T00:00:02Z", prompt_name: null, branch_name: "second", metadata: {} },
        { node_id: "1.0", message: { role: "assistant", content: "reply", name: null, metadata: {} }, timestamp: "2024-01-01T00:00:03Z", prompt_name: null, branch_name: "second", metadata: {} },
      ],
      edges: [["", "0"], ["", "1"], ["1", "1.0"]],
    };
    const c = await manager.importConversation(doc, { userId: "u7" });
    expect(text(await manager.getMessages(c.threadId, { userId: "u7" }))).toEqual(["second start", "reply"]);
    const tree = await manager.getTree(c.threadId, { userId: "u7" });
    expect(tree.nodes.map((n) => [n.node_id, n.message.content, n.branch_name])).toEqual([
      ["", "", null],
      ["0", "first start", null],
      ["1", "second start", "second"],
      ["1.0", "reply", "second"],
    ]);
    expect(tree.nodes[0]!.metadata).toEqual({ synthetic_root: true });
    expect(tree.current_node_id).toBe("1.0");
  });

  it("imports documents of schema 0.0.0 or none through the migration, and refuses 9.0.0 and malformed ones", async () => {
    const legacy = {
      conversation_id: "legacy",
      current_node_id: "0.1",
      metadata: { title: "from the seed" },
      nodes: [
        { node_id: "", message: { role: "system", content: "You are helpful" } },
        { node_id: "0", message: { role: "user", content: "Hello" } },
        { node_id: "0.0", message: { role: "assistant", content: "Hi!" } },
        { node_id: "0.1", message: { role: "assistant", content: "Greetings!" }, branch_name: "polite-variant" },
      ],
    };
    // A newer minor version of the current major adds fields this version ignores.
    const newerMinor = {
      ...legacy,
      schema_version: "1.4.0",
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:05:00Z",
      nodes: legacy.nodes.map((n) => ({ ...n, timestamp: "2024-01-01T00:00:00Z", mood: "new field" })),
      edges: [["", "0"], ["0", "0.0"], ["0", "0.1"]],
    };
    for (const doc of [legacy, { ...legacy, schema_version: "0.0.0" }, newerMinor]) {
      const c = await manager.importConversation(doc, { userId: "u6" });
      expect(c.title).toBe("from the seed");
      expect(text(await manager.getMessages(c.threadId, { userId: "u6" }))).toEqual(["You are helpful", "Hello", "Greetings!"]);
      const branches = await manager.listBranches(c.threadId, { userId: "u6" });
      expect(branches.map((b) => [b.name ?? null, b.active]).sort()).toEqual([
        [null, false],
        ["polite-variant", true],
      ]);
    }

    const before = await snapshot(client, prefix);
    const refused: unknown[] = [
      { ...legacy, schema_version: "9.0.0" },
      { ...legacy, schema_version: "one" },
      { ...legacy, nodes: "not a list" },
      { ...legacy, schema_version: "1.0.0", edges: [["", "0"], ["0", "0.0"], ["0", "0.1"], ["0.0", "0.0"]] },
      { ...legacy, schema_version: "1.0.0", edges: [["", "0"], ["0", "0.0"]] },
      { ...legacy, current_node_id: "7" },
      { ...legacy, nodes: [...legacy.nodes, { node_id: "0", message: { role: "user", content: "dup" } }] },
      { ...legacy, nodes: [{ node_id: "", message: { role: "wizard", content: "x" } }] },
      "not an object",
    ];
    for (const doc of refused) {
      const err = await manager.importConversation(doc, { userId: "u6" }).catch((e: unknown) => e);
      expect(err, JSON.stringify(doc).slice(0, 80)).toBeInstanceOf(InvalidInputError);
    }
    expect((await manager.importConversation({ ...legacy, schema_version: "9.0.0" }, { userId: "u6" }).catch((e: unknown) => e)) as Error).toHaveProperty(
      "message",
      expect.stringMatching(/9\.0\.0 is newer/),
    );
    expect(await snapshot(client, prefix)).toEqual(before);
  });
});

function ids(page: { conversations: Array<{ threadId: string }> }) {
  return page.conversations.map((c) => c.threadId);
}
