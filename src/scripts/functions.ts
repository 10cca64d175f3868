/**
 * How a script reaches Redis. Each script is a Redis Functions library (FUNCTION LOAD once, then
 * FCALL), because Redis runs an EVAL script's whole text at every call: the 30 to 55 local
 * functions of a script's includes were defined again at each call, a tenth to a fifth of its
 * server time. A library defines them once, when it loads (see scripts/gen-lua.mjs).
 *
 * - A library is loaded when a call finds it missing ("Function not found": a new server, a
 *   restart without persistence, `FUNCTION FLUSH`), then the call is sent again: one extra round
 *   trip, once per script and server, as EVALSHA's NOSCRIPT costs. On a Cluster it is loaded on
 *   every primary (replicas get it by replication).
 * - Library names carry a hash of their text, so "already exists" means this exact code.
 * - Where FUNCTION or FCALL is refused (an ACL without them, a managed Redis that renames them),
 *   the client falls back to EVALSHA (ioredis `defineCommand`, NOSCRIPT answered with EVAL) for
 *   good. A load that fails for another reason (a full memory refuses FUNCTION LOAD) sends that one
 *   call as EVALSHA and tries FCALL again next time.
 */
import type { Cluster, Redis } from "ioredis";
import type { luaScripts } from "../lua/generated.js";

type Client = Redis | Cluster;
type Script = (typeof luaScripts)[keyof typeof luaScripts];
type Call = (...args: Array<string | Buffer | number>) => Promise<unknown>;

/** Per client: EVAL for good (FUNCTION or FCALL refused), and the loads under way, by library. */
interface ClientState {
  evalOnly: boolean;
  loading: Map<string, Promise<boolean>>;
}

const states = new WeakMap<Client, ClientState>();

function stateOf(client: Client): ClientState {
  let state = states.get(client);
  if (state === undefined) {
    state = { evalOnly: false, loading: new Map() };
    states.set(client, state);
  }
  return state;
}

/** Runs `script` with its keys and arguments; replies come back as Buffers. */
export async function callScript(client: Client, script: Script, keys: string[], args: Array<string | Buffer>): Promise<unknown> {
  const state = stateOf(client);
  if (!state.evalOnly) {
    try {
      return await (client as unknown as { fcallBuffer: Call }).fcallBuffer(script.fn, script.numberOfKeys, ...keys, ...args);
    } catch (err) {
      if (refused(err)) state.evalOnly = true;
      else if (!missing(err)) throw err;
      else if (await load(client, state, script)) return (client as unknown as { fcallBuffer: Call }).fcallBuffer(script.fn, script.numberOfKeys, ...keys, ...args);
    }
  }
  return evalCall(client, script)(...keys, ...args);
}

/**
 * Runs `script` first in a pipeline with the commands `more` queues (one write to the socket, one
 * round trip, all on the node of the script's key); the results in order.
 */
export async function callScriptWith(client: Client, script: Script, keys: string[], args: Array<string | Buffer>, more: (pipeline: Record<string, Call>) => void): Promise<Array<[Error | null, unknown]>> {
  const state = stateOf(client);
  const run = async (useEval: boolean): Promise<Array<[Error | null, unknown]>> => {
    const pipeline = client.pipeline() as unknown as Record<string, Call> & { exec: () => Promise<Array<[Error | null, unknown]> | null> };
    // Queued on the pipeline; their replies come with exec().
    if (useEval) void pipeline[`${script.command}Buffer`]!.call(pipeline, ...keys, ...args);
    else void pipeline.fcallBuffer!.call(pipeline, script.fn, script.numberOfKeys, ...keys, ...args);
    more(pipeline);
    return (await pipeline.exec()) ?? [];
  };
  if (state.evalOnly) return run(true);
  const results = await run(false);
  const err = results[0]?.[0];
  if (err === null || err === undefined) return results;
  if (refused(err)) {
    state.evalOnly = true;
    return run(true);
  }
  if (!missing(err)) return results;
  return run(!(await load(client, state, script)));
}

/** Loads `script`'s library (on every primary of a Cluster); false when it could not. */
function load(client: Client, state: ClientState, script: Script): Promise<boolean> {
  let pending = state.loading.get(script.fn);
  if (pending === undefined) {
    const nodes: Redis[] = isCluster(client) ? client.nodes("master") : [client];
    pending = Promise.all(nodes.map((node) => node.call("FUNCTION", "LOAD", script.library).catch((err: unknown) => {
      if (!(err instanceof Error && /^ERR Library '.*' already exists/.test(err.message))) throw err;
    })))
      .then(() => true)
      .catch((err: unknown) => {
        if (refused(err)) state.evalOnly = true;
        return false;
      })
      .finally(() => state.loading.delete(script.fn));
    state.loading.set(script.fn, pending);
  }
  return pending;
}

function evalCall(client: Client, script: Script): Call {
  const fn = (client as unknown as Record<string, Call>)[`${script.command}Buffer`];
  if (fn === undefined) throw new Error(`script ${script.command} is not defined on this client`);
  return fn.bind(client);
}

function isCluster(client: Client): client is Cluster {
  return typeof (client as Partial<Cluster>).nodes === "function";
}

function missing(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("ERR Function not found");
}

/** FUNCTION or FCALL is not for this client: an ACL refuses it, or the server does not know it. */
function refused(err: unknown): boolean {
  return err instanceof Error && /^NOPERM .*'(function\|load|fcall)'|^ERR unknown command '(function|fcall)'/i.test(err.message);
}
