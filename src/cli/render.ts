// Text rendering for the inspector CLI: readable without colour, coloured on a terminal.
import type { TreeDocument, TreeNode } from "../conversations/document.js";
import type { Conversation } from "../conversations/records.js";

export interface Style {
  active: (s: string) => string;
  dim: (s: string) => string;
  name: (s: string) => string;
  role: (role: string, s: string) => string;
  bold: (s: string) => string;
}

const plain = (s: string) => s;
export const PLAIN: Style = { active: plain, dim: plain, name: plain, role: (_r, s) => s, bold: plain };

const ansi = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const ROLE_COLORS: Record<string, (s: string) => string> = { user: ansi("36"), assistant: ansi("35"), system: ansi("33"), tool: ansi("34") };
export const COLOR: Style = {
  active: ansi("32"),
  dim: ansi("2"),
  name: ansi("33;1"),
  role: (role, s) => (ROLE_COLORS[role] ?? plain)(s),
  bold: ansi("1"),
};

/** One line of a message: whitespace folded, cut to `width` characters. */
function preview(content: unknown, width = 72): string {
  const text = typeof content === "string" ? content : JSON.stringify(content);
  const folded = text.replace(/\s+/g, " ").trim();
  return folded.length > width ? `${folded.slice(0, width - 1)}…` : folded;
}

/**
 * Draws a conversation tree the way `git log --graph` draws history: the line a conversation
 * continues on stays in one column, and each other branch hangs off it, indented, where it forks.
 * The active branch (root to `current_node_id`) is marked ●, other messages ○.
 */
export function renderTree(tree: TreeDocument, options: { ids: boolean; style: Style }): string[] {
  const { style } = options;
  const byId = new Map(tree.nodes.map((n) => [n.node_id, n]));
  const children = new Map<string, string[]>();
  for (const [parent, child] of tree.edges) children.set(parent, [...(children.get(parent) ?? []), child]);
  const activePath = new Set<string>();
  if (tree.nodes.length > 0) {
    for (let id: string | null = tree.current_node_id; id !== null; id = id === "" ? null : id.includes(".") ? id.slice(0, id.lastIndexOf(".")) : "") {
      activePath.add(id);
    }
  }
  const lines: string[] = [];
  const line = (prefix: string, node: TreeNode) => {
    const active = activePath.has(node.node_id);
    const mark = active ? style.active("●") : "○";
    const role = style.role(node.message.role, node.message.role.padEnd(9));
    const parentName = node.node_id === "" ? null : (byId.get(parentOf(node.node_id))?.branch_name ?? null);
    const name = node.branch_name && node.branch_name !== parentName ? ` ${style.name(`[${node.branch_name}]`)}` : "";
    const head = node.node_id === tree.current_node_id ? ` ${style.active("← head")}` : "";
    const checkpointId = typeof node.metadata.checkpoint_id === "string" ? node.metadata.checkpoint_id : "";
    const id = options.ids ? ` ${style.dim(checkpointId)}` : "";
    const text = active ? preview(node.message.content) : style.dim(preview(node.message.content));
    lines.push(`${prefix}${mark} ${role} ${text}${name}${head}${id}`);
  };
  // One chain of messages: its first line after `first`, the rest after `rest`. At each fork, the
  // child on the active path (else the first child) continues the chain; the other children are
  // drawn first, as chains hanging off it.
  const chain = (start: string, first: string, rest: string) => {
    let id: string | undefined = start;
    let prefix = first;
    while (id !== undefined) {
      line(prefix, byId.get(id)!);
      prefix = rest;
      const kids: string[] = children.get(id) ?? [];
      const next: string | undefined = kids.find((k) => activePath.has(k)) ?? kids[0];
      for (const side of kids) if (side !== next) chain(side, `${rest}├─`, `${rest}│ `);
      id = next;
    }
  };
  if (tree.nodes.length > 0) chain("", "", "");
  return lines;
}

function parentOf(id: string): string {
  return id.includes(".") ? id.slice(0, id.lastIndexOf(".")) : "";
}

export function renderConversationHeader(threadId: string, tree: TreeDocument, owner: string | null, conversation: Conversation | null, style: Style): string[] {
  const parents = new Set(tree.edges.map(([p]) => p));
  const leaves = tree.nodes.filter((n) => !parents.has(n.node_id)).length;
  const lines = [`${style.bold("thread")} ${threadId}`];
  if (conversation) {
    lines.push(`${style.bold("conversation")} ${conversation.title ? JSON.stringify(conversation.title) : "(untitled)"} · owner ${owner} · agent ${conversation.agentId ?? "-"} · tags ${conversation.tags.join(", ") || "-"}`);
    if (conversation.forkedFrom) lines.push(`forked from ${conversation.forkedFrom.threadId} at ${conversation.forkedFrom.checkpointId}`);
    lines.push(`created ${conversation.createdAt} · last activity ${conversation.updatedAt}`);
    lines.push(`status ${statusOf(conversation, style)}`);
    for (const pending of conversation.interrupts) lines.push(`  waiting on interrupt ${pending.id ?? "-"}: ${preview(pending.value, 100)}`);
  } else if (owner) {
    lines.push(`owner ${owner}`);
  } else {
    lines.push("(a thread without a conversation)");
  }
  lines.push(`${tree.nodes.length} messages · ${leaves} branch${leaves === 1 ? "" : "es"} · ● active branch`);
  return lines;
}

export function renderList(conversations: Conversation[], total: number, style: Style): string[] {
  if (conversations.length === 0) return ["no conversations"];
  const rows = conversations.map((c) => [c.updatedAt.replace("T", " ").slice(0, 19), c.status, c.title ?? "(untitled)", c.tags.join(", ") || "-", c.threadId]);
  const header = ["last activity", "status", "title", "tags", "thread"];
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  return [
    style.bold(header.map((h, i) => fit(h, widths[i]!)).join("  ")),
    ...rows.map((r) => r.map((cell, i) => (i === 1 ? STATUS_STYLE[cell]!(style)(fit(cell, widths[i]!)) : fit(cell, widths[i]!))).join("  ")),
    style.dim(`${conversations.length} of ${total} conversation${total === 1 ? "" : "s"}`),
  ];
}

/** How each status stands out on a terminal: the ones that want attention in colour. */
const STATUS_STYLE: Record<string, (style: Style) => (s: string) => string> = {
  idle: (style) => style.dim,
  busy: (style) => style.active,
  interrupted: (style) => style.name,
  error: (style) => style.bold,
};

function statusOf(c: Conversation, style: Style): string {
  const pending = c.interrupts.length > 0 ? ` (${c.interrupts.length} pending interrupt${c.interrupts.length === 1 ? "" : "s"})` : "";
  return `${STATUS_STYLE[c.status]!(style)(c.status)}${pending}`;
}

export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
