/**
 * The conversation tree document: a conversation's messages as a tree (messages shared by several
 * branches appear once), with branch names and the active position. The format follows the
 * tree-based conversation storage format this project was seeded from: `schema_version`,
 * `conversation_id`, `current_node_id`, `metadata`, timestamps, `nodes` and `edges`.
 */
import { createHash } from "node:crypto";
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import { InvalidInputError } from "../errors.js";

/** The schema version this library writes. */
export const TREE_SCHEMA_VERSION = "1.0.0";

/** A message as the tree format stores it. */
export interface TreeMessage {
  role: string;
  content: unknown;
  name: string | null;
  /** The message id and what else the message carries (tool calls, kwargs). */
  metadata: Record<string, unknown>;
}

/** One message of the tree. */
export interface TreeNode {
  /** Dot-delimited child positions from the root: `""` (root), `"0"`, `"0.1"`, ... */
  node_id: string;
  message: TreeMessage;
  /** When the message first appeared (the timestamp of that checkpoint). */
  timestamp: string;
  prompt_name: string | null;
  /** The name of the branch this message belongs to alone, if that branch is named. */
  branch_name: string | null;
  /** `checkpoint_id`: the checkpoint it first appeared in; `usage` when the model reported it. */
  metadata: Record<string, unknown>;
}

/** A conversation as a tree document (`getTree`, `exportConversation`, `importConversation`). */
export interface TreeDocument {
  schema_version: string;
  conversation_id: string;
  /** The last message of the active branch. */
  current_node_id: string;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  nodes: TreeNode[];
  /** `[parentId, childId]` for every node but the root. */
  edges: Array<[string, string]>;
}

/** One checkpoint of the source tree, as read from Redis. */
export interface CheckpointNode {
  id: string;
  parent: string | null;
  ts: string;
  /** How many messages its state holds. */
  count: number;
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

const SYNTHETIC_ROOT = "synthetic_root";

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
  const tips = input.checkpoints.filter((c) => !hasChild.has(c.id)).sort((a, b) => compare(a.id, b.id));
  const countOf = (c: CheckpointNode) => (c.count >= 0 ? c.count : (c.messages?.length ?? 0));

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
      node.children.sort((a, b) => compare(a.checkpointId, b.checkpointId));
      node.children.forEach((child, i) => {
        child.nodeId = node.nodeId === "" ? String(i) : `${node.nodeId}.${i}`;
      });
      for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i]!, parentId: node.nodeId });
    }
  };
  const top = root.children.sort((a, b) => compare(a.checkpointId, b.checkpointId));
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

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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

const ROLE_OF_TYPE: Record<string, string> = { human: "user", ai: "assistant", system: "system", tool: "tool" };

function toTreeMessage(message: BaseMessage): TreeMessage {
  const metadata: Record<string, unknown> = {};
  if (message.id) metadata.id = message.id;
  const ai = message as AIMessage;
  if (ai.tool_calls && ai.tool_calls.length > 0) metadata.tool_calls = ai.tool_calls;
  const tool = message as ToolMessage;
  if (message.getType() === "tool" && tool.tool_call_id) metadata.tool_call_id = tool.tool_call_id;
  if (notEmpty(message.additional_kwargs)) metadata.additional_kwargs = message.additional_kwargs;
  if (notEmpty(message.response_metadata)) metadata.response_metadata = message.response_metadata;
  if (ai.usage_metadata) metadata.usage_metadata = ai.usage_metadata;
  return {
    role: ROLE_OF_TYPE[message.getType()] ?? message.getType(),
    content: JSON.parse(JSON.stringify(message.content)) as unknown,
    name: message.name ?? null,
    metadata,
  };
}

