/**
 * The conversation tree document: a conversation's messages as a tree (messages shared by several
 * branches appear once), with branch names and the active position. The format follows the
 * tree-based conversation storage format this project was seeded from: `schema_version`,
 * `conversation_id`, `current_node_id`, `metadata`, timestamps, `nodes` and `edges`. This module
 * is the format: its types, its schema, and reading a document (migrating older versions, then
 * checking it), as the LangGraph savers keep their migrations beside their schema.
 */
import { z } from "zod";
import { isRecord } from "../codec.js";
import { InvalidInputError } from "../errors.js";
import { MESSAGE_ROLES } from "./messages.js";

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

/** The node metadata marking the root a tree gets when several messages start it. */
export const SYNTHETIC_ROOT = "synthetic_root";

/** True for the root a tree gets when several messages start it. */
export function isSyntheticRoot(node: TreeNode): boolean {
  return node.metadata?.[SYNTHETIC_ROOT] === true;
}

// ---------------------------------------------------------------------------------------------
// Reading documents: migration, then validation.

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;
const NODE_ID = /^(?:|\d+(?:\.\d+)*)$/;

const TreeMessageSchema = z.object({
  role: z.enum(MESSAGE_ROLES),
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
