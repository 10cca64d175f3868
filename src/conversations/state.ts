/**
 * The conversation layer's view of a checkpoint's state: its messages, whether the messages
 * channel is stored whole in the checkpoint (an ordinary channel, a DeltaSnapshot) or rebuilt
 * from its ancestors' writes (a DeltaChannel). Every feature that reads messages (getMessages,
 * addMessage, branches, trees, export, the inspector) reads them here.
 */
import type { BaseMessage } from "@langchain/core/messages";
import type { CheckpointTuple, DeltaChannelHistory } from "@langchain/langgraph-checkpoint";
import { pathToSeed } from "../threads/history.js";
import type { DecodedWalk } from "../threads/threads.js";
import { MessageReplay } from "./messages.js";

/** The messages of a checkpoint read with its histories (Threads.readState). */
export function messagesOf(state: { tuple: CheckpointTuple; histories: Record<string, DeltaChannelHistory> }, channel: string): BaseMessage[] {
  const history = state.histories[channel];
  if (history === undefined) return new MessageReplay(state.tuple.checkpoint.channel_values[channel]).messages();
  const replay = new MessageReplay(history.seed);
  replay.apply(history.writes.map((w) => w[2]));
  return replay.messages();
}

/**
 * Rebuilds the messages of checkpoints that do not store them, from a walk's store: for each
 * target (id and parent), its messages; and for every checkpoint on the way, how many messages its
 * state held (the tree places each message at the checkpoint where it first appeared). A target
 * whose path the store does not hold is left out (the caller treats that as an error).
 */
export function rebuildMessages(
  store: DecodedWalk,
  targets: ReadonlyArray<{ id: string; parent: string | null }>,
  channel: string,
): { messages: Map<string, BaseMessage[]>; counts: Map<string, number> } {
  const messages = new Map<string, BaseMessage[]>();
  const counts = new Map<string, number>();
  for (const target of targets) {
    const found = pathToSeed(store, target.parent, channel);
    if (!found) continue;
    const replay = new MessageReplay(found.seed?.seeds.get(channel));
    // Oldest first: a checkpoint's state is its parent's plus the parent's writes.
    for (let i = found.path.length - 1; i >= 0; i--) {
      const node = found.path[i]!;
      counts.set(node.id, replay.length);
      replay.apply(node.writes!.get(channel)!.map((w) => w[2]));
    }
    counts.set(target.id, replay.length);
    messages.set(target.id, replay.messages());
  }
  return { messages, counts };
}
