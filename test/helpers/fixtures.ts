// Small builders the saver tests share.
import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";

/** Checkpoint metadata as a graph loop writes it, plus any keys a test adds. */
export const meta = (extra: Record<string, unknown> = {}): CheckpointMetadata => ({ source: "loop", step: 0, parents: {}, ...extra });

/** A checkpoint with these channel values, each at version 1 unless `versions` says otherwise. */
export function checkpointWith(values: Record<string, unknown>, versions?: Record<string, number>): Checkpoint {
  return {
    ...emptyCheckpoint(),
    id: uuid6(-1),
    channel_values: values,
    channel_versions: versions ?? Object.fromEntries(Object.keys(values).map((k) => [k, 1])),
  };
}

export async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of gen) out.push(item);
  return out;
}
