// How the tests, the examples and the demo find a Redis, in this order: REDIS_URL, else
// 127.0.0.1:6379 if it answers, else a redis:7-alpine container through testcontainers when a
// Docker engine is there, else an error that says how to get one.
import { Redis } from "ioredis";

export interface FoundRedis {
  url: string;
  description: string;
  stop?: () => Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function resolveRedis(): Promise<FoundRedis> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    if (!(await answers(fromEnv))) throw new Error(`REDIS_URL is set to ${fromEnv}, but no Redis answers there.`);
    return { url: fromEnv, description: `${fromEnv} (from REDIS_URL)` };
  }
  const local = "redis://127.0.0.1:6379";
  if (await answers(local)) return { url: local, description: `${local} (local server)` };

  let dockerError: unknown;
  try {
    const { GenericContainer, Wait } = await import("testcontainers");
    const container = await new GenericContainer("redis:7-alpine")
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage("Ready to accept connections"))
      .start();
    const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    return {
      url,
      description: `${url} (redis:7-alpine container started by testcontainers)`,
      stop: async () => {
        await container.stop();
      },
    };
  } catch (err) {
    dockerError = err;
  }
  throw new Error(
    [
      "No Redis to run against. Any one of these works:",
      "  - start one locally:   redis-server --port 6379 --save '' --appendonly no",
      "  - point at one:        REDIS_URL=redis://host:6379 npm test",
      "  - or start Docker, and the tests start a redis:7-alpine container themselves.",
      `(testcontainers said: ${dockerError instanceof Error ? dockerError.message.split("\n")[0] : String(dockerError)})`,
    ].join("\n"),
  );
}
