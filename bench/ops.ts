// Latency of each saver operation next to the one-round-trip floor, through one ioredis client.
//
//   npm run bench:ops            (REDIS_URL, else 127.0.0.1:6379)
//
// Floors: PING (a bare round trip); read floor = GET of the same bytes a getTuple returns plus
// deserialising them with the same serde; write floor = serialising a checkpoint plus one SET.
// Operations are interleaved round by round so that drift on the machine hits all of them alike.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { RedisSaver } from "../src/index.js";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 200);

function conversation(turns: number) {
  const messages = [];
  for (let i = 0; i < turns; i++) {
    messages.push(new HumanMessage({ content: `question ${i}: how do I reset my password on the billing portal?`, id: `h${i}` }));
    messages.push(new AIMessage({ content: `answer ${i}: open Settings, then Security, then choose Reset password.`, id: `a${i}` }));
  }
  return messages;
}

function checkpointFor(step: number, messages: unknown[], versions: Record<string, number>): Checkpoint {
  return {
    ...emptyCheckpoint(),
    id: uuid6(-1),
    channel_values: { messages, __start__: undefined, "branch:to:agent": null },
    channel_versions: versions,
    versions_seen: { agent: { messages: step }, __input__: {} },
  };
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), n: s.length };
}

async function main() {
  const client = new Redis(url);
  const prefix = `lgbench-${randomBytes(4).toString("hex")}`;
  const saver = new RedisSaver({ client, prefix });
  const serde = saver.serde;
  const messages = conversation(5); // a 10-message conversation
  const meta = { source: "loop", step: 1, parents: {} } as CheckpointMetadata;

  // A thread with a few checkpoints to read from.
  let config = { configurable: { thread_id: "bench-thread", checkpoint_ns: "" } } as { configurable: Record<string, unknown> };
  let version = 1;
  for (let i = 0; i < 20; i++) {
    version = saver.getNextVersion(version);
    config = (await saver.put(config, checkpointFor(i, messages, { messages: version, __start__: 1, "branch:to:agent": 1 }), meta, { messages: version, __start__: 1, "branch:to:agent": 1 })) as typeof config;
    await saver.putWrites(config, [["messages", [new AIMessage("pending")]]], `task-${i}`);
  }
  const latestConfig = { configurable: { thread_id: "bench-thread", checkpoint_ns: "" } };
  // putWrites goes to a checkpoint of its own, so that the reads above keep a fixed size.
  const writesConfig = await saver.put({ configurable: { thread_id: "bench-writes" } }, checkpointFor(0, [], {}), meta, {});
  const byIdConfig = config;

  // Floors use the same bytes the saver moves.
  const tuple = (await saver.getTuple(byIdConfig))!;
  const [, floorBytes] = await serde.dumpsTyped(tuple.checkpoint);
  const floorKey = `${prefix}:floor`;
  await client.set(floorKey, Buffer.from(floorBytes));

  let n = 0;
  const ops: Record<string, () => Promise<unknown>> = {
    ping: () => client.ping(),
    "read floor (GET+loads)": async () => serde.loadsTyped("json", new Uint8Array(await client.getBuffer(floorKey) as Buffer)),
    "write floor (dumps+SET)": async () => client.set(`${floorKey}:w`, Buffer.from((await serde.dumpsTyped(tuple.checkpoint))[1])),
    "getTuple (latest)": () => saver.getTuple(latestConfig),
    "getTuple (by id)": () => saver.getTuple(byIdConfig),
    put: async () => {
      const v = saver.getNextVersion(version);
      const threadConfig = { configurable: { thread_id: `bench-put-${n++ % 50}`, checkpoint_ns: "" } };
      return saver.put(threadConfig, checkpointFor(1, messages, { messages: v, __start__: 1, "branch:to:agent": 1 }), meta, { messages: v });
    },
    putWrites: () => saver.putWrites(writesConfig, [["messages", [new AIMessage("a reply")]], ["branch:to:agent", null]], `w-${n++}`),
    "list (limit 10)": async () => {
      for await (const _ of saver.list(latestConfig, { limit: 10 })) void _;
    },
  };

  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const [name, op] of Object.entries(ops)) {
      for (let i = 0; i < PER_ROUND; i++) {
        const t0 = performance.now();
        await op();
        if (round > 0) samples[name]!.push((performance.now() - t0) * 1000); // round 0 warms up
      }
    }
  }

  const ping = stats(samples.ping!).p50;
  const rows = Object.entries(samples).map(([name, s]) => {
    const { p50, p99, n: count } = stats(s);
    return { operation: name, "p50 µs": Math.round(p50), "p99 µs": Math.round(p99), "p50 / PING": (p50 / ping).toFixed(2), samples: count };
  });
  console.log(`Redis ${url}, ${ROUNDS} interleaved rounds x ${PER_ROUND} calls, sequential (concurrency 1)`);
  console.table(rows);
  const readFloor = stats(samples["read floor (GET+loads)"]!).p50;
  const writeFloor = stats(samples["write floor (dumps+SET)"]!).p50;
  console.log(`getTuple (by id) / read floor: ${(stats(samples["getTuple (by id)"]!).p50 / readFloor).toFixed(2)}x`);
  console.log(`put / write floor: ${(stats(samples.put!).p50 / writeFloor).toFixed(2)}x`);
  console.log(`checkpoint bytes: ${floorBytes.byteLength}`);

  for (let i = 0; i < 50; i++) await saver.deleteThread(`bench-put-${i}`);
  await saver.deleteThread("bench-thread");
  await saver.deleteThread("bench-writes");
  await client.del(floorKey, `${floorKey}:w`);
  await client.quit();
}

await main();
