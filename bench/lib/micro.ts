// The micro workload: each checkpoint operation on a realistic checkpoint (10 messages), and the
// one-round-trip floor to hold it against. Shared by bench/ops.ts and bench/compare.ts.
import { performance } from "node:perf_hooks";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, type BaseCheckpointSaver, type Checkpoint } from "@langchain/langgraph-checkpoint";
import type { Redis } from "ioredis";
import type { RedisClient, RedisSaver } from "../../src/index.js";
import { chatGraph, chatTurn } from "../memory.js";
import { loadJson } from "../../src/threads/json-load.js";
import { chatCheckpoint, conversation, loopMetadata } from "./fixtures.js";

export const MICRO_OPS = ["put", "putWrites", "getTuple (latest)", "getTuple (by id)", "list (limit 10)"] as const;
export type MicroOp = (typeof MICRO_OPS)[number];
export const FLOOR_OPS = ["PING", "read floor (GET + deserialise)", "read floor, this saver's JSON reader", "write floor (serialise + SET)"] as const;

/**
 * Prepares a saver for the micro workload and returns one function per operation. Checkpoints for
 * `put` are built before the clock starts (LangGraph builds them whatever the saver), `maxPuts` of
 * them, each with a new id as LangGraph's would.
 */
export async function microOps(saver: BaseCheckpointSaver, maxPuts: number): Promise<Record<MicroOp, (i: number) => Promise<unknown>>> {
  const messages = conversation(5);
  let config: RunnableConfig = { configurable: { thread_id: "micro-read", checkpoint_ns: "" } };
  let version = saver.getNextVersion(undefined);
  for (let i = 0; i < 20; i++) {
    version = saver.getNextVersion(version);
    config = await saver.put(config, chatCheckpoint(messages, { messages: version, "branch:to:agent": 1 }), loopMetadata(i), { messages: version, "branch:to:agent": 1 });
    await saver.putWrites(config, [["messages", [new AIMessage("pending")]]], `task-${i}`);
  }
  const byId = config;
  const latest = { configurable: { thread_id: "micro-read", checkpoint_ns: "" } };
  const writesTo = await saver.put({ configurable: { thread_id: "micro-writes", checkpoint_ns: "" } }, chatCheckpoint([], {}), loopMetadata(0), {});
  const pool: Array<{ checkpoint: Checkpoint; version: number }> = [];
  for (let i = 0; i < maxPuts; i++) {
    const v = saver.getNextVersion(version);
    pool.push({ checkpoint: chatCheckpoint(messages, { messages: v, "branch:to:agent": 1 }), version: v });
  }
  const heads = new Map<number, RunnableConfig>();
  let puts = 0;
  let writes = 0;
  return {
    put: async (i) => {
      const slot = i % 64;
      const { checkpoint, version: v } = pool[puts++ % pool.length]!;
      const head = heads.get(slot);
      const parent = head ?? { configurable: { thread_id: `micro-put-${slot}`, checkpoint_ns: "" } };
      // As in a graph run: a thread's first checkpoint stores every channel's first version.
      heads.set(slot, await saver.put(parent, checkpoint, loopMetadata(i), head ? { messages: v } : { messages: v, "branch:to:agent": 1 }));
    },
    putWrites: () => saver.putWrites(writesTo, [["messages", [new AIMessage("a reply")]], ["branch:to:agent", null]], `w-${writes++}`),
    "getTuple (latest)": () => saver.getTuple(latest),
    "getTuple (by id)": () => saver.getTuple(byId),
    "list (limit 10)": async () => {
      for await (const _ of saver.list(latest, { limit: 10 })) void _;
    },
  };
}

/**
 * The floor through the same client and serde: PING; one GET of the bytes a getTuple returns (the
 * whole tuple: checkpoint, metadata, pending writes) plus deserialising them; serialising what a
 * put receives (checkpoint and metadata) plus one SET.
 */
