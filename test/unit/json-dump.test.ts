// src/threads/json-dump.ts writes LangChain messages as LangGraph's JSON serde writes them without
// calling it. It must give the installed serde's bytes exactly, or leave the value to the serde.
// These tests hold it to that on messages of every class with arbitrary kwargs, on lists of them,
// on messages changed after they were made, and on the values it must leave alone.
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";
import { key, message, value } from "../helpers/messages.js";
import { dumpJson, writerAgrees } from "../../src/threads/json-dump.js";
import { Serde } from "../../src/threads/serde.js";

const serde = new MemorySaver().serde;

/** Whether dumpJson wrote `value` as the serde does: the same bytes; false when it left it to the serde. */
async function expectSame(value: unknown): Promise<boolean> {
  const fast = dumpJson(value);
  if (fast === undefined) return false;
  const [type, bytes] = await serde.dumpsTyped(value);
  expect(type).toBe("json");
  expect(fast.toString()).toBe(Buffer.from(bytes).toString());
  return true;
}

describe("dumpJson", () => {
  it("writes messages of every class with arbitrary kwargs as the serde does, alone and in lists, or leaves them to it", async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 6 }), async (messages) => {
        if (await expectSame(messages)) taken++;
        for (const m of messages) await expectSame(m);
      }),
      { numRuns: 1000 },
    );
    // Most generated messages are plain: the fast path must be the one tested, not the fallback.
    expect(taken).toBeGreaterThan(300);
  });

  it("writes plain data with messages anywhere in it (checkpoint records, writes, inputs) as the serde does", async () => {
    const special = fc.constantFrom("lc", "__lc_escaped__", "type", "id", "kwargs", "lg_name");
    const data: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, value, message, fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(fc.oneof(key, special), tie("node"), { maxKeys: 4 })),
    })).node;
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(data, async (v) => {
        if (typeof v !== "object" || v === null) return;
        if (await expectSame(v)) taken++;
      }),
      { numRuns: 1000 },
    );
    expect(taken).toBeGreaterThan(300);
    // An own "__proto__" key (as JSON.parse makes one), sparse arrays, undefined in objects and arrays.
    const parsed = JSON.parse('{"__proto__":{"a":1},"x":[1]}') as unknown;
    const sparse: unknown[] = [1];
    sparse[3] = new HumanMessage("late");
    for (const v of [parsed, { list: sparse }, { a: undefined, b: [undefined, 1] }, { lc: 1, type: "constructor", id: ["x"], kwargs: {} }]) expect(await expectSame(v)).toBe(true);
  });

  it("writes a message as it is when written, whatever was changed in it since it was made", async () => {
    const change = fc.record({ field: fc.constantFrom("content", "id", "name", "additional_kwargs", "response_metadata", "lc_kwargs", "extra"), key, value });
    await fc.assert(
      fc.asyncProperty(message, fc.array(change, { maxLength: 3 }), async (m, changes) => {
        for (const c of changes) {
          const target = m as unknown as Record<string, unknown>;
          if (c.field === "additional_kwargs" || c.field === "response_metadata" || c.field === "lc_kwargs") {
            const inner = target[c.field];
            if (inner && typeof inner === "object") (inner as Record<string, unknown>)[c.key] = c.value;
          } else target[c.field] = c.value;
        }
        await expectSame(m);
      }),
      { numRuns: 1000 },
    );
  });

  it("leaves to the serde what it does not write the same way", async () => {
    const looped: Record<string, unknown> = { a: 1 };
    looped.self = looped;
    const inner = new HumanMessage("inner");
    const withSelf = new AIMessage("x");
    withSelf.additional_kwargs.me = withSelf;
    const renamedThroughPrototype = new HumanMessage("x");
    Object.assign(renamedThroughPrototype.lc_kwargs, { toString: "y" });
    const notSerializable = new HumanMessage("x");
    (notSerializable as { lc_serializable: boolean }).lc_serializable = false;
    const ownConstructor = new HumanMessage("x");
    Object.defineProperty(ownConstructor, "constructor", { value: Object, enumerable: false });
    class Custom extends HumanMessage {}
    const cases: unknown[] = [
      { at: new Date(0) },
      [new Map([["k", 1]])],
      { bytes: new Uint8Array([1]) },
      { set: new Set([1]) },
      { send: { lg_name: "Send", node: "n", args: 1 } }, // the serde's replacer rewrites it
      { looped },
      { f: () => 1 },
      { n: 10n },
      new HumanMessage({ content: "x", additional_kwargs: { at: new Date(0) } }), // toJSON's copy writes {} for it
      new HumanMessage({ content: "x", additional_kwargs: { m: new Map([["k", 1]]) } }),
      new HumanMessage({ content: "x", additional_kwargs: { nested: inner } }),
      new HumanMessage({ content: "x", additional_kwargs: { looped } }),
      withSelf,
      new HumanMessage({ content: "x", additional_kwargs: { o: { lc: 1 } } }), // escaped by toJSON
      new HumanMessage({ content: "x", additional_kwargs: { o: { __lc_escaped__: 1 } } }),
      new HumanMessage({ content: "x", additional_kwargs: { send: { lg_name: "Send", node: "n", args: 1 } } }), // the serde's replacer rewrites it
      new HumanMessage({ content: "x", additional_kwargs: { n: 10n } }),
      new HumanMessage({ content: "x", additional_kwargs: { f: () => 1 } }),
      new HumanMessage({ content: "x", additional_kwargs: { deep: JSON.parse("[".repeat(70) + "]".repeat(70)) as unknown } }),
      renamedThroughPrototype,
      notSerializable,
      ownConstructor,
      new Custom("a subclass"),
    ];
    cases.forEach((value, i) => expect(dumpJson(value), `case ${i}`).toBeUndefined());
    // Each of them the saver still writes exactly as the serde does (through the serde).
    const saverSerde = new Serde(serde, true);
    for (const value of cases) {
      let expected: Uint8Array | undefined;
      try {
        [, expected] = await serde.dumpsTyped(value);
      } catch {
        continue;
      }
      const written = await (async () => saverSerde.dumpTyped(value, "value"))().catch(() => undefined);
      if (written !== undefined) expect(Buffer.from(written[1]).equals(Buffer.from(expected))).toBe(true);
    }
  });

  it("writes what the saver writes: the serde's bytes for values, list elements and writes", async () => {
    const saverSerde = new Serde(serde, true);
    await fc.assert(
      fc.asyncProperty(fc.oneof(message, fc.array(message, { maxLength: 4 }), value), async (v) => {
        const [type, bytes] = await serde.dumpsTyped(v);
        const written = await saverSerde.dumpTyped(v, "value");
        expect(written[0]).toBe(type);
        expect(Buffer.from(written[1]).toString()).toBe(Buffer.from(bytes).toString());
      }),
      { numRuns: 300 },
    );
    // Values that are not objects go to the writer too (a channel holding a number, a write of a
    // string): the serde's bytes for the edges of JSON.stringify as well.
    for (const v of [-0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-324, "\ud800 lone", "\u2028\u0000\"", true, null, undefined]) {
      expect(dumpJson(v), String(v)).toBeDefined();
      const [type, bytes] = await serde.dumpsTyped(v);
      const written = await saverSerde.dumpTyped(v, "value");
      expect([written[0], Buffer.from(written[1]).toString()], String(v)).toEqual([type, Buffer.from(bytes).toString()]);
    }
  });

  it("is used only where the serde is found to write messages the same way", async () => {
    expect(await writerAgrees(serde)).toBe(true);
    const other = new MemorySaver().serde;
    const differs = {
      dumpsTyped: async (v: unknown) => {
        const [type, bytes] = await other.dumpsTyped(v);
        return [type, new TextEncoder().encode(new TextDecoder().decode(bytes).replace('"content"', '"text"'))] as [string, Uint8Array];
      },
      loadsTyped: other.loadsTyped.bind(other),
    };
    expect(await writerAgrees(differs)).toBe(false);
    // With it, or with a serde of the caller's, the saver writes through the serde.
    const calls: unknown[] = [];
    const own = { dumpsTyped: (v: unknown) => (calls.push(v), serde.dumpsTyped(v)), loadsTyped: serde.loadsTyped.bind(serde) };
    const m: BaseMessage = new ToolMessage({ content: "r", tool_call_id: "t" });
    await new Serde(own, false).dumpTyped(m, "message");
    expect(calls).toEqual([m]);
  });
});
