/**
 * Import planning: a tree document (read and migrated by document.ts) as the checkpoints that
 * rebuild it, computed before anything is written. A checkpoint per message, in the tree's shape
 * (depth first, children in position order), each holding the whole list of messages up to it, so
 * that an ordinary messages channel reads it as its value and a DeltaChannel as its seed; branch
 * names on the tips; the head at the document's current node.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { isSyntheticRoot, type TreeMessage, type TreeNode, type ValidTreeDocument } from "./document.js";
import { fromTreeMessage } from "./messages.js";

export interface ImportPlan {
  /** In writing order: a parent is always written before its children. */
  /** In write order, parents first; a root's parentId is undefined. */
  checkpoints: Array<{ parentId: string | undefined; checkpoint: Checkpoint; metadata: CheckpointMetadata; version: number }>;
  /** Names of branch tips. */
  names: Array<{ checkpointId: string; name: string }>;
  /** The checkpoint of the document's current node. */
  head: string | null;
}

/** The conversation metadata a document carries (format names), for the metadata schema to check. */
export function importedMetadata(doc: ValidTreeDocument): Record<string, unknown> {
  const meta = doc.metadata;
  const fields = { agentId: meta.agent_id, title: meta.title, description: meta.description, tags: meta.tags, customData: meta.custom_data };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * The checkpoints of an import. Every message is converted first (a malformed one throws before
 * anything is written). `nextVersion` is the saver's getNextVersion.
 */
export function planImport(doc: ValidTreeDocument, messagesKey: string, nextVersion: (current: number | undefined) => number): ImportPlan {
  const byId = new Map(doc.nodes.map((n) => [n.node_id, { node: n, message: isSyntheticRoot(n as TreeNode) ? null : fromTreeMessage(n.message as TreeMessage) }]));
  const children = new Map<string, string[]>();
  for (const [parent, child] of doc.edges) children.set(parent, [...(children.get(parent) ?? []), child]);
  for (const list of children.values()) list.sort(compareNodeIds);

  const plan: ImportPlan = { checkpoints: [], names: [], head: null };
  const checkpointOf = new Map<string, string>();
  // Where the walk stands: the last checkpoint written on this path (none above the first message).
  type Here = { checkpointId: string | undefined; messages: BaseMessage[]; version: number | undefined; name: string | null };
  // Depth first, with an explicit stack: a conversation may be 10,000 messages deep.
  const stack: Array<{ nodeId: string; parent: Here }> = [];
  if (byId.has("")) stack.push({ nodeId: "", parent: { checkpointId: undefined, messages: [], version: undefined, name: null } });
  while (stack.length > 0) {
    const { nodeId, parent } = stack.pop()!;
    const { node, message } = byId.get(nodeId)!;
    const name = node.branch_name ?? parent.name;
    let here = parent;
    if (message) {
      const version = nextVersion(parent.version);
      const messages = [...parent.messages, message];
      const checkpoint: Checkpoint = {
        ...emptyCheckpoint(),
        id: uuid6(-1),
        ts: new Date(node.timestamp).toISOString(),
        channel_values: { [messagesKey]: messages },
        channel_versions: { [messagesKey]: version },
      };
      const metadata = { source: "update", step: messages.length - 1, parents: {}, import: { node_id: nodeId } } as CheckpointMetadata;
      plan.checkpoints.push({ parentId: parent.checkpointId, checkpoint, metadata, version });
      checkpointOf.set(nodeId, checkpoint.id);
      here = { checkpointId: checkpoint.id, messages, version, name };
    }
    const kids = children.get(nodeId) ?? [];
    if (kids.length === 0 && message && name !== null) plan.names.push({ checkpointId: checkpointOf.get(nodeId)!, name });
    for (const kid of [...kids].reverse()) stack.push({ nodeId: kid, parent: { ...here, name } });
  }
  plan.head = checkpointOf.get(doc.current_node_id) ?? null;
  return plan;
}

/** Orders sibling node ids ("0.2" before "0.10") by their last position. */
function compareNodeIds(a: string, b: string): number {
  const last = (id: string) => Number(id.slice(id.lastIndexOf(".") + 1));
  return last(a) - last(b);
}
