// The key layout documented in src/keys.ts is what the Lua scripts actually write.
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { escapeKeyPart } from "../src/keys.js";
import { keysUnder, testSaver } from "./helpers/redis.js";

describe("keys", () => {
  const ctx = testSaver();
  afterAll(async () => {
    await ctx.cleanup();
  });

  it("escapes injectively, never leaving a brace or a colon", () => {
    const parts = ["", "%", "%25", ":", "%3A", "{", "}", "a:b", "a%3Ab", "{x}", "ü🦜", "a\nb"];
    const escaped = parts.map(escapeKeyPart);
    expect(new Set(escaped).size).toBe(parts.length);
    for (const e of escaped) expect(e).not.toMatch(/[{}:]/);
    expect(escapeKeyPart("a:{b}%")).toBe("a%3A%7Bb%7D%25");
  });

  it("Lua writes exactly the keys of the documented layout", async () => {
    const { saver, client, prefix } = ctx;
    const ns = "sub:graph{1}%";
    const id = uuid6(-1);
    const config = await saver.put({ configurable: { thread_id: "t:{1}", checkpoint_ns: ns } }, { ...emptyCheckpoint(), id, channel_values: { c: 1 }, channel_versions: { c: 1 } }, { source: "input", step: -1, parents: {} }, { c: 1 });
    await saver.putWrites(config, [["c", 2]], "task");
    await saver.putWrites({ configurable: { thread_id: "t:{1}", checkpoint_ns: ns, checkpoint_id: "not-stored" } }, [["c", 3]], "task");
    await saver.store.script("test", "nameBranch", [saver.keys.threadBase("t:{1}")], [ns, id, "main", ""]);

    const base = `${prefix}:{t%3A%7B1%7D}`;
    expect(saver.keys.threadBase("t:{1}")).toBe(base);
    const e = escapeKeyPart(ns);
    expect((await keysUnder(client, prefix)).sort()).toEqual(
      [
        `${prefix}:threads`,
        `${base}:thread`,
        `${base}:nss`,
        `${base}:ckpts:${e}`,
        `${base}:ckpt:${e}:${id}`,
        `${base}:blobs:${e}`,
        `${base}:writes:${e}:${id}`,
        `${base}:writes:${e}:not-stored`,
        `${base}:wids:${e}`,
        `${base}:leaves:${e}`,
        `${base}:names:${e}`,
      ].sort(),
    );
    await saver.deleteThread("t:{1}");
    expect(await keysUnder(client, prefix)).toEqual([]);
  });
});
