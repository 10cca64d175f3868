// The key layout documented in src/keys.ts is what the Lua scripts actually write: a thread's keys
// (includes/keys.lua) and a user's conversation indexes (includes/user-keys.lua).
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { ConversationManager, RedisSaver } from "../src/index.js";
import { internalsOf } from "../src/internal.js";
import { customIndex } from "../src/conversations/records.js";
import { escapeKeyPart } from "../src/keys.js";
import { keysOf, keysUnder, testSaver } from "./helpers/redis.js";

describe("keys", () => {
  const ctx = testSaver();
  afterAll(async () => {
    await ctx.cleanup();
  });

  it("Lua writes exactly the thread keys of the documented layout", async () => {
    const { saver, client, prefix } = ctx;
    const ns = "sub:graph{1}%";
    const id = uuid6(-1);
    const config = await saver.put({ configurable: { thread_id: "t:{1}", checkpoint_ns: ns } }, { ...emptyCheckpoint(), id, channel_values: { c: 1 }, channel_versions: { c: 1 } }, { source: "input", step: -1, parents: {} }, { c: 1 });
    await saver.putWrites(config, [["c", 2]], "task");
    await saver.putWrites({ configurable: { thread_id: "t:{1}", checkpoint_ns: ns, checkpoint_id: "not-stored" } }, [["c", 3]], "task");
    await internalsOf(saver)!.threads.nameBranch({ threadId: "t:{1}", ns, checkpointId: id }, "main", {});

    const base = `${prefix}:{t%3A%7B1%7D}`;
    expect(keysOf(saver).threadBase("t:{1}")).toBe(base);
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

  it("Lua writes exactly the user keys of the documented layout", async () => {
    const { client, prefix } = ctx;
    // A saver with a TTL, so that the user's expiry index exists too.
    const saver = new RedisSaver({ client, prefix, ttl: { defaultTTL: 60 } });
    const manager = new ConversationManager({ saver });
    const user = "u:{1}%";
    const c = await manager.createConversation({ userId: user, metadata: { agentId: "a:{b}", tags: ["t:1", "t{2}"], customData: { "k:{}": 1 } } });
    await manager.listConversations({ userId: user, tags: ["t:1", "t{2}"] });

    const ubase = `${prefix}:{u:${escapeKeyPart(user)}}`;
    expect(keysOf(saver).userBase(user)).toBe(ubase);
    const userKeys = async () => (await keysUnder(client, prefix)).filter((k) => k.startsWith(`${ubase}:`)).sort();
    const indexes = [
      `${ubase}:convs`,
      `${ubase}:created`,
      `${ubase}:meta`,
      `${ubase}:expiry`,
      `${ubase}:by-agent:${escapeKeyPart("a:{b}")}`,
      `${ubase}:by-tag:${escapeKeyPart("t:1")}`,
      `${ubase}:by-tag:${escapeKeyPart("t{2}")}`,
      `${ubase}:by-cd:${customIndex({ "k:{}": 1 })[0]}`,
      `${ubase}:cdk`,
      `${ubase}:gen`,
    ];
    expect(await userKeys()).toEqual([...indexes, `${ubase}:by-status:idle`].sort());

    // A run's lease: the thread's lease key, and the owner's run, runs and status set.
    const base = keysOf(saver).threadBase(c.threadId);
    await manager.run(c.threadId, { userId: user }, async () => {
      expect(await userKeys()).toEqual([...indexes, `${ubase}:by-status:busy`, `${ubase}:run`, `${ubase}:runs`].sort());
      expect((await keysUnder(client, prefix)).filter((k) => k.startsWith(`${base}:`)).sort()).toEqual([`${base}:thread`, `${base}:lease`].sort());
    });
    // The run hash keeps the last lease's generation, so that a late take of an older run is refused.
    expect(await userKeys()).toEqual([...indexes, `${ubase}:by-status:idle`, `${ubase}:run`].sort());
    await manager.deleteConversation(c.threadId, { userId: user });
    expect(await keysUnder(client, prefix)).toEqual([]);
  });
});
