// Chat graphs the tests share: a deterministic model (no network) on a messages channel that is
// either ordinary (the whole list stored at every step) or a DeltaChannel (LangGraph 1.4: only the
// writes stored, and a snapshot every `snapshotFrequency` updates).
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { DeltaValue, END, MessagesDeltaValue, MessagesValue, START, StateGraph, StateSchema, interrupt, messagesDeltaReducer } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { z } from "zod";

export type MessagesKind = "ordinary" | "delta";

export interface ChatOptions {
  /** @default "delta" */
  kind?: MessagesKind;
  /** For a DeltaChannel: a snapshot every this many updates (LangGraph's default is 1,000). */
  snapshotFrequency?: number;
  /** The fake model: the reply to the conversation so far. @default echo */
  model?: (messages: BaseMessage[]) => AIMessage | Promise<AIMessage>;
}

/** The state: one messages channel of the given kind. */
export function chatState({ kind = "delta", snapshotFrequency }: ChatOptions = {}) {
  const messages =
    kind === "ordinary"
      ? MessagesValue
      : snapshotFrequency === undefined
        ? MessagesDeltaValue
        : new DeltaValue(z.custom<BaseMessage[]>().default(() => []), { inputSchema: z.custom<BaseMessage | BaseMessage[]>(), reducer: messagesDeltaReducer, snapshotFrequency });
  return new StateSchema({ messages });
}

/** Answers from the conversation so far, so every state gives a different, checkable answer. */
export function echo(messages: BaseMessage[]): AIMessage {
  return new AIMessage(`echo ${String(messages.at(-1)?.content)} (#${messages.length})`);
}

/** Answers "re: <the last message>". */
export function re(messages: BaseMessage[]): AIMessage {
  return new AIMessage(`re: ${String(messages.at(-1)?.content)}`);
}

/** START → model → END. */
export function chatGraph(checkpointer: BaseCheckpointSaver, options: ChatOptions = {}) {
  const model = options.model ?? echo;
  return new StateGraph(chatState(options))
    .addNode("model", async (s) => ({ messages: [await model(s.messages)] }))
    .addEdge(START, "model")
    .addEdge("model", END)
    .compile({ checkpointer });
}

/** START → model → approve (interrupts for a human answer) → END. */
export function approvalGraph(checkpointer: BaseCheckpointSaver, options: ChatOptions = {}) {
  return new StateGraph(chatState(options))
    .addNode("model", (s) => ({ messages: [echo(s.messages)] }))
    .addNode("approve", () => {
      const answer = interrupt<{ question: string }, string>({ question: "send it?" });
      return { messages: [new AIMessage(`approved: ${answer}`)] };
    })
    .addEdge(START, "model")
    .addEdge("model", "approve")
    .addEdge("approve", END)
    .compile({ checkpointer });
}

/** `type:content` of each message: what tests compare. */
export const contents = (messages: readonly BaseMessage[]) => messages.map((m) => `${m.getType()}:${String(m.content)}`);
