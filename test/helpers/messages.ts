// Arbitrary LangChain messages for property tests of what the saver reads and writes as LangGraph's
// JSON serde does (test/unit/json-load.test.ts, test/unit/json-dump.test.ts): every class the
// saver reads fast, with kwargs of arbitrary keys (those LangChain renames or escapes included)
// and values (undefined included).
import { AIMessage, AIMessageChunk, ChatMessage, FunctionMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import fc from "fast-check";

export const json = fc.jsonValue({ maxDepth: 4 });
export const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("lc", "__proto__", "constructor", "toString", "__lc_escaped__", "tool_call_id", "additional_kwargs", "a_b", "aB", " x ", "-"));
// The serde writes undefined as a record; in a message's kwargs, reading drops it (null in an array).
export const value = fc.oneof(json, fc.constant(undefined), fc.array(fc.oneof(json, fc.constant(undefined)), { maxLength: 3 }));
export const kwargsObject = fc.dictionary(key, value, { maxKeys: 4 });
export const content = fc.oneof(fc.string(), fc.array(fc.record({ type: fc.constant("text"), text: fc.string() }), { maxLength: 3 }), fc.array(json, { maxLength: 3 }));
export const toolCall = fc.record({ id: fc.string({ maxLength: 6 }), name: fc.string({ minLength: 1, maxLength: 6 }), args: kwargsObject, type: fc.constant("tool_call" as const) });

export const message: fc.Arbitrary<BaseMessage> = fc.oneof(
  fc.record({ content, id: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }), additional_kwargs: fc.option(kwargsObject, { nil: undefined }) }).map((f) => new HumanMessage(f as never)),
  fc
    .record({
      content,
      tool_calls: fc.array(toolCall, { maxLength: 2 }),
      response_metadata: fc.option(kwargsObject, { nil: undefined }),
      usage_metadata: fc.option(fc.record({ input_tokens: fc.nat(), output_tokens: fc.nat(), total_tokens: fc.nat() }), { nil: undefined }),
    })
    .map((f) => new AIMessage(f as never)),
  fc.record({ content, tool_call_id: fc.string({ maxLength: 6 }), artifact: fc.option(json, { nil: undefined }), status: fc.constantFrom("success" as const, "error" as const) }).map((f) => new ToolMessage(f as never)),
  content.map((c) => new SystemMessage({ content: c as never })),
  fc.record({ content, role: fc.string({ maxLength: 6 }) }).map((f) => new ChatMessage(f as never)),
  fc.record({ content, name: fc.string({ maxLength: 6 }) }).map((f) => new FunctionMessage(f as never)),
  fc.string({ minLength: 1, maxLength: 6 }).map((id) => new RemoveMessage({ id })),
  fc
    .record({
      content: fc.string(),
      id: fc.string({ maxLength: 6 }),
      // A streamed tool call, whole or cut mid-arguments (the constructor parses what it can).
      tool_call_chunks: fc.array(fc.record({ name: fc.string({ maxLength: 4 }), args: fc.constantFrom('{"a": 1}', '{"a":', "", "[1,2]"), id: fc.string({ maxLength: 4 }), index: fc.nat({ max: 3 }), type: fc.constant("tool_call_chunk" as const) }), { maxLength: 2 }),
      response_metadata: fc.option(kwargsObject, { nil: undefined }),
      usage_metadata: fc.option(fc.record({ input_tokens: fc.nat(), output_tokens: fc.nat(), total_tokens: fc.nat() }), { nil: undefined }),
    })
    .map((f) => new AIMessageChunk(f as never)),
);

