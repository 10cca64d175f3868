// How long each script of an operation on a big thread holds Redis: at 10,000 checkpoints (and at
// 100,000 conversations for the listings), the server time of every script the operation runs, read
// from SLOWLOG on a redis-server of this program's own (so the log holds only these calls, and the
// shared Redis is never reconfigured). Target: no script over about 10 ms.
//
//   npm run bench:scripts     (BENCH_QUICK=1: 2,000 checkpoints and 10,000 conversations)
import { uuid6 } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { ConversationManager, RedisSaver } from "../src/index.js";
import { internalsOf } from "../src/internal.js";
import { startOwnServer } from "../scripts/dev/own-server.js";
import { buildConversations, buildLongThread } from "./lib/fixtures.js";
import { median } from "./lib/stats.js";

const QUICK = process.env.BENCH_QUICK === "1";
const SIZE = QUICK ? 2_000 : 10_000;
const CONVERSATIONS = QUICK ? 10_000 : 100_000;

type SlowlogEntry = [number, number, number, Array<string | Buffer>];

async function main(): Promise<void> {
  const server = await startOwnServer({ persist: false });
  const client = new Redis(server.url);
  await client.config("SET", "slowlog-log-slower-than", "0");
  await client.config("SET", "slowlog-max-len", "1000000");
  const saver = new RedisSaver({ client, prefix: "bench" });
  const manager = new ConversationManager({ saver });
  const rows: string[] = [];

  /** Runs `op` and records the count, median and longest server time of the scripts it ran. */
  async function measure(name: string, op: () => Promise<unknown>): Promise<void> {
    await client.slowlog("RESET");
    await op();
    const log = (await client.slowlog("GET", 1_000_000)) as SlowlogEntry[];
    const times = log.filter((e) => /^(evalsha|eval|fcall)$/i.test(String(e[3][0]))).map((e) => e[2] / 1000);
    const line = `| ${name} | ${times.length} | ${median(times).toFixed(2)} ms | ${Math.max(...times).toFixed(2)} ms |`;
    rows.push(line);
    console.log(line);
  }

  try {
    console.log(`Redis ${(await client.info("server")).match(/redis_version:(\S+)/)?.[1]}, ${SIZE} checkpoints per thread, ${CONVERSATIONS} conversations\n`);
    console.log("| operation | scripts | median | longest |\n| --- | --- | --- | --- |");

    await buildLongThread(saver, "deleted", SIZE);
    await measure("`deleteThread`", () => saver.deleteThread("deleted"));

    await buildLongThread(saver, "pruned", SIZE);
    await measure("`prune` (`keepLast: 10`)", () => saver.prune(["pruned"], { keepLast: 10 }));

    const met = await buildLongThread(saver, "met", SIZE);
    const shallow = new RedisSaver({ client, prefix: "bench", shallow: true });
    const metTuple = (await shallow.getTuple(met))!;
    await measure("first `put` of a shallow saver on the thread", () => shallow.put(met, { ...metTuple.checkpoint, id: uuid6(-1) }, { source: "loop", step: SIZE, parents: {} }, {}));

    const { threadId } = await manager.createConversation({ userId: "u", metadata: { title: "big" } });
    const last = await buildLongThread(saver, threadId, SIZE);
    const ttlSaver = new RedisSaver({ client, prefix: "bench", ttl: { defaultTTL: 60 } });
    const tuple = (await ttlSaver.getTuple(last))!;
    await measure("first `put` of a saver with a TTL on the thread", () => ttlSaver.put(last, { ...tuple.checkpoint, id: uuid6(-1) }, { source: "loop", step: SIZE, parents: {} }, {}));
    await measure("`setConversationTTL` (pin)", () => new ConversationManager({ saver: ttlSaver }).setConversationTTL(threadId, "pinned", { userId: "u" }));
    await measure("`getTree`", () => manager.getTree(threadId, { userId: "u" }));
    await measure("inspector `stats`", () => internalsOf(saver)!.threads.stats(threadId));
    await measure("`list` with a filter that matches nothing", async () => {
      for await (const _ of saver.list({ configurable: { thread_id: threadId } }, { filter: { source: "nothing has this" } })) void _;
    });

    await buildConversations(manager, "many", CONVERSATIONS);
    await measure("`listConversations`, offset 1,000", () => manager.listConversations({ userId: "many", offset: 1000 }));
    await measure("`listConversations`, one tag", () => manager.listConversations({ userId: "many", tags: ["vip"] }));
    await measure("`listConversations`, two tags that never meet", () => manager.listConversations({ userId: "many", tags: ["billing", "refund"] }));
    await measure("`listConversations`, two tags and the agent", () => manager.listConversations({ userId: "many", tags: ["billing", "support"], agentId: "support" }));
    await measure("`listConversations`, status interrupted", () => manager.listConversations({ userId: "many", status: "interrupted" }));
    await measure("`listConversations`, status interrupted and customData plan pro", () => manager.listConversations({ userId: "many", status: "interrupted", customData: { plan: "pro" } }));
  } finally {
    await client.quit();
    await server.stop();
  }
}

await main();
