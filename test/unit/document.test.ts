// Reading tree documents: older versions migrate, newer and malformed ones are refused.
import { InvalidInputError } from "../../src/errors.js";
import { TREE_SCHEMA_VERSION, readTreeDocument } from "../../src/conversations/document.js";

const node = (node_id: string, content: string, role = "user") => ({ node_id, message: { role, content, name: null, metadata: {} }, timestamp: "2026-01-01T00:00:00.000Z", prompt_name: null, branch_name: null, metadata: {} });
const doc = { schema_version: TREE_SCHEMA_VERSION, conversation_id: "c", current_node_id: "0", metadata: {}, nodes: [node("", "hi"), node("0", "hello", "assistant")], edges: [["", "0"]] };

describe("readTreeDocument", () => {
  it("reads a current document as it is", () => {
    expect(readTreeDocument(doc)).toMatchObject({ schema_version: TREE_SCHEMA_VERSION, nodes: [{ node_id: "" }, { node_id: "0" }], edges: [["", "0"]] });
  });

  it("migrates a document without a version: defaults, and edges from the node ids", () => {
    const legacy = { nodes: [{ node_id: "", message: { role: "user", content: "hi" } }, { node_id: "0", message: { role: "ai", content: "hello" } }], current_node_id: "0" };
    const read = readTreeDocument(legacy);
    expect(read.schema_version).toBe("1.0.0");
    expect(read.conversation_id).toBe("imported");
    expect(read.edges).toEqual([["", "0"]]);
    expect(read.nodes[1]).toMatchObject({ branch_name: null, prompt_name: null, message: { name: null, metadata: {} } });
  });

  it("refuses a newer major version, a malformed document and a broken shape", () => {
    const refused: unknown[] = [
      { ...doc, schema_version: "2.0.0" },
      { ...doc, schema_version: "one" },
      "not an object",
      { ...doc, nodes: "not a list" },
      { ...doc, current_node_id: "7" },
      { ...doc, edges: [["", "0"], ["0", "0"]] },
      { ...doc, nodes: [node("0", "no root")], edges: [], current_node_id: "0" },
      { ...doc, nodes: [...doc.nodes, node("0", "twice")] },
      { ...doc, nodes: [node("", "hi", "wizard")], edges: [], current_node_id: "" },
    ];
    for (const bad of refused) expect(() => readTreeDocument(bad), JSON.stringify(bad).slice(0, 60)).toThrow(InvalidInputError);
    expect(() => readTreeDocument({ ...doc, schema_version: "2.0.0" })).toThrow(/newer than this library reads/);
  });
});
