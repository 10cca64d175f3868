// listConversations p50 for one user with 100 and with 100,000 conversations: a page must cost
// the same whatever the user's history (target: the larger within 1.2x of the smaller). Each has
// two of five tags; a tenth wait on an interrupt (the status filter's inbox), a quarter are on the
// "pro" plan (customData): see bench/lib/fixtures.ts buildConversations.
//
//   npm run bench:listing        (REDIS_URL, else 127.0.0.1:6379; BENCH_LARGE to change 100,000)
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { ConversationManager, RedisSaver } from "../src/index.js";
import { buildConversations } from "./lib/fixtures.js";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SIZES = [100, Number(process.env.BENCH_LARGE ?? 100_000)];
const ROUNDS = 10;
const PER_ROUND = 200;

function p(samples: number[], q: number) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main() {
  const client = new Redis(url);
  const prefix = `lgbench-${randomBytes(4).toString("hex")}`;
  const saver = new RedisSaver({ client, prefix });
  const manager = new ConversationManager({ saver });
  const users: Record<number, { userId: string; some: string }> = {};
  for (const size of SIZES) {
    const userId = `user-${size}`;
    const t0 = performance.now();
    const ids = await buildConversations(manager, userId, size);
    users[size] = { userId, some: ids[0]! };
    console.log(`created ${size} conversations for ${userId} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  const ops: Record<string, (size: number) => Promise<unknown>> = {
    "listConversations (page of 20)": (size) => manager.listConversations({ userId: users[size]!.userId }),
    "listConversations (page 2, cursor)": async (size) => {
      const first = await manager.listConversations({ userId: users[size]!.userId, limit: 20 });
      return first;
    },
    "getConversation": (size) => manager.getConversation(users[size]!.some, { userId: users[size]!.userId }),
    "listConversations (tags billing+support)": (size) => manager.listConversations({ userId: users[size]!.userId, tags: ["billing", "support"] }),
    "listConversations (status interrupted)": (size) => manager.listConversations({ userId: users[size]!.userId, status: "interrupted" }),
    "listConversations (status idle)": (size) => manager.listConversations({ userId: users[size]!.userId, status: "idle" }),
    "listConversations (status interrupted + plan pro)": (size) => manager.listConversations({ userId: users[size]!.userId, status: "interrupted", customData: { plan: "pro" } }),
    "listConversations (sortBy createdAt)": (size) => manager.listConversations({ userId: users[size]!.userId, sortBy: "createdAt" }),
  };
  // The cursor op measures only the second page.
  const cursors: Record<number, string> = {};
  for (const size of SIZES) cursors[size] = (await manager.listConversations({ userId: users[size]!.userId })).nextCursor!;
  ops["listConversations (page 2, cursor)"] = (size) => manager.listConversations({ userId: users[size]!.userId, cursor: cursors[size]! });

  const samples: Record<string, number[]> = {};
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, op] of Object.entries(ops)) {
      for (const size of SIZES) {
        // Totals of two filters count an intersection, which is not bounded by the page size:
        // sample them less at the large size.
        const n = (name.includes("tags") || name.includes("+")) && size > 1000 ? 10 : PER_ROUND;
        const key = `${name} @ ${size}`;
        samples[key] ??= [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          await op(size);
          if (round > 0) samples[key].push((performance.now() - t0) * 1000);
        }
      }
    }
  }

  const rows = [];
  for (const name of Object.keys(ops)) {
    const small = samples[`${name} @ ${SIZES[0]}`]!;
    const large = samples[`${name} @ ${SIZES[1]}`]!;
    rows.push({
      operation: name,
      [`p50 µs @ ${SIZES[0]}`]: Math.round(p(small, 0.5)),
      [`p99 µs @ ${SIZES[0]}`]: Math.round(p(small, 0.99)),
      [`p50 µs @ ${SIZES[1]}`]: Math.round(p(large, 0.5)),
      [`p99 µs @ ${SIZES[1]}`]: Math.round(p(large, 0.99)),
      "large / small": (p(large, 0.5) / p(small, 0.5)).toFixed(2),
    });
  }
  console.log(`Redis ${url}, ${ROUNDS} interleaved rounds, sequential calls`);
  console.table(rows);
  const ratio = p(samples[`listConversations (page of 20) @ ${SIZES[1]}`]!, 0.5) / p(samples[`listConversations (page of 20) @ ${SIZES[0]}`]!, 0.5);
  console.log(`listing page p50 at ${SIZES[1]} / at ${SIZES[0]}: ${ratio.toFixed(2)}x (target <= 1.20x): ${ratio <= 1.2 ? "pass" : "falls short"}`);

  // Clean up: every conversation of both users.
  for (const size of SIZES) {
    for (;;) {
      const page = await manager.listConversations({ userId: users[size]!.userId, limit: 100 });
      if (page.conversations.length === 0) break;
      await Promise.all(page.conversations.map((c) => manager.deleteConversation(c.threadId, { userId: users[size]!.userId })));
    }
  }
  await client.quit();
}

await main();
