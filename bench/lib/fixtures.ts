// Workloads shared by the benchmark programs: realistic checkpoints, a two-node agent graph with a
// deterministic fake model, and builders for large threads and users.
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { Annotation, END, START, StateGraph, messagesStateReducer } from "@langchain/langgraph";
import { emptyCheckpoint, uuid6, type BaseCheckpointSaver, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { ConversationManager, RedisSaver } from "../../src/index.js";
import { internalsOf } from "../../src/internal.js";
import { KeySpace } from "../../src/keys.js";

export const loopMetadata = (step = 1) => ({ source: "loop", step, parents: {} }) as CheckpointMetadata;

/** A support conversation of `turns` question/answer pairs. */
export function conversation(turns: number): BaseMessage[] {
  const messages: BaseMessage[] = [];
  for (let i = 0; i < turns; i++) {
    messages.push(new HumanMessage({ content: `question ${i}: how do I reset my password on the billing portal?`, id: `h${i}` }));
    messages.push(new AIMessage({ content: `answer ${i}: open Settings, then Security, then choose Reset password.`, id: `a${i}` }));
  }
  return messages;
}

/** A checkpoint as a chat graph leaves it: messages, a trigger channel, versions seen. */
export function chatCheckpoint(messages: BaseMessage[], versions: Record<string, number>, step = 1): Checkpoint {
  return {
    ...emptyCheckpoint(),
    id: uuid6(-1),
    channel_values: { messages, "branch:to:agent": null },
    channel_versions: versions,
    versions_seen: { agent: { messages: step }, __input__: {} },
  };
}

const AgentState = Annotation.Root({
  messages: Annotation<BaseMessage[]>({ reducer: messagesStateReducer, default: () => [] }),
  turns: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
});

/** A two-node agent: a deterministic fake model, then a node that keeps a tally. No network. */
export function agentGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(AgentState)
    .addNode("agent", (state) => ({
      messages: [new AIMessage({ content: `Answer ${state.messages.length}: open Settings, then Security, then Reset password.`, usage_metadata: { input_tokens: state.messages.length * 12, output_tokens: 14, total_tokens: state.messages.length * 12 + 14 } })],
    }))
    .addNode("tally", () => ({ turns: 1 }))
    .addEdge(START, "agent")
    .addEdge("agent", "tally")
    .addEdge("tally", END)
    .compile({ checkpointer });
}

const FanOutState = Annotation.Root({
  messages: Annotation<BaseMessage[]>({ reducer: messagesStateReducer, default: () => [] }),
  findings: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
});

/**
 * A graph whose middle step runs `width` tasks side by side (a plan, `width` workers that each
 * write a finding, a node that joins them into an answer): the writes of a step of many tasks.
 */
export function fanOutGraph(checkpointer: BaseCheckpointSaver, width = 8) {
  type State = typeof FanOutState.State;
  // Node names are made at run time, which the builder's types do not follow: a narrower view of it.
  interface Builder {
    addNode(name: string, node: (state: State) => Partial<State>): Builder;
    addEdge(from: string, to: string): Builder;
    compile(options: { checkpointer: BaseCheckpointSaver }): { invoke(input: { messages: BaseMessage[] }, config: RunnableConfig): Promise<unknown> };
  }
  const graph = new StateGraph(FanOutState) as unknown as Builder;
  graph.addNode("plan", () => ({ findings: [] }));
  graph.addNode("join", (state) => ({ messages: [new AIMessage(`Answer from ${state.findings.length} findings.`)] }));
  graph.addEdge(START, "plan");
  for (let i = 0; i < width; i++) {
    graph.addNode(`worker${i}`, (state) => ({ findings: [`worker ${i}: ${state.messages.length} messages read, nothing missing in part ${i}.`] }));
    graph.addEdge("plan", `worker${i}`).addEdge(`worker${i}`, "join");
  }
  return graph.addEdge("join", END).compile({ checkpointer });
}

export function question(i: number): HumanMessage {
  return new HumanMessage(`Question ${i}: my order arrived broken, what can I do?`);
}

/** A thread of `size` checkpoints whose state stays 10 messages: history grows, state does not. */
export async function buildLongThread(saver: BaseCheckpointSaver, threadId: string, size: number): Promise<RunnableConfig> {
  const messages = conversation(5);
  let config: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
  const messagesVersion = saver.getNextVersion(undefined);
  let step = messagesVersion;
  for (let i = 0; i < size; i++) {
    step = saver.getNextVersion(step);
    const checkpoint = { ...chatCheckpoint(messages, { messages: messagesVersion, step }), channel_values: { messages, step: i } };
    config = await saver.put(config, checkpoint, loopMetadata(i), i === 0 ? { messages: messagesVersion, step } : { step });
  }
  return config;
}

/**
 * `count` conversations of one user, created 500 at a time: two of five tags each, the agent "support", customData with
 * `plan: "pro"` on a quarter of them, and a tenth waiting on an interrupt.
 */
export async function buildConversations(manager: ConversationManager, userId: string, count: number): Promise<string[]> {
  const indexes = internalsOf(manager.saver)!.indexes;
  const tags = ["billing", "support", "urgent", "refund", "vip"];
  const ids: string[] = [];
  for (let i = 0; i < count; i += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, count - i) }, (_, j) =>
        manager.createConversation({
          userId,
          metadata: { title: `Conversation ${i + j}`, agentId: "support", tags: [tags[(i + j) % 5]!, tags[(i + j + 1) % 5]!], customData: { n: i + j, plan: (i + j) % 4 === 0 ? "pro" : "free" } },
        }),
      ),
    );
    ids.push(...batch.map((c) => c.threadId));
    // Every tenth waits on an interrupt, set as the put and putWrites scripts report it (how a
    // status arrives does not change what a listing costs).
    batch.forEach((c, j) => {
      if ((i + j) % 10 === 0) indexes.statusChanged(userId, c.threadId, { seq: 1, status: "interrupted", interrupts: '[{"id":"x","value":{"question":"send it?"}}]' });
    });
    await indexes.settled();
  }
  return ids;
}

/** Every key of one thread, with MEMORY USAGE (benchmarks may scan; the library never does). */
export async function threadMemory(saver: RedisSaver, threadId: string): Promise<{ bytes: number; keys: number; checkpoints: number }> {
  const client = saver.client;
  const pattern = `${new KeySpace(saver.prefix).threadBase(threadId).replace(/[*?[\]\\]/g, "\\$&")}:*`;
  const nodes = "nodes" in client && typeof client.nodes === "function" ? client.nodes("master") : [client];
  let bytes = 0;
  let keys = 0;
  for (const node of nodes as Array<{ scan: (...a: unknown[]) => Promise<[string, string[]]>; memory: (...a: unknown[]) => Promise<unknown> }>) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      for (const key of batch) {
        bytes += Number(await node.memory("USAGE", key, "SAMPLES", 0));
        keys++;
      }
    } while (cursor !== "0");
  }
  let checkpoints = 0;
  for await (const _ of saver.list({ configurable: { thread_id: threadId } })) checkpoints++;
  return { bytes, keys, checkpoints };
}
