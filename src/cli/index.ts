#!/usr/bin/env node
// The inspector: `langgraph-checkpoint-redis-tree` (or `lgtree`) pointed at a Redis and a prefix.
//
//   lgtree inspect <threadId> [--ids]     the conversation tree, active branch marked
//   lgtree list --user <userId> [--status s]  a user's conversations, with their status
//   lgtree stats                          threads, checkpoints and memory under the prefix
//
// Options: --url (default $REDIS_URL, else redis://127.0.0.1:6379), --cluster host:port[,...]
// (instead of --url), --prefix (default "lg"), --limit, --color / --no-color.
import { parseArgs } from "node:util";
import { Cluster, Redis } from "ioredis";
import { ConversationManager } from "../conversations/manager.js";
import type { ConversationStatus } from "../conversations/records.js";
import { ConversationStatusSchema } from "../conversations/schemas.js";
import { isRedisTreeError } from "../errors.js";
import { internalsOf } from "../internal.js";
import { RedisSaver } from "../saver.js";
import type { RedisClient } from "../scripts/scripts.js";
import { COLOR, PLAIN, humanBytes, renderConversationHeader, renderList, renderTree, type Style } from "./render.js";

const USAGE = `usage: lgtree <command> [options]

commands:
  inspect <threadId>     show a conversation as a tree: branches, the active one (●), names, messages
  list --user <userId>   list a user's conversations: last activity, status, title, tags
  stats                  count threads, checkpoints and the memory they use under the prefix

options:
  --url <redis-url>      Redis to read (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --cluster <h:p,...>    read a Redis Cluster through these nodes instead of --url
  --prefix <prefix>      key prefix the saver was given (default: lg)
  --user <userId>        the user, for list
  --status <status>      only conversations with this status (idle, busy, interrupted, error), for list
  --limit <n>            at most n conversations, for list (default: 100)
  --ids                  show checkpoint ids, for inspect
  --color, --no-color    force colours on or off (default: on for a terminal, off with NO_COLOR)
  -h, --help             this help`;

class UsageError extends Error {}

interface Options {
  url: string;
  cluster?: string;
  prefix: string;
  user?: string;
  status?: ConversationStatus;
  limit: number;
  ids: boolean;
  style: Style;
}

