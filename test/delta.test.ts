// DeltaChannel threads (LangGraph 1.4), end to end on real Redis (one node and a Cluster): the
// messages channel is absent from most checkpoints and rebuilt from an ancestor's seed plus the
// writes after it. Every feature that reads, copies or removes checkpoints must see the whole state.
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { Command, DeltaValue, END, MessagesDeltaValue, Overwrite, START, StateGraph, StateSchema, interrupt, messagesDeltaReducer } from "@langchain/langgraph";
import { z } from "zod";
import { BaseCheckpointSaver, DeltaSnapshot, MemorySaver, emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { ConversationManager, RedisSaver, StorageError } from "../src/index.js";
import { collect } from "./helpers/fixtures.js";
import { approvalGraph, chatGraph, contents, echo, type ChatOptions } from "./helpers/graphs.js";
import { keysOf, keysUnder, redisPerTest } from "./helpers/redis.js";
import { luaScripts } from "../src/lua/generated.js";

const human = (text: string) => ({ messages: [new HumanMessage(text)] });
const threadOf = (threadId: string): RunnableConfig => ({ configurable: { thread_id: threadId } });

/** The messages LangGraph shows for a checkpoint (or the head). */
async function stateMessages(saver: BaseCheckpointSaver, config: RunnableConfig, options: ChatOptions = {}): Promise<string[]> {
  const state = await chatGraph(saver, options).getState(config);
  return contents((state.values as { messages?: BaseMessage[] }).messages ?? []);
}

/** Turns of the chat graph: human i, then the model's echo. */
async function turns(graph: ReturnType<typeof chatGraph>, config: RunnableConfig, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await graph.invoke(human(`q${i}`), config);
}

describe("DeltaChannel threads", () => {
  const redis = redisPerTest("delta");
  let saver: RedisSaver;
  let manager: ConversationManager;

  beforeEach(() => {
    saver = new RedisSaver({ client: redis.client, prefix: redis.prefix });
    manager = new ConversationManager({ saver });
  });

  /** Another process: its own connection, its own (cold) history cache. */
  const otherSaver = redis.otherSaver;

  it("keeps only writes at most checkpoints, and getState rebuilds every message, also from another process", async () => {
    const graph = chatGraph(saver);
    const config = threadOf("t1");
    await turns(graph, config, 0, 6);
    const tuples = await collect(saver.list(config));
    // The messages channel is stored at no checkpoint: it lives in the writes.
    expect(tuples.filter((t) => "messages" in t.checkpoint.channel_values)).toEqual([]);
    const expected = Array.from({ length: 6 }, (_, i) => [`human:q${i}`, `ai:echo q${i} (#${2 * i + 1})`]).flat();
    expect(await stateMessages(saver, config)).toEqual(expected);
    const cold = otherSaver();
    expect(await stateMessages(cold, config)).toEqual(expected);
    const after = await chatGraph(cold).invoke(human("again"), config);
    expect(contents(after.messages).slice(-2)).toEqual(["human:again", "ai:echo again (#13)"]);
    expect(await stateMessages(saver, config)).toEqual([...expected, "human:again", "ai:echo again (#13)"]);
  });

  it("answers getDeltaChannelHistory exactly as BaseCheckpointSaver's walk does, at every checkpoint of a branched thread", async () => {
    const graph = chatGraph(saver);
    const config = threadOf("parity");
    await turns(graph, config, 0, 4);
    const history = await collect(saver.list(config));
    const older = history.find((t) => t.metadata?.step === 4)!;
    await graph.invoke(human("branch"), older.config);
    await graph.updateState(history.find((t) => t.metadata?.step === 2)!.config, human("edited"));
    const cold = otherSaver();
    const base = (c: RunnableConfig) => BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(cold, { config: c, channels: ["messages", "absent"] });
    for (const tuple of await collect(saver.list(config))) {
      const expected = await base(tuple.config);
      expect(await saver.getDeltaChannelHistory({ config: tuple.config, channels: ["messages", "absent"] })).toEqual(expected);
      expect(await cold.getDeltaChannelHistory({ config: tuple.config, channels: ["messages", "absent"] })).toEqual(expected);
    }
    expect(await saver.getDeltaChannelHistory({ config: threadOf("no-such-thread"), channels: ["messages"] })).toEqual({ messages: { writes: [] } });
    expect(await saver.getDeltaChannelHistory({ config, channels: [] })).toEqual({});
  });

  it("walks channels whose names JSON escapes or keys separate, and seeds stored without a version, as the base walk does", async () => {
    const channels = ['say "hi"', "a/b\\c", "x:y{z}%", "émoji 🙂", "plain"];
    let config: RunnableConfig = threadOf("names");
    const put = async (values: Record<string, unknown>, versioned: string[]) => {
      const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: Object.fromEntries(versioned.map((c) => [c, saver.getNextVersion(undefined)])) };
      config = await saver.put(config, checkpoint, { source: "loop", step: 0, parents: {} }, checkpoint.channel_versions);
    };
    await put({ [channels[0]!]: new DeltaSnapshot(["s0"]), [channels[1]!]: ["s1"] }, [channels[0]!, channels[1]!]);
    await saver.putWrites(config, channels.map((c, i) => [c, [`w${i}`]]), "task-b");
    await put({ [channels[2]!]: ["loose seed"] }, []); // a value without a version
    await saver.putWrites(config, channels.map((c, i) => [c, [`v${i}`]]), "task-a");
    await saver.putWrites(config, [[channels[3]!, ["second task"]]], "task-0");
    await put({}, []);
    const expected = await BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(otherSaver(), { config, channels });
    expect(expected[channels[2]!]!.seed).toEqual(["loose seed"]);
    expect(await otherSaver().getDeltaChannelHistory({ config, channels })).toEqual(expected);
    expect(await saver.getDeltaChannelHistory({ config, channels })).toEqual(expected);
  });

  it("getStateHistory shows every checkpoint's messages as with MemorySaver", async () => {
    const config = threadOf("history");
    const memory = new MemorySaver();
    for (const s of [saver, memory]) await turns(chatGraph(s), config, 0, 8);
    const states = async (s: BaseCheckpointSaver) => {
      const out: string[][] = [];
      for await (const state of chatGraph(s).getStateHistory(config)) out.push(contents((state.values as { messages?: BaseMessage[] }).messages ?? []));
      return out;
    };
    const expected = await states(memory);
    expect(expected).toHaveLength(24);
    expect(await states(otherSaver())).toEqual(expected);
    expect(await states(saver)).toEqual(expected);
  });

  it("interrupt and Command({ resume }) from a new connection", async () => {
    const config = threadOf("hitl");
    await approvalGraph(saver).invoke(human("refund please"), config);
    const resumed = approvalGraph(otherSaver());
    const waiting = await resumed.getState(config);
    expect(waiting.tasks[0]?.interrupts[0]?.value).toEqual({ question: "send it?" });
    expect(contents(waiting.values.messages)).toEqual(["human:refund please", "ai:echo refund please (#1)"]);
    const done = await resumed.invoke(new Command({ resume: "yes" }), config);
    expect(contents(done.messages)).toEqual(["human:refund please", "ai:echo refund please (#1)", "ai:approved: yes"]);
  });

  it("time travel starts a branch; listBranches, getMessages and getTree see both branches as LangGraph does", async () => {
    const c = await manager.createConversation({ userId: "u" });
    const graph = chatGraph(saver);
    const config = threadOf(c.threadId);
    await turns(graph, config, 0, 3);
    const firstTurn = (await collect(saver.list(config))).find((t) => t.metadata?.step === 1)!;
    await graph.invoke(human("instead"), firstTurn.config);

    const branches = await manager.listBranches(c.threadId, { userId: "u" });
    expect(branches).toHaveLength(2);
    for (const branch of branches) {
      const tip = { configurable: { thread_id: c.threadId, checkpoint_id: branch.checkpointId } };
      const shown = await stateMessages(saver, tip);
      expect(branch.messageCount).toBe(shown.length);
      expect(contents(await manager.getMessages(c.threadId, { userId: "u", checkpointId: branch.checkpointId }))).toEqual(shown);
    }
    expect(branches.find((b) => b.active)!.messageCount).toBe(4);
    expect(branches.find((b) => !b.active)!.messageCount).toBe(6);

    const tree = await manager.getTree(c.threadId, { userId: "u" });
    expect(tree.nodes.map((n) => n.message.content)).toEqual(expect.arrayContaining(["q0", "q1", "q2", "instead", "echo instead (#3)"]));
    // The first turn is shared: 2 messages, then 4 on one branch and 2 on the other.
    expect(tree.nodes).toHaveLength(8);
    const current = tree.nodes.find((n) => n.node_id === tree.current_node_id)!;
    expect(current.message.content).toBe("echo instead (#3)");
    // Read two checkpoints per call (a long thread's tree is read in short calls): the same tree.
    const stepped = new ConversationManager({ saver: otherSaver({}, { step: 2 }) });
    expect(await stepped.getTree(c.threadId, { userId: "u" })).toEqual(tree);
  });

  it("updateState on the head and on an older checkpoint: every reader agrees with MemorySaver, whatever it had cached", async () => {
    const config = threadOf("update");
    const ours = chatGraph(saver);
    const memory = new MemorySaver();
    const reference = chatGraph(memory);
    for (const g of [ours, reference]) {
      await turns(g, config, 0, 3);
      await g.updateState(config, human("added on the head"));
    }
    const cached = otherSaver();
    const head = await stateMessages(cached, config); // this process now has the thread cached
    expect(head).toEqual(await stateMessages(memory, config));
    expect(head.at(-1)).toBe("human:added on the head");

    // LangGraph 1.4 stores an update of an older checkpoint as a write under that checkpoint,
    // where the branch that already grew below it reads it too (langgraphjs #2737): the contract
    // says so, and so does every saver, this one included, with or without a cache.
    const headOf = async (s: BaseCheckpointSaver) => (await s.getTuple(config))!.config;
    const [oursBefore, memoryBefore] = [await headOf(saver), await headOf(memory)];
    const olderOf = async (s: BaseCheckpointSaver) => (await collect(s.list(config))).find((t) => t.metadata?.step === 1)!.config;
    await ours.updateState(await olderOf(saver), human("added in the past"));
    await reference.updateState(await olderOf(memory), human("added in the past"));
    const expected = await stateMessages(memory, memoryBefore);
    expect(expected).toContain("human:added in the past");
    expect(await stateMessages(cached, oursBefore)).toEqual(expected);
    expect(await stateMessages(otherSaver(), oursBefore)).toEqual(expected);
    expect(await stateMessages(cached, config)).toEqual(await stateMessages(memory, config));
  });

  it("a subgraph's DeltaChannel lives in its own namespace, is walked there, and resumes as with MemorySaver", async () => {
    const inner = new StateGraph(new StateSchema({ messages: MessagesDeltaValue }))
      .addNode("draft", (s) => ({ messages: [echo(s.messages)] }))
      .addNode("review", (s) => {
        const verdict = interrupt<{ review: number }, string>({ review: s.messages.length });
        return { messages: [new HumanMessage(`verdict: ${verdict}`)] };
      })
      .addEdge(START, "draft")
      .addEdge("draft", "review")
      .addEdge("review", END)
      .compile();
    const outer = (checkpointer: BaseCheckpointSaver) =>
      new StateGraph(new StateSchema({ messages: MessagesDeltaValue })).addNode("inner", inner).addEdge(START, "inner").addEdge("inner", END).compile({ checkpointer });
    const config = threadOf("sub");
    const memory = new MemorySaver();
    for (const s of [saver, memory]) await outer(s).invoke(human("write a haiku"), config);

    const innerTuple = (await collect(saver.list(config))).find((t) => String(t.config.configurable?.checkpoint_ns).startsWith("inner:"))!;
    const history = await otherSaver().getDeltaChannelHistory({ config: innerTuple.config, channels: ["messages"] });
    expect(history).toEqual(await BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(otherSaver(), { config: innerTuple.config, channels: ["messages"] }));
    expect(history.messages!.writes.length).toBeGreaterThan(0);

    const done = await outer(otherSaver()).invoke(new Command({ resume: "lovely" }), config);
    const reference = await outer(memory).invoke(new Command({ resume: "lovely" }), config);
    expect(contents(done.messages)).toEqual(contents(reference.messages));
    expect(contents(done.messages)).toEqual(["human:write a haiku", "ai:echo write a haiku (#1)", "human:verdict: lovely"]);
  });

  it("forks carry the whole state in two checkpoints, and both sides go on independently", async () => {
    const c = await manager.createConversation({ userId: "u", metadata: { title: "source" } });
    const graph = chatGraph(saver);
    const config = threadOf(c.threadId);
    await turns(graph, config, 0, 8);
    const source = await stateMessages(saver, config);
    const fork = await manager.forkConversation(c.threadId, { userId: "u" });
    expect(contents(await manager.getMessages(fork.threadId, { userId: "u" }))).toEqual(source);
    // Shallow: the checkpoint and one carrier of the seed and writes, whatever the history.
    expect(await collect(saver.list(threadOf(fork.threadId)))).toHaveLength(2);

    await chatGraph(otherSaver()).invoke(human("on the fork"), threadOf(fork.threadId));
    await graph.invoke(human("on the source"), config);
    expect(await stateMessages(saver, threadOf(fork.threadId))).toEqual([...source, "human:on the fork", "ai:echo on the fork (#17)"]);
    expect(await stateMessages(saver, config)).toEqual([...source, "human:on the source", "ai:echo on the source (#17)"]);

    // A fork of an older checkpoint, and a fork of the fork.
    const third = (await collect(saver.list(config))).find((t) => t.metadata?.step === 7)!;
    const early = await manager.forkConversation(c.threadId, { userId: "u", checkpointId: third.config.configurable!.checkpoint_id as string });
    expect(contents(await manager.getMessages(early.threadId, { userId: "u" }))).toEqual(await stateMessages(saver, third.config));
    const again = await manager.forkConversation(fork.threadId, { userId: "u" });
    expect(contents(await manager.getMessages(again.threadId, { userId: "u" }))).toEqual(await stateMessages(saver, threadOf(fork.threadId)));
    expect((await manager.listBranches(again.threadId, { userId: "u" }))[0]!.messageCount).toBe(18);
  });

  it("prune keeps what the kept checkpoints need to rebuild their messages, and removes what is past a snapshot", async () => {
    const options = { snapshotFrequency: 4 };
    const graph = chatGraph(saver, options);
    const config = threadOf("prune");
    await turns(graph, config, 0, 10);
    const before = await stateMessages(saver, config, options);
    const all = await collect(saver.list(config));
    const removed = await saver.prune(["prune"], { keepLast: 3 });
    expect(removed).toBeGreaterThan(0);
    expect(removed).toBeLessThan(all.length - 3);
    expect(await stateMessages(otherSaver(), config, options)).toEqual(before);
    await graph.invoke(human("after prune"), config);
    expect(await stateMessages(otherSaver(), config, options)).toEqual([...before, "human:after prune", "ai:echo after prune (#21)"]);

    // The same prune in steps of 2 checkpoints or values, the state read whole between steps.
    await turns(graph, threadOf("prune-steps"), 0, 10);
    const listedBefore = await collect(saver.list(threadOf("prune-steps")));
    const states = new Map(await Promise.all(listedBefore.map(async (t) => [t.config.configurable!.checkpoint_id as string, await stateMessages(saver, t.config, options)] as const)));
    const step = (redis.client as unknown as Record<string, (...a: string[]) => Promise<[number, number]>>)[luaScripts.prune.command]!;
    const base = keysOf(saver).threadBase("prune-steps");
    let steps = 0;
    for (let more = 1; more === 1; steps++) {
      [, more] = await step.call(redis.client, base, "3", "2", "");
      for (const t of await collect(saver.list(threadOf("prune-steps")))) {
        expect(await stateMessages(otherSaver(), t.config, options)).toEqual(states.get(t.config.configurable!.checkpoint_id as string));
      }
    }
    expect(steps).toBeGreaterThan(3);
    expect(await stateMessages(otherSaver(), threadOf("prune-steps"), options)).toEqual(await stateMessages(saver, listedBefore[0]!.config, options));
    expect((await collect(saver.list(threadOf("prune-steps")))).length).toBe(all.length - removed);

    // Without a snapshot since the start, nothing the head needs can go.
    const plain = chatGraph(saver);
    await turns(plain, threadOf("prune-all"), 0, 5);
    const kept = await stateMessages(saver, threadOf("prune-all"));
    await saver.prune(["prune-all"], { keepLast: 1 });
    expect(await stateMessages(otherSaver(), threadOf("prune-all"))).toEqual(kept);
  });

  it("shallow mode keeps the checkpoints back to the last snapshot, and the graph resumes right", async () => {
    const options = { snapshotFrequency: 3 };
    const shallow = otherSaver({ shallow: true });
    const graph = chatGraph(shallow, options);
    const config = threadOf("shallow");
    await turns(graph, config, 0, 12);
    const expected = Array.from({ length: 12 }, (_, i) => [`human:q${i}`, `ai:echo q${i} (#${2 * i + 1})`]).flat();
    expect(await stateMessages(otherSaver(), config, options)).toEqual(expected);
    const left = await collect(shallow.list(config));
    expect(left.length).toBeLessThanOrEqual(3 * 2 + 1);

    // Checkpoints written meanwhile by a saver that is not shallow are not what the last shallow
    // put kept: the next shallow put prunes again, and only the new head's chain is left.
    await turns(chatGraph(saver, options), config, 12, 14);
    await graph.invoke(human("shallow again"), config);
    const listed = (await collect(shallow.list(config))).map((t) => t.config.configurable!.checkpoint_id as string);
    const chain: string[] = [];
    for (let t = await shallow.getTuple(config); t; t = t.parentConfig ? await shallow.getTuple(t.parentConfig) : undefined) chain.push(t.config.configurable!.checkpoint_id as string);
    expect(listed).toEqual(chain);
    expect(listed.length).toBeLessThanOrEqual(3 * 2 + 1);

    // A side branch from the head the last shallow put kept, then a shallow put on that same head:
    // the branch is no part of the new checkpoint's chain, and goes.
    const kept = (await shallow.getTuple(config))!.config;
    await chatGraph(saver, options).invoke(human("side branch"), kept);
    await graph.invoke(human("from the kept head"), kept);
    const after = (await collect(shallow.list(config))).map((t) => t.config.configurable!.checkpoint_id as string);
    const chainAfter: string[] = [];
    for (let t = await shallow.getTuple(config); t; t = t.parentConfig ? await shallow.getTuple(t.parentConfig) : undefined) chainAfter.push(t.config.configurable!.checkpoint_id as string);
    expect(after).toEqual(chainAfter);
    expect(contents((await chatGraph(otherSaver(), options).getState(config)).values.messages).slice(-2)).toEqual(["human:from the kept head", "ai:echo from the kept head (#31)"]);
    await graph.invoke(human("shallow again"), config);
    expect((await stateMessages(otherSaver(), config, options)).slice(-2)).toEqual(["human:shallow again", "ai:echo shallow again (#33)"]);
  });

  it("export writes every message; import builds a thread that both a DeltaChannel and an ordinary graph resume", async () => {
    const c = await manager.createConversation({ userId: "u", metadata: { title: "to export" } });
    const graph = chatGraph(saver);
    await turns(graph, threadOf(c.threadId), 0, 4);
    const source = await stateMessages(saver, threadOf(c.threadId));
    const exported = await manager.exportConversation(c.threadId, { userId: "u" });
    expect(exported.nodes.map((n) => `${n.message.role === "user" ? "human" : "ai"}:${String(n.message.content)}`)).toEqual(source);
    for (const kind of ["delta", "ordinary"] as const) {
      const copy = await manager.importConversation(exported, { userId: "u" });
      const after = await chatGraph(otherSaver(), { kind }).invoke(human(`on a ${kind} graph`), threadOf(copy.threadId));
      expect(contents(after.messages)).toEqual([...source, `human:on a ${kind} graph`, `ai:echo on a ${kind} graph (#9)`]);
    }
  });

  it("a thread whose messages channel turns into a DeltaChannel keeps every message", async () => {
    const c = await manager.createConversation({ userId: "u" });
    const config = threadOf(c.threadId);
    await turns(chatGraph(saver, { kind: "ordinary" }), config, 0, 3);
    await turns(chatGraph(saver, { kind: "delta" }), config, 3, 6);
    const expected = Array.from({ length: 6 }, (_, i) => [`human:q${i}`, `ai:echo q${i} (#${2 * i + 1})`]).flat();
    expect(await stateMessages(otherSaver(), config)).toEqual(expected);
    expect(contents(await manager.getMessages(c.threadId, { userId: "u" }))).toEqual(expected);
    expect((await manager.listBranches(c.threadId, { userId: "u" }))[0]!.messageCount).toBe(12);
    expect((await manager.getTree(c.threadId, { userId: "u" })).nodes).toHaveLength(12);
    await manager.addMessage(c.threadId, { role: "user", content: "by hand" }, { userId: "u" });
    const next = await chatGraph(saver).invoke(human("and on"), config);
    expect(contents(next.messages).slice(-3)).toEqual(["human:by hand", "human:and on", "ai:echo and on (#14)"]);
  });

  it("a second DeltaChannel that is never written reads as empty after prune and in shallow mode, as the base walk reads it", async () => {
    const State = new StateSchema({
      messages: new DeltaValue(z.custom<BaseMessage[]>().default(() => []), { inputSchema: z.custom<BaseMessage | BaseMessage[]>(), reducer: messagesDeltaReducer, snapshotFrequency: 3 }),
      todos: new DeltaValue(z.array(z.string()).default(() => []), { inputSchema: z.array(z.string()), reducer: (state: string[], writes: string[][]) => [...state, ...writes.flat()] }),
    });
    const graphOn = (s: BaseCheckpointSaver) =>
      new StateGraph(State)
        .addNode("model", (st) => ({ messages: [echo(st.messages)] }))
        .addEdge(START, "model")
        .addEdge("model", END)
        .compile({ checkpointer: s });
    for (const [threadId, s] of [["two-pruned", saver], ["two-shallow", otherSaver({ shallow: true })]] as const) {
      const config = threadOf(threadId);
      for (let i = 0; i < 6; i++) await graphOn(s).invoke(human(`q${i}`), config);
      if (s === saver) expect(await saver.prune([threadId], { keepLast: 1 })).toBeGreaterThan(0);
      const state = await graphOn(otherSaver()).getState(config);
      expect(contents(state.values.messages)).toHaveLength(12);
      expect(state.values.todos).toEqual([]);
      const head = (await saver.getTuple(config))!.config;
      const channels = ["messages", "todos"];
      expect(await otherSaver().getDeltaChannelHistory({ config: head, channels })).toEqual(await BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(otherSaver(), { config: head, channels }));
      const next = await graphOn(otherSaver()).invoke(human("and then"), config);
      expect(contents(next.messages).slice(-2)).toEqual(["human:and then", "ai:echo and then (#13)"]);
    }
  });

  it("a reducer that changes its state in place, and an Overwrite, never change what the history cache hands out", async () => {
    const appendInPlace = (state: string[], writes: Array<string | string[]>) => {
      for (const w of writes) state.push(...(Array.isArray(w) ? w : [w]));
      return state;
    };
    const State = new StateSchema({ log: new DeltaValue(z.array(z.string()).default(() => []), { inputSchema: z.union([z.string(), z.array(z.string())]), reducer: appendInPlace, snapshotFrequency: 4 }) });
    let turn = 0;
    const graphOn = (s: BaseCheckpointSaver) =>
      new StateGraph(State)
        .addNode("step", () => (++turn === 3 ? { log: new Overwrite(["reset"]) } : { log: [`entry ${turn}`] }))
        .addEdge(START, "step")
        .addEdge("step", END)
        .compile({ checkpointer: s });
    const config = threadOf("in-place");
    for (let i = 0; i < 6; i++) await graphOn(saver).invoke({ log: [`input ${i}`] }, config);
    const cold = (await graphOn(otherSaver()).getState(config)).values.log;
    for (let read = 0; read < 3; read++) expect((await graphOn(saver).getState(config)).values.log).toEqual(cold);
    expect(cold).toContain("reset");
  });

  it("checkpoints written before storage format 2 read as they did: a listed value that was never stored is left out", async () => {
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { a: 1 }, channel_versions: { a: 1, "branch:to:x": 2 } };
    const config = await saver.put(threadOf("legacy"), checkpoint, { source: "loop", step: 0, parents: {} }, { a: 1 });
    const node = `${keysOf(saver).threadBase("legacy")}:ckpt::${checkpoint.id}`;
    // What the earlier format wrote: every channel version listed, no format mark.
    await redis.client.hset(node, "blobs", JSON.stringify(["a:1", "branch%3Ato%3Ax:2"]));
    await redis.client.hdel(node, "fmt");
    expect((await otherSaver().getTuple(config))?.checkpoint.channel_values).toEqual({ a: 1 });
    await redis.client.hset(node, "fmt", "2");
    await expect(otherSaver().getTuple(config)).rejects.toBeInstanceOf(StorageError);
  });

  it("walks longer than one script call go on where they stopped, and give the same state", async () => {
    const graph = chatGraph(saver);
    const config = threadOf("long");
    await turns(graph, config, 0, 12);
    const expected = await stateMessages(saver, config);
    const small = otherSaver({ historyCacheWrites: 0 }, { walkMaxNodes: 4 });
    expect(await stateMessages(small, config)).toEqual(expected);
    const m = new ConversationManager({ saver: small });
    const c = await m.createConversation({ userId: "u", threadId: "long" });
    expect(contents(await m.getMessages(c.threadId, { userId: "u" }))).toEqual(expected);
    expect((await m.listBranches(c.threadId, { userId: "u" }))[0]!.messageCount).toBe(24);
    expect((await m.getTree(c.threadId, { userId: "u" })).nodes).toHaveLength(24);
    const fork = await m.forkConversation(c.threadId, { userId: "u" });
    expect(contents(await m.getMessages(fork.threadId, { userId: "u" }))).toEqual(expected);
  });

  it("expires a whole DeltaChannel thread at once", async () => {
    const ttl = otherSaver({ ttl: { defaultTTL: 0.01 } }); // 600 ms
    const config = threadOf("ttl");
    await turns(chatGraph(ttl), config, 0, 3);
    expect(await stateMessages(ttl, config)).toHaveLength(6);
    await new Promise((r) => setTimeout(r, 900));
    expect((await keysUnder(redis.client, redis.prefix)).filter((k) => k.includes("{ttl}"))).toEqual([]);
    expect(await stateMessages(otherSaver(), config)).toEqual([]);
  });

  it("a checkpoint whose seed or ancestor is gone is a StorageError, never an empty state", async () => {
    const options = { snapshotFrequency: 3 };
    const config = threadOf("lost");
    await turns(chatGraph(saver, options), config, 0, 4);
    const tuples = await collect(saver.list(config));
    const seedHolder = tuples.find((t) => "messages" in t.checkpoint.channel_values)!;
    const base = keysOf(saver).threadBase("lost");
    // Lose the seed's value (as eviction would).
    expect(await redis.client.hdel(`${base}:blobs:`, `messages:${String(seedHolder.checkpoint.channel_versions.messages)}`)).toBe(1);
    await expect(otherSaver().getTuple(seedHolder.config)).rejects.toThrow(/missing data it references.*messages/);
    await expect(chatGraph(otherSaver(), options).getState(config)).rejects.toBeInstanceOf(StorageError);
    // Lose an ancestor on the way to the seed.
    await turns(chatGraph(saver), threadOf("lost-2"), 0, 2); // no snapshot: the head reads back to the first checkpoint
    const chain = await collect(saver.list(threadOf("lost-2")));
    const middle = chain[2]!.config.configurable!.checkpoint_id as string;
    await redis.client.del(`${keysOf(saver).threadBase("lost-2")}:ckpt::${middle}`);
    await expect(otherSaver().getDeltaChannelHistory({ config: threadOf("lost-2"), channels: ["messages"] })).rejects.toThrow(/checkpoint .* is not stored/);
    const m = new ConversationManager({ saver: otherSaver() });
    await m.createConversation({ userId: "u", threadId: "lost-2" });
    await expect(m.getMessages("lost-2", { userId: "u" })).rejects.toBeInstanceOf(StorageError);
  });
});