export async function floorOps(client: RedisClient, saver: RedisSaver): Promise<{ ops: Record<(typeof FLOOR_OPS)[number], () => Promise<unknown>>; bytes: number; cleanup: () => Promise<void> }> {
  const tuple = (await saver.getTuple({ configurable: { thread_id: "micro-read", checkpoint_ns: "" } }))!;
  const [, bytes] = await saver.serde.dumpsTyped({ checkpoint: tuple.checkpoint, metadata: tuple.metadata, pendingWrites: tuple.pendingWrites });
  const key = `${saver.prefix}:floor`;
  await client.set(key, Buffer.from(bytes));
  const written = { checkpoint: tuple.checkpoint, metadata: tuple.metadata };
  return {
    bytes: bytes.byteLength,
    ops: {
      PING: () => client.ping(),
      "read floor (GET + deserialise)": async () => saver.serde.loadsTyped("json", new Uint8Array((await client.getBuffer(key))!)),
      // The same GET, deserialised as this saver reads LangGraph's JSON (src/threads/json-load.ts,
      // same values, about a tenth of the serde's time): what the saver adds besides deserialising.
      "read floor, this saver's JSON reader": async () => loadJson((await client.getBuffer(key))!)!.value,
      "write floor (serialise + SET)": async () => client.set(`${key}:w`, Buffer.from((await saver.serde.dumpsTyped(written))[1])),
    },
    cleanup: async () => {
      await client.del(key, `${key}:w`);
    },
  };
}

export const MICRO_THREADS = ["micro-read", "micro-writes", ...Array.from({ length: 64 }, (_, i) => `micro-put-${i}`)];

/** The rows of issueFixtureOps: this saver's put and getTuple and their floors, on the issue's checkpoint. */
export const ISSUE_OPS = ["put (issue fixture)", "put (issue fixture, new message objects every put)", "getTuple (issue fixture)", "write floor (issue fixture)", "read floor (issue fixture)"] as const;

const ISSUE_QUESTION = "I ordered the blue model last week and the package arrived with a cracked screen; what should I do?";
const ISSUE_ANSWER = "I'm sorry to hear that. Please open Orders, choose the blue model, then Report a problem and attach a photo of the screen; a replacement ships within two business days.";

/** The issue's checkpoint: 10 messages, 5 human of about 100 characters and 5 AI of about 190. */
function issueConversation(): BaseMessage[] {
  return Array.from({ length: 5 }, (_, i) => [new HumanMessage({ content: `${i}: ${ISSUE_QUESTION}`, id: `h${i}` }), new AIMessage({ content: `${i}: ${ISSUE_ANSWER}`, id: `a${i}` })]).flat();
}

/**
 * The workload of the issue that set the floor targets ("Hot path at the floor"), beside the micro
 * fixture above: a checkpoint of 10 messages (5 human of about 100 characters, 5 AI of about 190),
 * each put writing a new version of `messages`, against serialising the same checkpoint and one
 * `SET`; getTuple of it against one `GET` of its tuple's bytes and deserialising them. `put` reuses
 * the message objects, as a graph's steps do; the second put row builds new ones for every put (a
 * caller that rebuilds its state, or a new process that did not read the thread first), so that
 * every message is serialised again, as the floor serialises them. 16 threads, `maxPuts` puts
 * prepared before the clock starts for each put row.
 */
export async function issueFixtureOps(client: RedisClient, saver: RedisSaver, maxPuts: number): Promise<{ ops: Record<(typeof ISSUE_OPS)[number], (i: number) => Promise<unknown>>; threads: string[]; cleanup: () => Promise<void> }> {
  const same = issueConversation();
  const threads = Array.from({ length: 16 }, (_, i) => `micro-issue-${i}`);
  const first = saver.getNextVersion(undefined);
  const heads = await Promise.all(threads.map((t) => saver.put({ configurable: { thread_id: t, checkpoint_ns: "" } }, chatCheckpoint(same, { messages: first, "branch:to:agent": 1 }), loopMetadata(0), { messages: first, "branch:to:agent": 1 })));
  let version = first;
  const prepare = (fresh: boolean) =>
    Array.from({ length: maxPuts }, () => {
      version = saver.getNextVersion(version);
      return { checkpoint: chatCheckpoint(fresh ? issueConversation() : same, { messages: version, "branch:to:agent": 1 }), version };
    });
  const pools = { same: prepare(false), fresh: prepare(true) };
  const put = (pool: typeof pools.same) => {
    let call = 0;
    return async (i: number) => {
      const slot = call % threads.length;
      const { checkpoint, version: v } = pool[call++ % pool.length]!;
      heads[slot] = await saver.put(heads[slot]!, checkpoint, loopMetadata(i), { messages: v });
    };
  };
  const read = heads[0]!;
  const tuple = (await saver.getTuple(read))!;
  const key = `${saver.prefix}:issue-floor`;
  await client.set(key, Buffer.from((await saver.serde.dumpsTyped({ checkpoint: tuple.checkpoint, metadata: tuple.metadata, pendingWrites: tuple.pendingWrites }))[1]));
  const written = { checkpoint: pools.fresh[0]!.checkpoint, metadata: loopMetadata(0) };
  return {
    threads,
    ops: {
      "put (issue fixture)": put(pools.same),
      "put (issue fixture, new message objects every put)": put(pools.fresh),
      "getTuple (issue fixture)": () => saver.getTuple(read),
      "write floor (issue fixture)": async () => client.set(`${key}:w`, Buffer.from((await saver.serde.dumpsTyped(written))[1])),
      "read floor (issue fixture)": async () => saver.serde.loadsTyped("json", new Uint8Array((await client.getBuffer(key))!)),
    },
    cleanup: async () => {
      await client.del(key, `${key}:w`);
    },
  };
}