function parse(argv: string[]): { command: string; positional: string[]; options: Options } | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        cluster: { type: "string" },
        prefix: { type: "string" },
        user: { type: "string" },
        status: { type: "string" },
        limit: { type: "string" },
        ids: { type: "boolean" },
        color: { type: "boolean" },
        "no-color": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return "help";
  const [command, ...positional] = positionals;
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer (got ${values.limit})`);
  const status = values.status;
  if (status !== undefined && !ConversationStatusSchema.safeParse(status).success) throw new UsageError(`--status must be one of idle, busy, interrupted, error (got ${status})`);
  const colour = values["no-color"] ? false : values.color ? true : process.stdout.isTTY === true && !process.env.NO_COLOR;
  return {
    command: command!,
    positional,
    options: {
      url: values.url ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      ...(values.cluster !== undefined ? { cluster: values.cluster } : {}),
      prefix: values.prefix ?? "lg",
      ...(values.user !== undefined ? { user: values.user } : {}),
      ...(status !== undefined ? { status: status as ConversationStatus } : {}),
      limit,
      ids: values.ids ?? false,
      style: colour ? COLOR : PLAIN,
    },
  };
}

/** A client that fails fast: an inspector should say "cannot connect", not retry forever. */
async function connect(options: Options): Promise<RedisClient> {
  const failFast = { connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true };
  let client: RedisClient;
  let where: string;
  if (options.cluster) {
    const nodes = options.cluster.split(",").map((hp) => {
      const [host, port] = hp.trim().split(":");
      if (!host || !port || !Number.isInteger(Number(port))) throw new UsageError(`--cluster takes host:port[,host:port...] (got ${options.cluster})`);
      return { host, port: Number(port) };
    });
    client = new Cluster(nodes, { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { connectTimeout: 3000, maxRetriesPerRequest: 0 } });
    where = `the Redis Cluster at ${options.cluster}`;
  } else {
    if (!/^rediss?:\/\//.test(options.url)) throw new UsageError(`--url must look like redis://host:port (got ${options.url})`);
    client = new Redis(options.url, failFast);
    where = options.url;
  }
  // The socket's own error (ECONNREFUSED, ENOTFOUND, ...) says more than ioredis' "Connection is
  // closed" that follows it; keep it for the message below.
  let cause: Error | undefined;
  client.on("error", (err: Error) => {
    cause ??= err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot connect to ${where}: ${(cause ?? (err as Error)).message}`);
  }
  return client;
}

async function inspect(saver: RedisSaver, threadId: string | undefined, options: Options): Promise<string[]> {
  if (!threadId) throw new UsageError("inspect needs a thread id: lgtree inspect <threadId>");
  const found = await new ConversationManager({ saver }).inspectTree(threadId);
  if (!found) throw new Error(`no thread ${JSON.stringify(threadId)} under prefix ${JSON.stringify(options.prefix)}`);
  return [...renderConversationHeader(threadId, found.tree, found.owner, found.conversation, options.style), "", ...renderTree(found.tree, { ids: options.ids, style: options.style })];
}

async function list(saver: RedisSaver, options: Options): Promise<string[]> {
  if (!options.user) throw new UsageError("list needs a user: lgtree list --user <userId>");
  const manager = new ConversationManager({ saver });
  const conversations = [];
  let cursor: string | undefined;
  let total = 0;
  do {
    const page: Awaited<ReturnType<ConversationManager["listConversations"]>> = await manager.listConversations({
      userId: options.user,
      limit: Math.min(100, options.limit - conversations.length),
      ...(options.status ? { status: options.status } : {}),
      ...(cursor ? { cursor } : {}),
    });
    conversations.push(...page.conversations);
    total = page.total;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && conversations.length < options.limit);
  return renderList(conversations, total, options.style);
}

async function stats(saver: RedisSaver, options: Options): Promise<string[]> {
  const { threads, indexes } = internalsOf(saver)!;
  // Every thread of the prefix comes from the thread index, never from a keyspace scan.
  const threadIds = await indexes.allThreads("stats", "oldest first");
  let checkpoints = 0;
  let keys = 0;
  let bytes = 0;
  let conversations = 0;
  for (let i = 0; i < threadIds.length; i += 200) {
    const batch = await Promise.all(threadIds.slice(i, i + 200).map((id) => threads.stats(id)));
    for (const one of batch) {
      checkpoints += one.checkpoints;
      keys += one.keys;
      bytes += one.bytes;
      conversations += one.owned ? 1 : 0;
    }
  }
  const s = options.style;
  return [
    `${s.bold("prefix")}         ${options.prefix}`,
    `${s.bold("threads")}        ${threadIds.length} (${conversations} with a conversation)`,
    `${s.bold("checkpoints")}    ${checkpoints}`,
    `${s.bold("keys")}           ${keys} (of threads)`,
    `${s.bold("memory")}         ${humanBytes(bytes)} (MEMORY USAGE of the threads' keys)`,
  ];
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`lgtree: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const { command, positional, options } = parsed;
  if (!["inspect", "list", "stats"].includes(command)) {
    console.error(`lgtree: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  let client: RedisClient | undefined;
  try {
    client = await connect(options);
    const saver = new RedisSaver({ client, prefix: options.prefix });
    const lines = command === "inspect" ? await inspect(saver, positional[0], options) : command === "list" ? await list(saver, options) : await stats(saver, options);
    console.log(lines.join("\n"));
    return 0;
  } catch (err) {
    const message = isRedisTreeError(err) ? err.message.replace(/^langgraph-checkpoint-redis-tree: /, "") : (err as Error).message;
    console.error(`lgtree: ${message}${err instanceof UsageError ? `\n\n${USAGE}` : ""}`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    client?.disconnect();
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
