/**
 * The LangChain message classes the saver reads (src/threads/json-load.ts) and writes
 * (src/threads/json-dump.ts) as LangGraph's JSON serde does without calling it, and the canary both
 * hold the installed serde to once per process before they are used.
 */
import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";
import * as messages from "@langchain/core/messages";

/** By the last part of the id LangChain writes for them: `["langchain_core", "messages", name]`. */
export const MESSAGE_CLASS_NAMES = [
  "AIMessage",
  "AIMessageChunk",
  "ChatMessage",
  "ChatMessageChunk",
  "FunctionMessage",
  "FunctionMessageChunk",
  "HumanMessage",
  "HumanMessageChunk",
  "RemoveMessage",
  "SystemMessage",
  "SystemMessageChunk",
  "ToolMessage",
  "ToolMessageChunk",
] as const;

/** Each class, as `@langchain/core/messages` exports it (where `load` finds it); absent if a later version drops it. */
export function messageClass(name: (typeof MESSAGE_CLASS_NAMES)[number]): (new (fields: Record<string, unknown>) => object) | undefined {
  const cls: unknown = (messages as Record<string, unknown>)[name];
  return typeof cls === "function" ? (cls as new (fields: Record<string, unknown>) => object) : undefined;
}

/**
 * A message of each class, with the kwargs LangChain renames (aliases, camelCase and snake_case),
 * nested values and an undefined one: what the reader and the writer must handle as the serde does.
 */
export function canaryMessages(): messages.BaseMessage[] {
  const usage = { input_tokens: 3, output_tokens: 4, total_tokens: 7 };
  const call = { id: "c1", name: "lookup", args: { q: "x", n: [1, { k: null, u: undefined }] }, type: "tool_call" as const };
  return [
    new messages.HumanMessage({ content: "question", id: "h1", additional_kwargs: { a_b: { c: [1, 2] }, camelKey: true } }),
    new messages.AIMessage({ content: [{ type: "text", text: "answer" }], id: "a1", tool_calls: [call], usage_metadata: usage, response_metadata: { model: "m" } }),
    new messages.AIMessageChunk({ content: "chunk", id: "a2" }),
    new messages.ToolMessage({ content: "result", tool_call_id: "c1", artifact: { rows: [1] }, status: "success" }),
    new messages.SystemMessage("system"),
    new messages.ChatMessage({ content: "chat", role: "critic" }),
    new messages.FunctionMessage({ content: "fn", name: "f" }),
    new messages.RemoveMessage({ id: "h1" }),
    new messages.HumanMessageChunk({ content: "h" }),
    new messages.SystemMessageChunk({ content: "s" }),
    new messages.ToolMessageChunk({ content: "t", tool_call_id: "c1" }),
    new messages.ChatMessageChunk({ content: "c", role: "r" }),
    new messages.FunctionMessageChunk({ content: "f", name: "f" }),
  ];
}

/**
 * `check` run once per serde and process (its promise kept), false when it throws: how the reader
 * and the writer hold a serde to the canary before they are used for it.
 */
export function oncePerSerde(check: (serde: SerializerProtocol) => Promise<boolean>): (serde: SerializerProtocol) => Promise<boolean> {
  const checked = new WeakMap<SerializerProtocol, Promise<boolean>>();
  return (serde) => {
    let result = checked.get(serde);
    if (result === undefined) {
      result = check(serde).catch(() => false);
      checked.set(serde, result);
    }
    return result;
  };
}
