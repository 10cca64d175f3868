// Lists are stored element by element and read back as the JSON of the whole list (src/lua/
// includes/lists.lua, replies.ts blobValue): that is exact only if LangGraph's JSON serde writes a
// list as `[`, its elements' own bytes joined by `,`, and `]`. These tests hold the serde to it,
// and Serde.dumpElements to storing whole what it cannot split.
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";
import { blobValue, listSpec } from "../../src/scripts/replies.js";
import { ListCache } from "../../src/threads/lists.js";
import { Serde, splitJsonList } from "../../src/threads/serde.js";
import { packParts, unpackParts } from "../../src/codec.js";

const langgraphSerde = new MemorySaver().serde;
const serde = new Serde(langgraphSerde, true);

/** What the saver stores for a whole list, and what a read of the same list element by element gives back. */
async function bothWays(list: unknown[]): Promise<{ whole: Buffer; joined: Buffer } | undefined> {
  const elements = await serde.dumpElements(list, "list");
  if (elements === undefined) return undefined;
  return { whole: await serde.dump(list, "list"), joined: blobValue([Buffer.from("node id"), ...elements.bytes]) };
}

const json = fc.jsonValue();
const messages = fc.oneof(
  fc.string().map((content) => new HumanMessage({ content, id: "h" })),
  fc.record({ content: fc.string(), args: fc.dictionary(fc.string(), json) }).map(({ content, args }) => new AIMessage({ content, tool_calls: [{ id: "call", name: "tool", args }] })),
  fc.string().map((content) => new ToolMessage({ content, tool_call_id: "call" })),
);
const others = fc.oneof(
  fc.date({ noInvalidDate: true }),
  fc.constant(undefined),
  fc.constant(null),
  fc.array(json).map((a) => new Set(a)),
  fc.array(fc.tuple(fc.string(), json)).map((a) => new Map(a)),
  fc.constant(new Error("boom")),
  fc.constant(/a+b/gi),
);

describe("lists element by element", () => {
  it("LangGraph's JSON serde writes a list as its elements' bytes joined: the joined read is the whole value, byte for byte", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(json, messages, others), { minLength: 1, maxLength: 12 }), async (list) => {
        const both = await bothWays(list);
        expect(both).toBeDefined();
        expect(both!.joined.equals(both!.whole)).toBe(true);
        expect(await serde.load(both!.joined, "list")).toEqual(await serde.load(both!.whole, "list"));
      }),
      { numRuns: 300 },
    );
  });

  it("stores whole what it cannot split: an empty list, a Uint8Array element, an element that refers back to the list, a custom serde", async () => {
    expect(await serde.dumpElements([], "list")).toBeUndefined();
    expect(await serde.dumpElements([new Uint8Array([1, 2])], "list")).toBeUndefined();
    const looped: unknown[] = [];
    looped.push({ list: looped });
    expect(await serde.dumpElements(looped, "list")).toBeUndefined();
    expect(await new Serde(langgraphSerde, false).dumpElements([1, 2], "list")).toBeUndefined();
  });

  it("a list spec frames the start and the new elements; a stored value is never mistaken for one", async () => {
    const spec = listSpec({ node: "abc", length: 2 }, [Buffer.from("3")]);
    expect(spec[0]).toBe(1);
    expect(unpackParts(spec.subarray(1)).map((p) => p.toString())).toEqual(["abc", "2", "3"]);
    expect(unpackParts(listSpec(undefined, [Buffer.from("1")]).subarray(1)).map((p) => p.toString())).toEqual(["", "0", "1"]);
    // A packed serde value starts with the high byte of its type's length: 0.
    expect((await serde.dump(1, "x"))[0]).toBe(0);
  });

  it("a list read back comes apart into its elements' own bytes, whatever they hold (strings with quotes, escapes, brackets, commas)", async () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('"', "\\", '\\"', "a,b", "[", "]}{", "\u2028", "é, ü", '\\\\"],[{'));
    const tricky = fc.oneof(json, text);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(tricky, messages, fc.array(tricky), fc.dictionary(text, tricky)), { minLength: 1, maxLength: 12 }), async (list) => {
        const elements = await serde.dumpElements(list, "list");
        expect(elements).toBeDefined();
        const split = splitJsonList(await serde.dump(list, "list"));
        expect(split?.map((b) => b.toString())).toEqual(elements!.bytes.map((b) => b.toString()));
      }),
      { numRuns: 300 },
    );
  });

  it("what is not a packed JSON list does not come apart", () => {
    const packed = (type: string, text: string) => packParts([type, text]);
    expect(splitJsonList(packed("json", "[]"))).toEqual([]);
    for (const text of ['{"a":1}', "[1,]", "[,1]", '["open]', "[1,2", "[[1],2]]", "1,2"]) expect(splitJsonList(packed("json", text))).toBeUndefined();
    expect(splitJsonList(packed("bytes", "[1,2]"))).toBeUndefined();
    expect(splitJsonList(Buffer.from([0, 0, 0, 9, 1]))).toBeUndefined();
  });
});

