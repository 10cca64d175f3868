// Script replies taken apart: stored tuples, stored writes, walk facts and frontiers.
import { packParts, unpackParts } from "../../src/codec.js";
import { packWrite, parseTuple, parseWalk, parseWrite, type Reply } from "../../src/scripts/replies.js";

const write = (taskId: string, idx: number, channel: string) => packWrite({ taskId, idx, channel, taskPath: "p", type: "json", bytes: Buffer.from(`"${channel}"`) });
const b = (s: string) => Buffer.from(s);

describe("replies", () => {
  it("a stored write round-trips", () => {
    const packed = write("t1", -2, "__interrupt__");
    expect(parseWrite(packed)).toEqual({ taskId: "t1", idx: -2, channel: "__interrupt__", taskPath: "p", type: "json", bytes: b('"__interrupt__"'), packed });
  });

  it("a tuple: fields, blobs, writes, and the parent's writes of an old format", () => {
    const record = packParts(["json", "{}"]);
    const reply: Reply = [b("id"), b("ns"), record, b("parent"), [b("c:1"), b("v1")], [b("t:0"), write("t", 0, "c")], false as unknown as Reply];
    const tuple = parseTuple(reply)!;
    expect(tuple).toMatchObject({ id: "id", ns: "ns", parent: "parent", blobs: [["c:1", b("v1")]], parentWrites: null });
    expect(tuple.writes.map((w) => w.channel)).toEqual(["c"]);
    expect(tuple.lists.size).toBe(0);
    // A list stored element by element comes as its node id, then its elements.
    const listed = parseTuple([b("id"), b("ns"), record, null, [b("m:1"), [b("node"), b('{"a":1}'), b("2,3")]], [], false as unknown as Reply])!;
    expect(listed.lists).toEqual(new Map([["m:1", "node"]]));
    expect(unpackParts(listed.blobs[0]![1]).map(String)).toEqual(["json", '[{"a":1},2,3]']);
    expect(parseTuple(null)).toBeNull();
    expect(parseTuple([b("id"), b(""), record, null, [], [], [b("t:0"), write("t", 0, "__pregel_tasks")]])!.parentWrites).toHaveLength(1);
  });

  it("walk facts and frontier, flat as delta_walk sends them", () => {
    const channels = ["messages", "todos"];
    const facts: Reply = [
      // a checkpoint that stores a seed of channel 1 and has two writes
      b("c2"), b("c1"), 0, b("1,2"), 1, 1, b("messages:3"), b("seed"), 2, write("a", 0, "messages"), write("b", 0, "todos"),
      // a known checkpoint, no seeds, no writes
      b("c1"), false as unknown as Reply, 1, b("2"), 0, 0,
      // a checkpoint that is gone
      b("c0"), false as unknown as Reply, 2, b("2"), 0, 0,
    ];
    const walk = parseWalk(channels, facts, [b("c9"), b("c10"), b("2")]);
    expect(walk.facts.map((f) => [f.id, f.parent, f.known, f.gone, f.checked, [...f.seeds.keys()], f.writes.map((w) => w.channel)])).toEqual([
      ["c2", "c1", false, false, ["messages", "todos"], ["messages"], ["messages", "todos"]],
      ["c1", null, true, false, ["todos"], [], []],
      ["c0", null, false, true, ["todos"], [], []],
    ]);
    expect(walk.facts[0]!.seeds.get("messages")).toEqual({ field: "messages:3", value: b("seed") });
    expect(walk.frontier).toEqual([{ id: "c9", child: "c10", channels: ["todos"] }]);
    expect(() => parseWalk(channels, [b("c"), false as unknown as Reply, 0, b("3"), 0, 0], [])).toThrow(/channel #3/);
  });
});
