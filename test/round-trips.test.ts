// Round trips per operation, counted as the server sees them: MONITOR on a second connection
// records what one client sends. (Single node only: on a Cluster the same commands go to the node
// that owns each slot.)
import type { RunnableConfig } from "@langchain/core/runnables";
import { Redis } from "ioredis";
import { ConversationManager, RedisSaver } from "../src/index.js";
import { recordCommands } from "./helpers/monitor.js";
import { redisUrl, testSaver } from "./helpers/redis.js";
import { checkpointWith, collect, meta } from "./helpers/fixtures.js";

const newClient = () => new Redis(redisUrl());


describe("round trips", () => {
  const ctx = testSaver();
  const { prefix } = ctx;
  afterAll(async () => {
    await ctx.cleanup();
  });

    it("sends one script per operation; the first put of a thread also enters it in the thread index", async () => {
      const observed = newClient();
      const probe = new RedisSaver({ client: observed, prefix });
      const { sent, stop } = await recordCommands(observed);
      const checkpoint = checkpointWith({ a: 1 });
      let config: RunnableConfig = { configurable: { thread_id: "rt" } };
      await probe.put(config, checkpointWith({}), meta(), {}); // the first call on a socket sends EVAL; later ones EVALSHA
      await probe.getTuple(config);
      await collect(probe.list(config, { limit: 10 }));
      await probe.putWrites({ configurable: { thread_id: "rt", checkpoint_id: "x" } }, [["a", 1]], "t");
      await probe.deleteThread("rt-warm-up");

      expect(await sent(async () => (config = await probe.put(config, checkpoint, meta(), { a: 1 })))).toEqual(["evalsha"]);
      expect(await sent(() => probe.put({ configurable: { thread_id: "rt-new" } }, checkpointWith({ a: 1 }), meta(), { a: 1 }))).toEqual(["evalsha", "zadd"]);
      expect(await sent(() => probe.putWrites(config, [["a", 2], ["b", 3]], "task"))).toEqual(["evalsha"]);
      expect(await sent(() => probe.getTuple(config))).toEqual(["evalsha"]);
      expect(await sent(() => probe.getTuple({ configurable: { thread_id: "rt" } }))).toEqual(["evalsha"]);
      expect(await sent(() => collect(probe.list({ configurable: { thread_id: "rt" } }, { limit: 10 })))).toEqual(["evalsha"]);
      expect(await sent(() => probe.deleteThread("rt"))).toEqual(["evalsha", "zrem"]);
      await stop();
      await observed.quit();
    });

    it("getConversation and a listing page (tag filters included) are one script call each", async () => {
      const observed = newClient();
      const m = new ConversationManager({ saver: new RedisSaver({ client: observed, prefix }) });
      const c = await m.createConversation({ userId: "rt", metadata: { tags: ["a", "b"] } });
      await m.getConversation(c.threadId, { userId: "rt" });
      await m.listConversations({ userId: "rt" });
      await m.getMessages(c.threadId, { userId: "rt" });
      const { sent, stop } = await recordCommands(observed);
      expect(await sent(() => m.getConversation(c.threadId, { userId: "rt" }))).toEqual(["evalsha"]);
      expect(await sent(() => m.listConversations({ userId: "rt" }))).toEqual(["evalsha"]);
      expect(await sent(() => m.listConversations({ userId: "rt", tags: ["a", "b"], agentId: "x" }))).toEqual(["evalsha"]);
      expect(await sent(() => m.getMessages(c.threadId, { userId: "rt" }))).toEqual(["evalsha"]);
      await stop();
      await observed.quit();
    });
});
