/**
 * Shallow forks: what the new thread gets. A fork copies one checkpoint (its stored fields, the
 * channel values it reads, its pending writes), not the history before it. A checkpoint that
 * rebuilds DeltaChannels from its ancestors gets a parent in the fork that carries, per channel,
 * the seed and the writes the source's walk found (LangGraph anchors the writes of an
 * exit-durability run on a stub checkpoint the same way), so the fork reads the same state and its
 * cost is bounded by the state since the channel's last snapshot, not by the source's history.
 * No reducer is needed: LangGraph replays the carried writes in order, as it would have.
 */
import { namesOf } from "../codec.js";
import { packWrite, type RawSeed, type RawWrite } from "../scripts/replies.js";
import type { PlantedCheckpoint } from "../scripts/scripts.js";
import { pathToSeed, type WalkStore } from "./history.js";

/** What forkRead read of the source checkpoint, its walk finished. */
export interface ForkSource {
  id: string;
  /** Node fields and values, flat, without `parent`. */
  node: Buffer[];
  /** Blob fields and values, flat. */
  blobs: Buffer[];
  /** Write fields and values, flat. */
  writes: Buffer[];
  parent: string | null;
  /** The DeltaChannels the checkpoint rebuilds from its ancestors. */
  channels: string[];
  /** Their walk. */
  store: WalkStore<RawWrite, RawSeed>;
}

const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The serde work a fork needs: the carrier's record, and a value read out of a stored record. */
export interface ForkCodec {
  record(carrier: { id: string; ts: string; versions: Record<string, number | string>; values: Record<string, unknown> }): Promise<Buffer>;
  unversioned(packedRecord: Buffer, channel: string): Promise<unknown>;
}

/**
 * The checkpoints of the fork, oldest first: the carrier (when the checkpoint has DeltaChannel
 * history to carry) and the checkpoint itself.
 */
export async function plantFork(source: ForkSource, codec: ForkCodec): Promise<PlantedCheckpoint[]> {
  const field = (name: string) => {
    for (let i = 0; i + 1 < source.node.length; i += 2) if (source.node[i]!.toString() === name) return source.node[i + 1]!.toString();
    return undefined;
  };
  const self: PlantedCheckpoint = { id: source.id, node: [...source.node], blobs: source.blobs, writes: source.writes };
  if (source.parent === null || source.channels.length === 0) return [self];

  // Per channel: the path from the parent up to the seed (walk order: newest first).
  const paths = source.channels.map((channel) => {
    const found = pathToSeed(source.store, source.parent, channel);
    if (!found) throw new Error(`fork: the walk of channel "${channel}" is incomplete`);
    return { channel, ...found };
  });
  if (paths.every((p) => p.seed === null && p.path.every((n) => n.writes!.get(p.channel)!.length === 0))) return [self];

  // The carrier's writes, in the order LangGraph replays them: checkpoint by checkpoint, oldest
  // first, and within one in (task id, index) order. Each (checkpoint, task) gets a new task id
  // that sorts in that order: a sequence number in place of the first group of a uuid (as
  // LangGraph's exit-durability writes do), or before the id.
  const longest = paths.reduce((a, b) => (b.path.length > a.path.length ? b : a)).path;
  const carried: Array<string | Buffer> = [];
  let seq = 0;
  for (let i = longest.length - 1; i >= 0; i--) {
    const node = longest[i]!;
    const taskIds = new Map<string, string>();
    const writes = paths
      .filter((p) => p.path.includes(node))
      .flatMap((p) => node.writes!.get(p.channel)!)
      .sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : a.idx - b.idx));
    for (const w of writes) {
      let taskId = taskIds.get(w.taskId);
      if (taskId === undefined) {
        const n = String(seq++).padStart(8, "0");
        const uuid = UUID.exec(w.taskId);
        taskId = uuid ? `${n}${uuid[1]}` : `${n}-${w.taskId}`;
        taskIds.set(w.taskId, taskId);
      }
      carried.push(`${taskId}:${w.idx}`, packWrite({ ...w, taskId }));
    }
  }

  // The seeds: a stored value is copied as the same blob; a value without a version travels in
  // the carrier's record.
  const versions: Record<string, number | string> = {};
  const values: Record<string, unknown> = {};
  const blobs: Array<string | Buffer> = [];
  const fields: string[] = [];
  for (const { channel, seed } of paths) {
    const stored = seed?.seeds.get(channel);
    if (!stored) continue;
    if (stored.field === null) {
      values[channel] = await codec.unversioned(stored.value, channel);
      continue;
    }
    const version = stored.field.slice(stored.field.indexOf(":") + 1);
    versions[channel] = String(Number(version)) === version ? Number(version) : version;
    blobs.push(stored.field, stored.value);
    fields.push(stored.field);
  }

  const carrierId = source.parent;
  const ts = field("ts") ?? new Date().toISOString();
  const carrierNode: Array<string | Buffer> = [
    "checkpoint",
    await codec.record({ id: carrierId, ts, versions, values }),
    "v",
    "4",
    "blobs",
    JSON.stringify(fields),
    "ts",
    ts,
    "lens",
    "{}",
    "fmt",
    "2",
  ];
  const dch = field("dch");
  if (dch !== undefined) carrierNode.push("dch", dch);
  if (namesOf(values).length > 0) carrierNode.push("uv", JSON.stringify(namesOf(values)));
  self.node.push("parent", carrierId);
  return [{ id: carrierId, node: carrierNode, blobs, writes: carried }, self];
}
