import { randomUUID } from "node:crypto";
import { AIMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage, coerceMessageLikeToMessage, isBaseMessage, type BaseMessage } from "@langchain/core/messages";
import { InvalidInputError } from "../errors.js";
import type { MessageInput } from "./schemas.js";

/** A LangChain message from plain `{ role, content, ... }` data. */
export function toMessage(input: MessageInput): BaseMessage {
  const fields = { content: input.content as string, ...(input.name ? { name: input.name } : {}), ...(input.id ? { id: input.id } : {}) };
  switch (input.role) {
    case "user":
    case "human":
      return new HumanMessage(fields);
    case "assistant":
    case "ai":
      return new AIMessage(fields);
    case "system":
      return new SystemMessage(fields);
    case "tool":
      if (!input.toolCallId) throw new InvalidInputError('a message with role "tool" needs a toolCallId');
      return new ToolMessage({ ...fields, tool_call_id: input.toolCallId });
  }
}

export { isBaseMessage };

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
