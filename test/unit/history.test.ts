// The history store and cache behind DeltaChannel reads, without Redis.
import type { CheckpointPendingWrite } from "@langchain/langgraph-checkpoint";
import { HistoryCache, completeAt, historyOf, nodeOf, pathToSeed, type WalkStore } from "../../src/threads/history.js";

type Store = WalkStore<CheckpointPendingWrite, unknown>;

/** A chain c0 (seed [0]) ← c1 ← c2 ← c3, each ci with one write [i+1] to "m". */
function chain(): Store {
  const store: Store = new Map();
  for (let i = 0; i <= 3; i++) {
    const node = nodeOf(store, `c${i}`, i === 0 ? null : `c${i - 1}`);
    node.writes = new Map([["m", [[`t${i}`, "m", [i + 1]]]]]);
    node.checked.add("m");
    if (i === 0) node.seeds.set("m", { lg_name: "DeltaSnapshot", value: [0] });
  }
  return store;
}

describe("history store", () => {
  it("reads a history up to its seed, oldest writes first", () => {
    const found = pathToSeed(chain(), "c2", "m")!;
    expect(found.path.map((n) => n.id)).toEqual(["c2", "c1", "c0"]);
    const history = historyOf(found, "m");
    expect(history.writes.map((w) => w[2])).toEqual([[1], [2], [3]]);
    expect(history.seed).toMatchObject({ value: [0] });
  });

  it("a gap, an unchecked channel or a cycle is no history (the walk must go to Redis)", () => {
    const gap = chain();
    gap.delete("c1");
    expect(pathToSeed(gap, "c3", "m")).toBeUndefined();
    expect(pathToSeed(chain(), "c3", "other")).toBeUndefined();
    const cycle = chain();
    cycle.get("c0")!.seeds.clear();
    cycle.get("c0")!.parent = "c2";
    expect(pathToSeed(cycle, "c3", "m")).toBeUndefined();
    expect(completeAt(gap, ["c3", "c0", "nope"], ["m"])).toEqual(["c0"]);
  });

  it("hands out fresh lists, so a reducer that appends in place changes nothing kept", () => {
    const store = chain();
    const first = historyOf(pathToSeed(store, "c3", "m")!, "m");
    (first.seed as { value: number[] }).value.push(99);
    (first.writes[0]![2] as number[]).push(99);
    const again = historyOf(pathToSeed(store, "c3", "m")!, "m");
    expect(again.seed).toMatchObject({ value: [0] });
    expect(again.writes[0]![2]).toEqual([1]);
  });
});

describe("HistoryCache", () => {
  it("keeps the most recently used threads within its bound of writes, and forgets a deleted thread", () => {
    const cache = new HistoryCache(10);
    for (const t of ["a", "b", "c"]) cache.record(cache.reset(t, "", "v"), "x", 4);
    expect(cache.get("a", "")).toBeUndefined(); // 12 > 10: the least recently used went
    expect(cache.get("b", "")).toBeDefined();
    expect(cache.get("c", "")?.targets).toEqual(["x"]);
    cache.drop("c");
    expect(cache.get("c", "")).toBeUndefined();
    const off = new HistoryCache(0);
    off.record(off.reset("a", "", "v"), "x", 1);
    expect(off.get("a", "")).toBeUndefined();
  });
});