/** A LangChain message from a tree message (the inverse of the export). */
export function fromTreeMessage(message: TreeMessage): BaseMessage {
  const meta = message.metadata ?? {};
  const fields = {
    content: message.content as string,
    ...(message.name ? { name: message.name } : {}),
    ...(typeof meta.id === "string" ? { id: meta.id } : {}),
    ...(isRecord(meta.additional_kwargs) ? { additional_kwargs: meta.additional_kwargs } : {}),
    ...(isRecord(meta.response_metadata) ? { response_metadata: meta.response_metadata } : {}),
  };
  switch (message.role) {
    case "user":
    case "human":
      return new HumanMessage(fields);
    case "assistant":
    case "ai":
      return new AIMessage({
        ...fields,
        ...(Array.isArray(meta.tool_calls) ? { tool_calls: meta.tool_calls as AIMessage["tool_calls"] } : {}),
        ...(isRecord(meta.usage_metadata) ? { usage_metadata: meta.usage_metadata as unknown as AIMessage["usage_metadata"] } : {}),
      });
    case "system":
      return new SystemMessage(fields);
    case "tool":
      return new ToolMessage({ ...fields, tool_call_id: typeof meta.tool_call_id === "string" ? meta.tool_call_id : "" });
    default:
      throw new InvalidInputError(`importConversation: unknown message role ${JSON.stringify(message.role)}`);
  }
}

