/**
 * Messages: the one place that maps roles to LangChain message types and back (plain inputs, the
 * tree document's messages), appends as LangGraph's reducer does, and rebuilds a messages
 * DeltaChannel from its history.
 */
import { randomUUID } from "node:crypto";
import { AIMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage, coerceMessageLikeToMessage, isBaseMessage, type BaseMessage } from "@langchain/core/messages";
import { isRecord } from "../codec.js";
import { InvalidInputError } from "../errors.js";
import type { TreeMessage } from "./document.js";
import type { MessageInput } from "./schemas.js";

/** The roles a message given as data may have: the tree format's and LangChain's names. */
export const MESSAGE_ROLES = ["user", "human", "assistant", "ai", "system", "tool"] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** The tree format's role of each LangChain message type. */
const ROLE_OF_TYPE: Record<string, string> = { human: "user", ai: "assistant", system: "system", tool: "tool" };

/** What a message is made of, whichever form it comes in. */
interface MessageFields {
  content: unknown;
  name?: string | undefined;
  id?: string | undefined;
  toolCallId?: string | undefined;
  toolCalls?: AIMessage["tool_calls"];
  usage?: AIMessage["usage_metadata"];
  additionalKwargs?: Record<string, unknown>;
  responseMetadata?: Record<string, unknown>;
}

/** The LangChain message of a role. */
function messageOf(role: MessageRole, m: MessageFields): BaseMessage {
  const fields = {
    content: m.content as string,
    ...(m.name ? { name: m.name } : {}),
    ...(m.id ? { id: m.id } : {}),
    ...(m.additionalKwargs ? { additional_kwargs: m.additionalKwargs } : {}),
    ...(m.responseMetadata ? { response_metadata: m.responseMetadata } : {}),
  };
  switch (role) {
    case "user":
    case "human":
      return new HumanMessage(fields);
    case "assistant":
    case "ai":
      return new AIMessage({ ...fields, ...(m.toolCalls ? { tool_calls: m.toolCalls } : {}), ...(m.usage ? { usage_metadata: m.usage } : {}) });
    case "system":
      return new SystemMessage(fields);
    case "tool":
      return new ToolMessage({ ...fields, tool_call_id: m.toolCallId ?? "" });
  }
}

/** A LangChain message from plain `{ role, content, ... }` data. */
export function toMessage(input: MessageInput): BaseMessage {
  if (input.role === "tool" && !input.toolCallId) throw new InvalidInputError('a message with role "tool" needs a toolCallId');
  return messageOf(input.role, input);
}

