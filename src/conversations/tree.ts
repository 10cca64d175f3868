/**
 * Building the tree document (document.ts) of a thread's checkpoint tree: each branch tip's
 * messages are one path of the tree, and paths share their common beginning.
 */
import { createHash } from "node:crypto";
import { SystemMessage, type AIMessage, type BaseMessage } from "@langchain/core/messages";
import { compareAsc } from "../codec.js";
import { SYNTHETIC_ROOT, TREE_SCHEMA_VERSION, type TreeDocument, type TreeNode } from "./document.js";
import { toTreeMessage } from "./messages.js";

/** One checkpoint of the source tree, as read from Redis. */
export interface CheckpointNode {
  id: string;
  parent: string | null;
  ts: string;
  /** How many messages its state holds; null when not known (then counted from `messages`). */
  count: number | null;
  /** Its messages, where they were read (branch tips and the head). */
  messages: BaseMessage[] | null;
}

interface Building {
  key: string;
  message: BaseMessage;
  checkpointId: string;
  timestamp: string;
  children: Building[];
  names: Set<string | null>;
  nodeId: string;
}


/**
 * Builds the message tree of a checkpoint tree from the messages at its branch tips: each tip's
 * messages are one path of the tree, and paths share their common beginning, so a message on
 * several branches is one node. A message first appeared in the first checkpoint of its branch
 * whose state held that many messages (LangGraph's messages only grow along a branch). A node's
 * `branch_name` is set when every branch through it has that name (its own part of a named
 * branch).
 */
export function buildTree(input: {
  conversationId: string;
  checkpoints: CheckpointNode[];
  /** checkpoint id → name */
  names: Map<string, string>;
  head: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}): TreeDocument {
  const byId = new Map(input.checkpoints.map((c) => [c.id, c]));
  const hasChild = new Set(input.checkpoints.map((c) => c.parent).filter((p): p is string => p !== null && byId.has(p)));
  const tips = input.checkpoints.filter((c) => !hasChild.has(c.id)).sort((a, b) => compareAsc(a.id, b.id));
  const countOf = (c: CheckpointNode) => c.count ?? c.messages?.length ?? 0;

  // Branch names: a tip's branch is named after its nearest named ancestor-or-self.
  const resolved = new Map<string, string | null>();
  const nameOf = (id: string): string | null => {
    const chain: string[] = [];
    let cur: string | null = id;
    while (cur !== null && byId.has(cur) && !resolved.has(cur)) {
      chain.push(cur);
      cur = byId.get(cur)!.parent;
    }
    let name = cur !== null ? (resolved.get(cur) ?? null) : null;
    for (const c of chain.reverse()) {
      name = input.names.get(c) ?? name;
      resolved.set(c, name);
    }
    return resolved.get(id) ?? null;
  };

  const root: Building = { key: "", message: new SystemMessage(""), checkpointId: "", timestamp: "", children: [], names: new Set(), nodeId: "" };
  const byKey = new Map<string, Building>();
  for (const tip of tips) {
    const path: CheckpointNode[] = [];
    for (let cur: CheckpointNode | undefined = tip; cur; cur = cur.parent ? byId.get(cur.parent) : undefined) path.push(cur);
    path.reverse();
    const name = nameOf(tip.id);
    let parent = root;
    let at = 0;
    (tip.messages ?? []).forEach((message, i) => {
      while (at < path.length - 1 && countOf(path[at]!) <= i) at++;
      const where = path[at]!;
      const key = `${parent.key}\u0000${messageKey(message)}`;
      let node = byKey.get(key);
      if (!node) {
        node = { key, message, checkpointId: where.id, timestamp: where.ts, children: [], names: new Set(), nodeId: "" };
        byKey.set(key, node);
        parent.children.push(node);
      }
      node.names.add(name);
      parent = node;
    });
  }

  // Node ids: one real root keeps "", several first messages hang under a synthetic root.
  // Siblings are ordered by when they first appeared.
  const nodes: TreeNode[] = [];
  const edges: Array<[string, string]> = [];
  // Depth first, pre-order, with an explicit stack: a conversation may be 10,000 messages deep.
  const emit = (start: Building, parentId: string | null) => {
    const stack: Array<{ node: Building; parentId: string | null }> = [{ node: start, parentId }];
    while (stack.length > 0) {
      const { node, parentId: parent } = stack.pop()!;
      nodes.push(toTreeNode(node));
      if (parent !== null) edges.push([parent, node.nodeId]);
      node.children.sort((a, b) => compareAsc(a.checkpointId, b.checkpointId));
      node.children.forEach((child, i) => {
        child.nodeId = node.nodeId === "" ? String(i) : `${node.nodeId}.${i}`;
      });
      for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i]!, parentId: node.nodeId });
    }
  };
  const top = root.children.sort((a, b) => compareAsc(a.checkpointId, b.checkpointId));
  if (top.length === 1) {
    top[0]!.nodeId = "";
    emit(top[0]!, null);
  } else if (top.length > 1) {
    nodes.push({
      node_id: "",
      message: { role: "system", content: "", name: null, metadata: {} },
      timestamp: input.createdAt,
      prompt_name: null,
      branch_name: null,
      metadata: { [SYNTHETIC_ROOT]: true },
    });
    top.forEach((child, i) => {
      child.nodeId = String(i);
      emit(child, "");
    });
  }

  // The current node: the head's last message, found by following the head's messages.
  let current: Building | null = null;
  let cursor = root;
  for (const message of (input.head ? byId.get(input.head)?.messages : null) ?? []) {
    const next = byKey.get(`${cursor.key}\u0000${messageKey(message)}`);
    if (!next) break;
    current = cursor = next;
  }
  return {
    schema_version: TREE_SCHEMA_VERSION,
    conversation_id: input.conversationId,
    current_node_id: current?.nodeId ?? "",
    metadata: input.metadata,
    created_at: input.createdAt,
    updated_at: input.updatedAt,
    nodes,
    edges,
  };
}

/** Identity of a message in the tree: its id and content (an edited message is a new node). */
function messageKey(message: BaseMessage): string {
  const content = typeof message.content === "string" ? message.content : JSON.stringify(message.content);
  return `${message.getType()}\u0000${message.id ?? ""}\u0000${createHash("sha1").update(content).digest("base64url")}`;
}

function toTreeNode(node: Building): TreeNode {
  const names = [...node.names];
  const usage = (node.message as AIMessage).usage_metadata;
  return {
    node_id: node.nodeId,
    message: toTreeMessage(node.message),
    timestamp: node.timestamp,
    prompt_name: null,
    branch_name: names.length === 1 ? names[0]! : null,
    metadata: { checkpoint_id: node.checkpointId, ...(usage ? { usage } : {}) },
  };
}