function notEmpty(value: object | undefined): boolean {
  return value !== undefined && Object.entries(value).length > 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** True for the root a tree gets when several messages start it. */
export function isSyntheticRoot(node: TreeNode): boolean {
  return node.metadata?.[SYNTHETIC_ROOT] === true;
}

// ---------------------------------------------------------------------------------------------
// Reading documents: migration, then validation.

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;
const NODE_ID = /^(?:|\d+(?:\.\d+)*)$/;

const TreeMessageSchema = z.object({
  role: z.enum(["user", "human", "assistant", "ai", "system", "tool"]),
  content: z.union([z.string(), z.array(z.record(z.string(), z.unknown()))]),
  name: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

const TreeNodeSchema = z.object({
  node_id: z.string().regex(NODE_ID, "node_id must be dot-delimited child positions, or \"\" for the root"),
  message: TreeMessageSchema,
  timestamp: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "timestamp must be an ISO date"),
  prompt_name: z.string().nullish(),
  branch_name: z.string().min(1).max(200).nullish(),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

/** The tree document of schema 1.x, as import accepts it. */
export const TreeDocumentSchema = z.object({
  schema_version: z.string().regex(SEMVER),
  conversation_id: z.string().min(1),
  current_node_id: z.string(),
  metadata: z.record(z.string(), z.unknown()).default({}),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  nodes: z.array(TreeNodeSchema).max(100_000),
  edges: z.array(z.tuple([z.string(), z.string()])),
});
export type ValidTreeDocument = z.infer<typeof TreeDocumentSchema>;

/**
 * Migrations, oldest first: each takes a document of its `from` major version to the next. Data
 * of an older (or missing, "0.0.0") schema version goes through every step after it.
 */
const MIGRATIONS: Array<{ from: number; to: string; migrate: (doc: Record<string, unknown>) => Record<string, unknown> }> = [
  {
    // 0.x: the same tree, before versioning; fields added later get their defaults.
    from: 0,
    to: "1.0.0",
    migrate: (doc) => {
      if (!Array.isArray(doc.nodes)) return doc; // malformed: left for validation to refuse
      const nodes = doc.nodes as Array<Record<string, unknown>>;
      const now = new Date().toISOString();
      const migratedNodes: Array<Record<string, unknown>> = nodes.map((n) => ({
        ...n,
        timestamp: typeof n.timestamp === "string" ? n.timestamp : now,
        branch_name: n.branch_name ?? null,
        prompt_name: n.prompt_name ?? null,
        metadata: isRecord(n.metadata) ? n.metadata : {},
        message: isRecord(n.message) ? { name: null, metadata: {}, ...n.message } : n.message,
      }));
      // Edges can be derived from dot-delimited node ids.
      const edges =
        Array.isArray(doc.edges) && doc.edges.length > 0
          ? doc.edges
          : migratedNodes
              .map((n) => (typeof n.node_id === "string" ? n.node_id : ""))
              .filter((id) => id !== "")
              .map((id) => [id.includes(".") ? id.slice(0, id.lastIndexOf(".")) : "", id]);
      return {
        ...doc,
        conversation_id: doc.conversation_id ?? "imported",
        current_node_id: doc.current_node_id ?? "",
        metadata: isRecord(doc.metadata) ? doc.metadata : {},
        nodes: migratedNodes,
        edges,
        schema_version: "1.0.0",
      };
    },
  },
];

/**
 * Checks a document and brings it to the current schema: migrates older versions, refuses a newer
 * major version and malformed documents (InvalidInputError, nothing written).
 */
export function readTreeDocument(data: unknown): ValidTreeDocument {
  if (!isRecord(data)) throw new InvalidInputError("importConversation: the document must be a JSON object");
  const version = data.schema_version === undefined ? "0.0.0" : data.schema_version;
  if (typeof version !== "string" || !SEMVER.test(version)) {
    throw new InvalidInputError(`importConversation: schema_version ${JSON.stringify(version)} is not a semantic version`);
  }
  const match = SEMVER.exec(version)!;
  const major = Number(match[1]);
  const current = Number(SEMVER.exec(TREE_SCHEMA_VERSION)![1]);
  if (major > current) {
    throw new InvalidInputError(
      `importConversation: schema_version ${version} is newer than this library reads (${TREE_SCHEMA_VERSION}); upgrade langgraph-checkpoint-redis-tree`,
    );
  }
  let doc: Record<string, unknown> = data;
  for (const step of MIGRATIONS) if (major <= step.from) doc = step.migrate(doc);

  const parsed = TreeDocumentSchema.safeParse(doc);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new InvalidInputError(`importConversation: malformed document: ${detail}`, { issues: parsed.error.issues });
  }
  checkShape(parsed.data);
  return parsed.data;
}

/** The nodes and edges must form one tree whose root is "" and whose current node exists. */
function checkShape(doc: ValidTreeDocument): void {
  const fail = (why: string) => {
    throw new InvalidInputError(`importConversation: malformed document: ${why}`);
  };
  const ids = new Set<string>();
  for (const node of doc.nodes) {
    if (ids.has(node.node_id)) fail(`node_id ${JSON.stringify(node.node_id)} appears twice`);
    ids.add(node.node_id);
  }
  if (doc.nodes.length === 0) {
    if (doc.edges.length > 0) fail("edges without nodes");
    if (doc.current_node_id !== "") fail(`current_node_id ${JSON.stringify(doc.current_node_id)} is not a node`);
    return;
  }
  if (!ids.has("")) fail('no root node (node_id "")');
  const parentOf = new Map<string, string>();
  for (const [parent, child] of doc.edges) {
    if (!ids.has(parent) || !ids.has(child)) fail(`edge [${JSON.stringify(parent)}, ${JSON.stringify(child)}] names a missing node`);
    if (parentOf.has(child)) fail(`node ${JSON.stringify(child)} has two parents`);
    if (child === "") fail("the root has a parent");
    parentOf.set(child, parent);
  }
  for (const id of ids) {
    if (id === "") continue;
    if (!parentOf.has(id)) fail(`node ${JSON.stringify(id)} has no parent edge`);
    // Every node must reach the root: no cycles.
    let cur: string | undefined = id;
    for (let steps = 0; cur !== "" && cur !== undefined; steps++) {
      if (steps > ids.size) fail(`the edges through ${JSON.stringify(id)} form a cycle`);
      cur = parentOf.get(cur);
    }
  }
  if (!ids.has(doc.current_node_id)) fail(`current_node_id ${JSON.stringify(doc.current_node_id)} is not a node`);
}