/** A message as the tree format stores it: role, content, name, and the rest in `metadata`. */
export function toTreeMessage(message: BaseMessage): TreeMessage {
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

/** A LangChain message from a tree message (the inverse of {@link toTreeMessage}). */
export function fromTreeMessage(message: TreeMessage): BaseMessage {
  const meta = message.metadata ?? {};
  if (!(MESSAGE_ROLES as readonly string[]).includes(message.role)) {
    throw new InvalidInputError(`importConversation: unknown message role ${JSON.stringify(message.role)}`);
  }
  return messageOf(message.role as MessageRole, {
    content: message.content,
    name: message.name ?? undefined,
    id: typeof meta.id === "string" ? meta.id : undefined,
    toolCallId: typeof meta.tool_call_id === "string" ? meta.tool_call_id : undefined,
    ...(Array.isArray(meta.tool_calls) ? { toolCalls: meta.tool_calls as AIMessage["tool_calls"] } : {}),
    ...(isRecord(meta.usage_metadata) ? { usage: meta.usage_metadata as unknown as AIMessage["usage_metadata"] } : {}),
    ...(isRecord(meta.additional_kwargs) ? { additionalKwargs: meta.additional_kwargs } : {}),
    ...(isRecord(meta.response_metadata) ? { responseMetadata: meta.response_metadata } : {}),
  });
}

export { isBaseMessage };

function notEmpty(value: object | undefined): boolean {
  return value !== undefined && Object.entries(value).length > 0;
}

/**
 * Appends a message the way LangGraph's messages reducer does: a message without an id gets one,
 * and a message whose id is already there replaces that message in place.
 */
export function appendMessage(existing: readonly BaseMessage[], message: BaseMessage): BaseMessage[] {
  if (!message.id) message.id = randomUUID();
  const at = existing.findIndex((m) => m.id === message.id);
  if (at === -1) return [...existing, message];
  const next = [...existing];
  next[at] = message;
  return next;
}

/**
 * A messages DeltaChannel's value rebuilt from its history (seed plus writes), the way LangGraph's
 * `DeltaChannel` with `messagesDeltaReducer` rebuilds it: the seed (a DeltaSnapshot or a plain
 * list) is the start; a write is a message or a list of them; a message whose id is already there
 * replaces it, a `RemoveMessage` removes its id (`__remove_all__`: everything so far), an
 * `Overwrite` write resets the value. Incremental, so that a tree can count the messages at every
 * checkpoint along a path in one pass.
 */
export class MessageReplay {
  #slots: Array<BaseMessage | null> = [];
  #index = new Map<string, number>();
  #count = 0;

  constructor(seed?: unknown) {
    this.#reset(seed);
  }

  /** How many messages the value holds now. */
  get length(): number {
    return this.#count;
  }

  /** Applies one checkpoint's writes (their values), in order. */
  apply(values: readonly unknown[]): void {
    for (const value of values) {
      const overwrite = overwriteOf(value);
      if (overwrite.is) {
        this.#reset(overwrite.value);
        continue;
      }
      for (const item of Array.isArray(value) ? value : [value]) this.#add(coerceMessageLikeToMessage(item as never));
    }
  }

  /** The messages now. */
  messages(): BaseMessage[] {
    return this.#slots.filter((m): m is BaseMessage => m !== null);
  }

  #reset(seed: unknown): void {
    this.#slots = [];
    this.#index.clear();
    this.#count = 0;
    // The seed is the value as it was: taken whole (as the reducer's `state`), not replayed.
    const value = isDeltaSnapshot(seed) ? seed.value : seed;
    if (!Array.isArray(value)) return;
    for (const item of value) {
      const message = coerceMessageLikeToMessage(item as never);
      if (message.id != null) this.#index.set(message.id, this.#slots.length);
      this.#slots.push(message);
    }
    this.#count = this.#slots.length;
  }

  #add(message: BaseMessage): void {
    const id = message.id;
    if (RemoveMessage.isInstance(message) && id === REMOVE_ALL) {
      this.#slots = [];
      this.#index.clear();
      this.#count = 0;
    } else if (id == null) {
      this.#slots.push(message);
      this.#count++;
    } else if (RemoveMessage.isInstance(message)) {
      const at = this.#index.get(id);
      if (at !== undefined) {
        this.#slots[at] = null;
        this.#index.delete(id);
        this.#count--;
      }
    } else {
      const at = this.#index.get(id);
      if (at !== undefined) {
        this.#slots[at] = message;
      } else {
        this.#index.set(id, this.#slots.length);
        this.#slots.push(message);
        this.#count++;
      }
    }
  }
}

/** The messages of a stored messages value: a list, or a DeltaSnapshot of one. */
export function messagesIn(value: unknown): BaseMessage[] {
  return new MessageReplay(value).messages();
}

/** LangGraph's id of a RemoveMessage that removes every message before it. */
const REMOVE_ALL = "__remove_all__";

function isDeltaSnapshot(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as { lg_name?: unknown }).lg_name === "DeltaSnapshot";
}

/** LangGraph's Overwrite, as an instance or in its serialised forms (`_getOverwriteValue`). */
function overwriteOf(value: unknown): { is: boolean; value?: unknown } {
  if (value !== null && typeof value === "object") {
    if ("__overwrite__" in value) return { is: true, value: (value as Record<string, unknown>).__overwrite__ };
    const rec = value as { type?: unknown; value?: unknown };
    if (rec.type === "__overwrite__" && "value" in rec) return { is: true, value: rec.value };
  }
  return { is: false };
}