describe("the list cache", () => {
  const b = (s: string) => Buffer.from(s);

  it("names a remembered list and how many first elements a new list shares with it, and nothing else", () => {
    const cache = new ListCache(1000);
    const stored = [b("1"), b('"two"')];
    cache.remember("t", "", "messages", "n1", stored);
    expect(cache.start("t", "", "messages", [...stored, b("3")])).toEqual({ node: "n1", length: 2 });
    expect(cache.start("t", "", "messages", [b("1"), b('"two"'), b("3")])).toEqual({ node: "n1", length: 2 }); // equal bytes, other Buffers
    // A list that replaces or drops the last elements still shares the first ones.
    expect(cache.start("t", "", "messages", [b("1"), b('"2"'), b("3")])).toEqual({ node: "n1", length: 1 });
    expect(cache.start("t", "", "messages", [b("1")])).toEqual({ node: "n1", length: 1 });
    expect(cache.start("t", "", "messages", [b("2"), b('"two"')])).toBeUndefined();
    expect(cache.start("t", "", "messages", [])).toBeUndefined();
    expect(cache.start("t", "", "other", [...stored, b("3")])).toBeUndefined();
    expect(cache.known("t", "", "messages")).toMatchObject({ node: "n1", elements: stored });
    cache.drop("t");
    expect(cache.known("t", "", "messages")).toBeUndefined();
  });

  it("names the lists it holds for a thread's namespace, by node, for a read; a drop or an eviction forgets them there too", () => {
    const cache = new ListCache(20);
    const messages = [b("1"), b("2")];
    cache.remember("t", "", "messages", "n1", messages);
    cache.remember("t", "", "todo", "n2", [b("3")]);
    cache.remember("t", "sub", "messages", "n3", [b("4")]);
    cache.remember("u", "", "messages", "n4", [b("5")]);
    expect(cache.nodes("t", "")).toEqual(new Map([["n1", messages], ["n2", [b("3")]]]));
    expect([...cache.nodes("t", "sub").keys()]).toEqual(["n3"]);
    const held = cache.nodes("t", "");
    cache.remember("t", "", "messages", "n5", [...messages, b("6")]); // the next version replaces n1
    expect([...cache.nodes("t", "").keys()].sort()).toEqual(["n2", "n5"]); // in no particular order
    expect(held.get("n1")).toEqual(messages); // what a read took stays as it was
    cache.drop("t");
    expect(cache.nodes("t", "").size).toBe(0);
    expect(cache.nodes("t", "sub").size).toBe(0);
    expect([...cache.nodes("u", "").keys()]).toEqual(["n4"]);
    cache.remember("v", "", "messages", "n6", [b("x".repeat(20))]); // 21 bytes in all: the oldest goes
    expect(cache.nodes("u", "").size).toBe(0);
    expect([...cache.nodes("v", "").keys()]).toEqual(["n6"]);
  });

  it("holds at most its bytes, oldest out first, counting a list that extends the one before right", () => {
    const cache = new ListCache(10);
    const first = [b("aaaa")];
    cache.remember("t1", "", "m", "n1", first);
    cache.remember("t1", "", "m", "n2", [...first, b("bbbb")]); // 8 bytes: the extension replaces the list before
    expect(cache.known("t1", "", "m")?.node).toBe("n2");
    cache.remember("t2", "", "m", "n3", [b("cc")]); // 10 in all: both stay
    expect(cache.known("t1", "", "m")?.node).toBe("n2");
    cache.remember("t2", "", "m", "n4", [b("cc"), b("d")]); // 11: the oldest goes
    expect(cache.known("t1", "", "m")).toBeUndefined();
    expect(cache.known("t2", "", "m")?.node).toBe("n4");
    cache.remember("t3", "", "m", "n5", [b("x".repeat(11))]); // larger than the cache: not kept
    expect(cache.known("t3", "", "m")).toBeUndefined();
    expect(cache.known("t2", "", "m")?.node).toBe("n4");
  });
});