/**
 * `put` in a conversation of `turns` turns, as a chat graph makes it: every put stores a new
 * version of `messages` that adds one new message object to the last version's list (the same
 * objects, as LangGraph's messagesStateReducer keeps them). Each call continues one of 16
 * threads that start at `turns` turns; every ninth put of a thread goes back to its first
 * `turns` messages (a list that is not an extension, as a RemoveMessage makes), so the size stays
 * close to `turns`. The checkpoints of the first `calls` calls are built before the clock starts,
 * as microOps builds its own: the saver's work is measured, not the fixture's.
 */
export async function conversationPuts(saver: BaseCheckpointSaver, turns: number, tag: string, calls: number): Promise<{ op: () => Promise<unknown>; threads: string[] }> {
  const threads = Array.from({ length: 16 }, (_, i) => `micro-conv-${tag}-${i}`);
  const state = await Promise.all(
    threads.map(async (threadId) => {
      const first = conversation(turns);
      const version = saver.getNextVersion(undefined);
      const config = await saver.put({ configurable: { thread_id: threadId, checkpoint_ns: "" } }, chatCheckpoint(first, { messages: version, "branch:to:agent": 1 }), loopMetadata(0), { messages: version, "branch:to:agent": 1 });
      return { config, first, messages: first, version, added: 0 };
    }),
  );
  const next = (call: number) => {
    const s = state[call % state.length]!;
    if (s.added >= 8) {
      s.messages = s.first;
      s.added = 0;
    }
    s.messages = [...s.messages, new AIMessage(`note ${call}: the replacement ships within two business days once the report is reviewed.`)];
    s.added++;
    s.version = saver.getNextVersion(s.version);
    return { s, checkpoint: chatCheckpoint(s.messages, { messages: s.version, "branch:to:agent": 1 }), version: s.version };
  };
  const prepared = Array.from({ length: calls }, (_, call) => next(call));
  let call = 0;
  return {
    threads,
    op: async () => {
      const { s, checkpoint, version } = call < prepared.length ? prepared[call]! : next(call);
      s.config = await saver.put(s.config, checkpoint, loopMetadata(call++), { messages: version });
    },
  };
}

/**
 * `put` as LangGraph calls it in the chat graph of bench/memory.ts (a question of about 100
 * characters, an answer of about 450, three checkpoints a turn), on `threads` threads that start
 * at `turns` turns: each call of `turn` runs one turn of the next thread, whole (getTuple, puts,
 * putWrites, the graph's own work), and returns the latency of each put of it in µs. Unlike
 * conversationPuts, the lists are the ones LangGraph builds from what getTuple read, so this
 * measures what a graph run pays. Threads grow by one turn per call of theirs.
 */
