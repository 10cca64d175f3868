// Import plans: a checkpoint per message in the tree's shape, names on tips, the head, all before
// anything is written.
import { readTreeDocument } from "../../src/conversations/document.js";
import { importedMetadata, planImport } from "../../src/conversations/import.js";
import { InvalidInputError } from "../../src/errors.js";

const node = (node_id: string, content: string, extra: Record<string, unknown> = {}) => ({ node_id, message: { role: "user", content }, timestamp: "2026-01-01T00:00:00.000Z", ...extra });
const counter = (v: number | undefined) => (v ?? 0) + 1;

describe("planImport", () => {
  it("plans a checkpoint per message, each holding the path to it, parents before children", () => {
    const doc = readTreeDocument({
      schema_version: "1.0.0",
      conversation_id: "c",
      current_node_id: "0.1",
      metadata: { title: "T", tags: ["x"], agent_id: null },
      nodes: [node("", "hi"), node("0", "a"), node("0.0", "b", { branch_name: "first" }), node("0.1", "c")],
      edges: [["", "0"], ["0", "0.0"], ["0", "0.1"]],
    });
    const plan = planImport(doc, "messages", counter);
    expect(plan.checkpoints.map((c) => (c.checkpoint.channel_values.messages as Array<{ content: string }>).map((m) => m.content))).toEqual([["hi"], ["hi", "a"], ["hi", "a", "b"], ["hi", "a", "c"]]);
    const ids = plan.checkpoints.map((c) => c.checkpoint.id);
    expect(plan.checkpoints.map((c) => c.parentId)).toEqual([undefined, ids[0], ids[1], ids[1]]);
    expect(plan.checkpoints.map((c) => c.version)).toEqual([1, 2, 3, 3]);
    expect(plan.names).toEqual([{ checkpointId: ids[2], name: "first" }]);
    expect(plan.head).toBe(ids[3]);
    expect(importedMetadata(doc)).toEqual({ title: "T", tags: ["x"] });
  });

  it("converts every message first: an unknown role is refused before any plan exists", () => {
    const doc = readTreeDocument({ schema_version: "1.0.0", conversation_id: "c", current_node_id: "", metadata: {}, nodes: [node("", "hi")], edges: [] });
    (doc.nodes[0]!.message as { role: string }).role = "wizard";
    expect(() => planImport(doc, "messages", counter)).toThrow(InvalidInputError);
  });
});
