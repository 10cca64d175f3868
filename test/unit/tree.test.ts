// Building the message tree of a checkpoint tree, without Redis.
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { buildTree, type CheckpointNode } from "../../src/conversations/tree.js";

const h = (text: string) => new HumanMessage({ content: text, id: `h-${text}` });
const a = (text: string) => new AIMessage({ content: text, id: `a-${text}` });

/** A checkpoint holding `messages` (the whole list, as an ordinary channel stores it). */
const at = (id: string, parent: string | null, messages: BaseMessage[], where: "tip" | "inner" = "inner"): CheckpointNode => ({
  id,
  parent,
  ts: `2026-01-01T00:00:0${id.slice(-1)}.000Z`,
  count: messages.length,
  messages: where === "tip" ? messages : null,
});

const base = { conversationId: "c", metadata: {}, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:09.000Z" };

describe("buildTree", () => {
  it("one branch: one path, each message at the checkpoint where it first appeared", () => {
    const tree = buildTree({ ...base, checkpoints: [at("c1", null, [h("hi")]), at("c2", "c1", [h("hi"), a("hello")], "tip")], names: new Map(), head: "c2" });
    expect(tree.nodes.map((n) => [n.node_id, n.message.role, n.message.content, n.metadata.checkpoint_id])).toEqual([
      ["", "user", "hi", "c1"],
      ["0", "assistant", "hello", "c2"],
    ]);
    expect(tree.edges).toEqual([["", "0"]]);
    expect(tree.current_node_id).toBe("0");
  });

  it("two branches share their beginning; names mark a branch's own part; the head picks the current node", () => {
    const checkpoints = [
      at("c1", null, [h("hi"), a("hello")]),
      at("c2", "c1", [h("hi"), a("hello"), h("short")], "tip"),
      at("c3", "c1", [h("hi"), a("hello"), h("long"), a("ok")], "tip"),
    ];
    const tree = buildTree({ ...base, checkpoints, names: new Map([["c3", "long one"]]), head: "c3" });
    expect(tree.nodes.map((n) => [n.node_id, n.message.content, n.branch_name])).toEqual([
      ["", "hi", null],
      ["0", "hello", null],
      ["0.0", "short", null],
      ["0.1", "long", "long one"],
      ["0.1.0", "ok", "long one"],
    ]);
    expect(tree.current_node_id).toBe("0.1.0");
  });

  it("branches that differ from their first message hang under a synthetic root", () => {
    const tree = buildTree({ ...base, checkpoints: [at("c1", null, [h("one")], "tip"), at("c2", null, [h("two")], "tip")], names: new Map(), head: "c2" });
    expect(tree.nodes[0]).toMatchObject({ node_id: "", metadata: { synthetic_root: true } });
    expect(tree.nodes.slice(1).map((n) => [n.node_id, n.message.content])).toEqual([
      ["0", "one"],
      ["1", "two"],
    ]);
    expect(tree.current_node_id).toBe("1");
  });

  it("no checkpoints: an empty tree", () => {
    expect(buildTree({ ...base, checkpoints: [], names: new Map(), head: null })).toMatchObject({ nodes: [], edges: [], current_node_id: "" });
  });
});
