// What every example needs: a Redis (found as the README says), a deterministic stand-in for a
// chat model (no API key, same answers every run), and a way to run either on its own or as part
// of `npm run demo`.
import { pathToFileURL } from "node:url";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { resolveRedis, type FoundRedis } from "../../scripts/dev/find-redis.js";

let found: Promise<FoundRedis> | undefined;

/** The Redis to use: REDIS_URL, else 127.0.0.1:6379, else a container (Docker), else a clear error. */
export function exampleRedis(): Promise<FoundRedis> {
  found ??= resolveRedis().then((r) => {
    console.log(`(Redis: ${r.description})`);
    return r;
  });
  return found;
}

/** Stops what exampleRedis started (a container), if anything. */
export async function releaseExampleRedis(): Promise<void> {
  const r = await found?.catch(() => undefined);
  found = undefined;
  await r?.stop?.();
}

/**
 * A deterministic chat model: it answers from the last message, so examples show real graph runs
 * without a network or a key. Swap in ChatOpenAI, ChatAnthropic, ... in an application.
 */
export function fakeModel(messages: BaseMessage[]): AIMessage {
  const last = String(messages.at(-1)?.content ?? "");
  const name = /I'm (\w+)/.exec(messages.map((m) => String(m.content)).join(" "))?.[1];
  if (/name\?/.test(last)) return new AIMessage(name ? `Your name is ${name}.` : "You haven't told me your name.");
  return new AIMessage(`You said "${last}" (message ${messages.length + 1} of this thread).`);
}

/** The examples' graph: one model node on the messages state, checkpointed by `checkpointer`. */
export function chatGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("model", (state) => ({ messages: [fakeModel(state.messages)] }))
    .addEdge(START, "model")
    .addEdge("model", END)
    .compile({ checkpointer });
}

/** Runs `main` when the file is executed directly (`npx tsx examples/x.ts`), not when imported. */
export function runIfMain(url: string, main: () => Promise<void>): void {
  if (process.argv[1] && url === pathToFileURL(process.argv[1]).href) {
    main()
      .then(releaseExampleRedis)
      .catch(async (err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        await releaseExampleRedis();
        process.exitCode = 1;
      });
  }
}

export const line = (text: string) => console.log(text);
export const show = (messages: BaseMessage[]) => {
  for (const m of messages) console.log(`  ${m.getType().padEnd(5)} ${String(m.content)}`);
};
