import { randomUUID } from "node:crypto";
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, isBaseMessage, type BaseMessage } from "@langchain/core/messages";
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
