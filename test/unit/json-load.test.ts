// src/threads/json-load.ts reads JSON written by LangGraph's serde without calling it, for plain
// JSON and LangChain messages. It must return what the installed serde returns: deeply equal
// (prototypes, own keys, -0 against 0) and written back to the same bytes, or leave the value to
// the serde. These tests hold it to that on messages of every class with arbitrary kwargs, and on
// the values it must leave alone.
import { isDeepStrictEqual } from "node:util";
import { AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";
import { message, value } from "../helpers/messages.js";
import { agrees, loadJson } from "../../src/threads/json-load.js";
import { Serde } from "../../src/threads/serde.js";

const serde = new MemorySaver().serde;

async function written(value: unknown): Promise<Uint8Array> {
  return (await serde.dumpsTyped(value))[1];
}

/**
 * Whether loadJson read `bytes` as the serde does: the same value, deeply and written back; false
 * when it left them to the serde. Where the serde throws (LangChain's `load` cannot build every
 * message it writes: an escaped response_metadata, say), loadJson must leave them to it, or throw.
 */
async function expectSame(bytes: Uint8Array): Promise<boolean> {
  let reference: unknown;
  try {
    reference = await serde.loadsTyped("json", bytes);
  } catch {
    let fast: { value: unknown } | undefined;
    try {
      fast = loadJson(bytes);
    } catch {
      return false;
    }
    expect(fast).toBeUndefined();
    return false;
  }
  const fast = loadJson(bytes);
  if (fast === undefined) return false;
  expect(isDeepStrictEqual(fast.value, reference)).toBe(true);
  expect(Buffer.from(await written(fast.value)).equals(Buffer.from(await written(reference)))).toBe(true);
  return true;
}

describe("loadJson", () => {
  it("reads a conversation as the serde does, without it", async () => {
    const messages = [
      new HumanMessage({ content: "question one", id: "h1" }),
      new AIMessage({ content: "answer", id: "a1", tool_calls: [{ id: "t1", name: "lookup", args: { q: "x", n: -0 }, type: "tool_call" }], usage_metadata: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } }),
      new ToolMessage({ content: "found", tool_call_id: "t1", artifact: { rows: [1, 2] } }),
      new SystemMessage("be brief"),
      new AIMessageChunk({ content: "part", id: "a2" }), // its kwargs hold usage_metadata: undefined
      new HumanMessage({ content: "x", additional_kwargs: { gone: undefined, list: [1, undefined] } }),
    ];
    const bytes = await written({ checkpoint: { v: 4, channel_values: { messages, empty: undefined } }, metadata: { step: 1 }, writes: [["messages", messages], ["x", undefined]] });
    expect(await expectSame(bytes)).toBe(true);
    const fast = loadJson(bytes)!.value as { checkpoint: { channel_values: { messages: BaseMessage[] } } };
    expect(fast.checkpoint.channel_values.messages[1]).toBeInstanceOf(AIMessage);
  });

  it("keeps -0 outside a message and makes it 0 inside one, as the serde does", async () => {
    // The serde never writes -0, but bytes from elsewhere may hold it: the serde copies it where
    // it stands, and writes a message's kwargs out again (0) before it builds the message.
    const bytes = Buffer.from(`{"n":-0,"m":{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"content":"a","tool_calls":[{"id":"t","name":"f","args":{"x":-0},"type":"tool_call"}]}}}`);
    expect(await expectSame(bytes)).toBe(true);
    const fast = loadJson(bytes)!.value as { n: number; m: AIMessage };
    expect(Object.is(fast.n, -0)).toBe(true);
    expect(Object.is(fast.m.tool_calls![0]!.args.x, 0)).toBe(true);
  });

  it("returns what the serde returns for lists of messages with arbitrary kwargs, or leaves them to it", async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 6 }), value, async (messages, extra) => {
        if (await expectSame(await written({ messages, extra }))) taken++;
      }),
      { numRuns: 1000 },
    );
    // Most generated lists are plain messages: the fast path must be the one tested, not the fallback.
    expect(taken).toBeGreaterThan(300);
  });

  it("leaves to the serde what it does not read the same way", async () => {
    const cases: unknown[] = [
      new Set([1]),
      new Map([["k", 1]]),
      { lc: 5, other: true }, // an object of the caller's with an `lc` key
      new HumanMessage({ content: "x", additional_kwargs: { nested: { lc: 1, type: "secret", id: ["KEY"] } } }), // escaped by toJSON
      new HumanMessage({ content: "x", additional_kwargs: { deep: JSON.parse("[".repeat(45) + "]".repeat(45)) } }),
    ];
    for (const value of cases) expect(loadJson(await written(value))).toBeUndefined();
    const human = (kwargs: string) => `{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":${kwargs}}`;
    const raw = [
      '{"__proto__":{"x":1}}', // the serde's copy makes it the prototype
      human('{"content":"x","additional_kwargs":{"__proto__":{"x":1}}}'),
      human('{"content":"x","lc":1}'), // `load` would take the kwargs for a class or a secret
      human('{"content":"x","constructor":1}'), // `load` would rename it through Object.prototype
      human('{"content":"x","__lc_escaped__":{"a":1}}'),
      human('{"content":"x","additional_kwargs":{"a":{"lc":2,"type":"undefined","more":1}}}'), // not as the serde writes undefined
      human('{"content":"x","additional_kwargs":{"s":{"lc":2,"type":"constructor","id":["Set"],"method":null,"args":[[1]],"kwargs":{}}}}'),
      human('{"content":"x","additional_kwargs":{"a":{"__lc_escaped__":{"lc":1}}}}'),
      '{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":{"content":"x"},"extra":1}',
      '{"lc":1,"type":"constructor","id":["langchain_core","documents","Document"],"kwargs":{"page_content":"x"}}', // another class
      "{not json",
    ];
    for (const text of raw) expect(loadJson(Buffer.from(text))).toBeUndefined();
  });

  it("renames kwargs keys as load does (aliases, then camelCase)", async () => {
    const bytes = Buffer.from(
      JSON.stringify([
        { lc: 1, type: "constructor", id: ["langchain_core", "messages", "ToolMessage"], kwargs: { content: "r", tool_call_id: "t9", some_field: 1, "other-key": 2 } },
        { lc: 1, type: "constructor", id: ["langchain_core", "messages", "AIMessage"], kwargs: { content: "a", tool_calls: [], invalid_tool_calls: [], additional_kwargs: { a_b: 1 } } },
      ]),
    );
    expect(await expectSame(bytes)).toBe(true);
  });

  it("is used only where the serde is found to read messages back the same way", async () => {
    expect(await agrees(serde)).toBe(true);
    // A serde (a later @langchain/core, say) whose reads build messages otherwise: not used.
    const other = new MemorySaver().serde;
    const differs = {
      dumpsTyped: other.dumpsTyped.bind(other),
      loadsTyped: async (type: string, data: Uint8Array | string) => {
        const value = (await other.loadsTyped(type, data)) as { messages?: BaseMessage[] };
        if (value.messages?.[0]) value.messages[0].content = "changed";
        return value;
      },
    };
    expect(await agrees(differs)).toBe(false);
  });

  it("is what the saver's default serde reads with, and a serde of the caller's is called as it is", async () => {
    const messages = [new HumanMessage("hi"), new AIMessage("hello")];
    const bytes = Buffer.from(await written(messages));
    const calls: string[] = [];
    const own = { dumpsTyped: serde.dumpsTyped.bind(serde), loadsTyped: (type: string, data: Uint8Array | string) => (calls.push(type), serde.loadsTyped(type, data)) };
    const [mine] = await new Serde(own, false).loadMany([{ type: "json", bytes, what: "messages" }]);
    expect(calls).toEqual(["json"]);
    const [fast] = await new Serde(serde, true).loadMany([{ type: "json", bytes, what: "messages" }]);
    expect(isDeepStrictEqual(fast, mine)).toBe(true);
  });
});
