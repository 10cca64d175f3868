// Real LangGraph graphs on the saver: turns, resume from a new connection, interrupt/resume, time
// travel and forks. The model is a deterministic function of the conversation, no network.
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { Command, END, MessagesAnnotation, START, StateGraph, interrupt } from "@langchain/langgraph";
import { RedisSaver } from "../src/index.js";
import { chatGraph, contents } from "./helpers/graphs.js";
import { redisPerTest } from "./helpers/redis.js";

function approvalGraph() {
  return new StateGraph(MessagesAnnotation)
    .addNode("ask", () => {
      const answer = interrupt<{ question: string }, string>({ question: "send the refund?" });
      return { messages: [new AIMessage(`approved: ${answer}`)] };
    })
    .addEdge(START, "ask")
    .addEdge("ask", END);
}

/** A saver with LangGraph's default integer versions: what every blob-per-version saver had. */
class IntegerVersionSaver extends RedisSaver {
  override getNextVersion(current: number | undefined): number {
    return BaseCheckpointSaver.prototype.getNextVersion.call(this, current) as number;
  }
}

describe("RedisSaver with a real StateGraph", () => {
  const redis = redisPerTest("graph");
  /** A saver on the test's connection. */
  const newSaver = (): RedisSaver => new RedisSaver({ client: redis.client, prefix: redis.prefix });
  /** A saver on a connection of its own, as a second process would have. */
  const saverOnNewConnection = (): RedisSaver => redis.otherSaver();

  it("keeps several turns and resumes the thread from a second saver on a new connection", async () => {
    const config = { configurable: { thread_id: "chat-1" } };
    const graph = chatGraph(newSaver(), { kind: "ordinary" });
    await graph.invoke({ messages: [new HumanMessage("hello")] }, config);
    await graph.invoke({ messages: [new HumanMessage("how are you")] }, config);
    await graph.invoke({ messages: [new HumanMessage("bye")] }, config);

    const resumed = chatGraph(saverOnNewConnection(), { kind: "ordinary" });
    const before = await resumed.getState(config);
    expect(contents(before.values.messages)).toEqual([
      "human:hello",
      "ai:echo hello (#1)",
      "human:how are you",
      "ai:echo how are you (#3)",
      "human:bye",
      "ai:echo bye (#5)",
    ]);
    const after = await resumed.invoke({ messages: [new HumanMessage("again")] }, config);
    expect(contents(after.messages).slice(-2)).toEqual(["human:again", "ai:echo again (#7)"]);
    expect(after.messages[0]).toBeInstanceOf(HumanMessage);
  });

  it("stops at interrupt() and resumes with Command({ resume }) from a new connection", async () => {
    const config = { configurable: { thread_id: "approval-1" } };
    const first = approvalGraph().compile({ checkpointer: newSaver() });
    const paused = await first.invoke({ messages: [new HumanMessage("refund order 42")] }, config);
    expect((paused as { __interrupt__?: Array<{ value: unknown }> }).__interrupt__?.[0]?.value).toEqual({ question: "send the refund?" });

    const second = approvalGraph().compile({ checkpointer: saverOnNewConnection() });
    const state = await second.getState(config);
    expect(state.next).toEqual(["ask"]);
    expect(state.tasks[0]?.interrupts[0]?.value).toEqual({ question: "send the refund?" });

    const done = await second.invoke(new Command({ resume: "yes" }), config);
    expect(contents(done.messages)).toEqual(["human:refund order 42", "ai:approved: yes"]);
    expect((await second.getState(config)).next).toEqual([]);
  });

  it("lists history newest first and replays from an older checkpoint into a new branch", async () => {
    const config = { configurable: { thread_id: "travel-1" } };
    const graph = chatGraph(newSaver(), { kind: "ordinary" });
    await graph.invoke({ messages: [new HumanMessage("one")] }, config);
    await graph.invoke({ messages: [new HumanMessage("two")] }, config);

    const history = [];
    for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot);
    // Each invoke: input checkpoint, after-input, after-model = 3 checkpoints; two invokes.
    expect(history).toHaveLength(6);
    const ids = history.map((h) => h.config.configurable?.checkpoint_id as string);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(history.map((h) => h.values.messages?.length ?? 0)).toEqual([4, 3, 2, 2, 1, 0]);

    // The state after the first turn, then a different second turn from there.
    const afterFirst = history.find((h) => h.values.messages?.length === 2 && h.next.length === 0)!;
    const replay = await graph.invoke({ messages: [new HumanMessage("TWO")] }, afterFirst.config);
    expect(contents(replay.messages)).toEqual(["human:one", "ai:echo one (#1)", "human:TWO", "ai:echo TWO (#3)"]);
    // The original branch is intact.
    const original = await graph.getState(history[0]!.config);
    expect(contents(original.values.messages)).toEqual(["human:one", "ai:echo one (#1)", "human:two", "ai:echo two (#3)"]);
    // The latest checkpoint of the thread is now the replayed branch's.
    expect(contents((await graph.getState(config)).values.messages).at(-1)).toBe("ai:echo TWO (#3)");
  });

  async function forkTwice(saver: RedisSaver) {
    const config = { configurable: { thread_id: "fork-1" } };
    const graph = chatGraph(saver, { kind: "ordinary" });
    await graph.invoke({ messages: [new HumanMessage("start")] }, config);
    const forkPoint = (await graph.getState(config)).config;

    await graph.invoke({ messages: [new HumanMessage("left")] }, forkPoint);
    const left = (await graph.getState(config)).config;
    await graph.invoke({ messages: [new HumanMessage("right")] }, forkPoint);
    const right = (await graph.getState(config)).config;
    return {
      left: contents((await graph.getState(left)).values.messages),
      right: contents((await graph.getState(right)).values.messages),
    };
  }

  it("keeps two forks from one checkpoint apart, each branch's state exact", async () => {
    const { left, right } = await forkTwice(newSaver());
    expect(left).toEqual(["human:start", "ai:echo start (#1)", "human:left", "ai:echo left (#3)"]);
    expect(right).toEqual(["human:start", "ai:echo start (#1)", "human:right", "ai:echo right (#3)"]);
  });

  it("(control) with LangGraph's integer versions the same forks overwrite each other's blobs", async () => {
    const { left } = await forkTwice(new IntegerVersionSaver({ client: redis.client, prefix: redis.prefix }));
    // Both branches minted `messages` version 4; the right branch's value replaced the left's.
    expect(left).toContain("human:right");
  });
});
