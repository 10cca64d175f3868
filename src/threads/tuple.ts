/**
 * A stored checkpoint (src/scripts/replies.ts StoredTuple) as LangGraph's CheckpointTuple: the
 * record, channel values and pending writes deserialised in one go.
 */
import { TASKS, maxChannelVersion, type Checkpoint, type CheckpointPendingWrite, type CheckpointTuple } from "@langchain/langgraph-checkpoint";
import { compareAsc } from "../codec.js";
import { blobField } from "../keys.js";
import type { RawWrite, StoredTuple } from "../scripts/replies.js";
import type { Serde, StoredRecord } from "./serde.js";

/** Pending writes in the order the contract wants them: task path, task id, index. */
export function sortWrites(writes: RawWrite[]): RawWrite[] {
  return writes.sort((a, b) => compareAsc(a.taskPath, b.taskPath) || compareAsc(a.taskId, b.taskId) || a.idx - b.idx);
}

/**
 * The tuple of a stored checkpoint. `firstVersion` is the saver's getNextVersion(undefined), the
 * version of a format 3 checkpoint's pending sends when it has no channel version at all.
 */
export async function decodeTuple(serde: Serde, threadId: string, stored: StoredTuple, firstVersion: () => number | string): Promise<CheckpointTuple> {
  const writes = sortWrites(stored.writes);
  const sends = stored.parentWrites ? sortWrites(stored.parentWrites.filter((w) => w.channel === TASKS)) : [];

  // Everything of the tuple is deserialised in one go (see Serde.loadMany).
  const [record, ...rest] = await serde.loadMany([
    serde.unpack(stored.record, "checkpoint"),
    ...stored.blobs.map(([field, value]) => serde.unpack(value, `channel value ${field}`)),
    ...writes.map((w) => ({ type: w.type, bytes: w.bytes, what: `write to "${w.channel}"` })),
    ...sends.map((w) => ({ type: w.type, bytes: w.bytes, what: "pending send" })),
  ]);
  const { checkpoint: bare, metadata, values } = record as StoredRecord;
  const checkpoint: Checkpoint = { ...bare, channel_values: { ...values } };

  const channelOfField = new Map<string, string>();
  for (const [channel, version] of Object.entries(checkpoint.channel_versions ?? {})) {
    channelOfField.set(blobField(channel, version), channel);
  }
  stored.blobs.forEach(([field], i) => {
    const channel = channelOfField.get(field);
    if (channel !== undefined) checkpoint.channel_values[channel] = rest[i];
  });
  const pendingWrites = writes.map((w, i) => [w.taskId, w.channel, rest[stored.blobs.length + i]] as CheckpointPendingWrite);

  if (stored.parentWrites && (checkpoint.v ?? 4) < 4) {
    // Checkpoints before format 4 kept pending sends in the parent's TASKS writes.
    checkpoint.channel_values[TASKS] = rest.slice(stored.blobs.length + writes.length);
    const versions = Object.values(checkpoint.channel_versions ?? {});
    checkpoint.channel_versions = {
      ...checkpoint.channel_versions,
      [TASKS]: versions.length > 0 ? maxChannelVersion(...versions) : firstVersion(),
    };
  }

  const tuple: CheckpointTuple = {
    config: { configurable: { thread_id: threadId, checkpoint_ns: stored.ns, checkpoint_id: stored.id } },
    checkpoint,
    metadata,
    pendingWrites,
  };
  if (stored.parent !== null) {
    tuple.parentConfig = { configurable: { thread_id: threadId, checkpoint_ns: stored.ns, checkpoint_id: stored.parent } };
  }
  return tuple;
}