export async function chatGraphPuts(saver: BaseCheckpointSaver, turns: number, tag: string, threads = 32): Promise<{ turn: () => Promise<number[]>; threads: string[] }> {
  const ids = Array.from({ length: threads }, (_, i) => `graph-${tag}-${i}`);
  let latencies: number[] = [];
  // The graph's checkpointer: the saver, with its put timed.
  const timed = new Proxy(saver, {
    get(target, key) {
      if (key === "put") {
        return async (...args: Parameters<BaseCheckpointSaver["put"]>) => {
          const t0 = performance.now();
          const config = await target.put(...args);
          latencies.push((performance.now() - t0) * 1000);
          return config;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const graph = chatGraph(timed);
  const ask = (threadId: string, i: number) => graph.invoke({ messages: [new HumanMessage(chatTurn(i).question)] }, { configurable: { thread_id: threadId } });
  for (const id of ids) for (let i = 0; i < turns; i++) await ask(id, i);
  let call = 0;
  return {
    threads: ids,
    turn: async () => {
      latencies = [];
      const id = ids[call % ids.length]!;
      await ask(id, turns + Math.floor(call / ids.length));
      call++;
      return latencies;
    },
  };
}

/**
 * The end-to-end floor of any Redis saver: MemorySaver plus one PING through the same client per
 * checkpoint call, i.e. one round trip and nothing else per operation. Shared by bench/compare.ts
 * and bench/pipelining.ts.
 */
export class RoundTripFloor extends MemorySaver {
  constructor(private readonly redis: RedisClient) {
    super();
  }
  override async getTuple(config: RunnableConfig) {
    await this.redis.ping();
    return super.getTuple(config);
  }
  override async put(...args: Parameters<MemorySaver["put"]>) {
    await this.redis.ping();
    return super.put(...args);
  }
  override async putWrites(...args: Parameters<MemorySaver["putWrites"]>) {
    await this.redis.ping();
    return super.putWrites(...args);
  }
}

/** A bench-only Redis function that keeps the server busy for a number of loop iterations. */
const BUSY_LIBRARY = "#!lua name=lgbench_busy\nredis.register_function{function_name='lgbench_busy', callback=function(keys, args) local x = 0 for i = 1, tonumber(args[1]) do x = x + i end return 0 end, flags={'no-writes', 'allow-oom'}}";

/** `FCALL` calls and their server time in µs so far (INFO commandstats), for deltas. */
export async function fcallStats(client: RedisClient): Promise<{ calls: number; usec: number }> {
  const match = /cmdstat_fcall:calls=(\d+),usec=(\d+)/.exec(await (client as Redis).info("commandstats"));
  return match ? { calls: Number(match[1]), usec: Number(match[2]) } : { calls: 0, usec: 0 };
}

/**
 * The one-PING floor with each PING replaced by a call that keeps Redis busy, so that a turn
 * costs the server as much as this saver's scripts did in a turn (`setServerTime`, measured in
 * the same run): end-to-end turns as they would be if the saver's client-side work cost no more
 * than the floor's. What separates it from the one-PING floor is what the scripts' server time
 * costs the graph on this machine (on two cores shared with the graph, Redis runs the script
 * largely on the graph's core); what separates this saver from it is its client-side work. Call
 * `load` first and `unload` after.
 */
export class ServerTimeFloor extends MemorySaver {
  #iterations = 0;
  #perUs = 0;
  /** Checkpoint calls made so far (one busy call each). */
  calls = 0;
  constructor(private readonly redis: RedisClient) {
    super();
  }
  /** Loads the busy function and measures how many of its iterations take a µs of server time. */
  async load(): Promise<void> {
    await (this.redis as Redis).call("FUNCTION", "LOAD", "REPLACE", BUSY_LIBRARY);
    const before = await fcallStats(this.redis);
    for (let i = 0; i < 200; i++) await (this.redis as Redis).call("FCALL", "lgbench_busy", "0", "20000");
    const after = await fcallStats(this.redis);
    this.#perUs = (20000 * (after.calls - before.calls)) / Math.max(1, after.usec - before.usec);
  }
  async unload(): Promise<void> {
    await (this.redis as Redis).call("FUNCTION", "DELETE", "lgbench_busy").catch(() => undefined);
  }
  /** From now on, each call keeps Redis busy `usPerTurn / callsPerTurn` µs. */
  setServerTime(usPerTurn: number, callsPerTurn: number): void {
    this.#iterations = Math.max(0, Math.round((usPerTurn / callsPerTurn) * this.#perUs));
  }
  #busy(): Promise<unknown> {
    this.calls++;
    return (this.redis as Redis).call("FCALL", "lgbench_busy", "0", String(this.#iterations));
  }
  override async getTuple(config: RunnableConfig) {
    await this.#busy();
    return super.getTuple(config);
  }
  override async put(...args: Parameters<MemorySaver["put"]>) {
    await this.#busy();
    return super.put(...args);
  }
  override async putWrites(...args: Parameters<MemorySaver["putWrites"]>) {
    await this.#busy();
    return super.putWrites(...args);
  }
}
