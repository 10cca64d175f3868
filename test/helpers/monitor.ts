// Counts the commands one client sends, with MONITOR on a second connection. Used to prove the
// round-trip claims: what an operation sends is what the server sees from that client.
import { Redis } from "ioredis";
import { redisUrl } from "./redis.js";

export interface CommandRecorder {
  /** The command names (lower case) that `op` made the observed client send, in order. */
  sent: (op: () => Promise<unknown>) => Promise<string[]>;
  stop: () => Promise<void>;
}

export async function recordCommands(observed: Redis): Promise<CommandRecorder> {
  const monitorClient = new Redis(redisUrl());
  const [, addr] = /addr=(\S+)/.exec(await observed.client("INFO")) ?? [];
  const monitor = await monitorClient.monitor();
  const seen: string[] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source === addr) seen.push(args[0]!.toLowerCase());
  });
  // The monitor reports asynchronously; a PING from the observed client marks "all seen".
  const drain = async () => {
    const mark = seen.length;
    await observed.ping();
    for (let i = 0; i < 200 && !seen.slice(mark).includes("ping"); i++) await new Promise((r) => setTimeout(r, 10));
  };
  return {
    sent: async (op) => {
      await drain();
      seen.length = 0;
      await op();
      await drain();
      return seen.filter((c) => c !== "ping");
    },
    stop: async () => {
      monitor.disconnect();
      await monitorClient.quit();
    },
  };
}

/**
 * Round trips `op` costs the caller on `client`, as the client sees them: each command it sends
 * after a reply has arrived starts a new round trip, so two commands sent together (a pipeline,
 * or one command sent beside another before either reply) count once.
 */
export async function roundTripsOf(client: Redis, op: () => Promise<unknown>): Promise<number> {
  const events: Array<"send" | "reply"> = [];
  const original = client.sendCommand.bind(client);
  client.sendCommand = (...args: Parameters<Redis["sendCommand"]>) => {
    events.push("send");
    const [command] = args;
    command.promise.then(
      () => events.push("reply"),
      () => events.push("reply"),
    );
    return original(...args);
  };
  try {
    await op();
  } finally {
    // The instance's own property goes; the prototype's method shows again.
    delete (client as { sendCommand?: unknown }).sendCommand;
  }
  let trips = 0;
  for (let i = 0; i < events.length; i++) if (events[i] === "send" && (i === 0 || events[i - 1] === "reply")) trips++;
  return trips;
}
