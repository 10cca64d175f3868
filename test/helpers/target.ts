// What the tests run against, handed from a global setup to the test files.
export type RedisTarget = { kind: "single"; url: string } | { kind: "cluster"; nodes: Array<{ host: string; port: number }> };

declare module "vitest" {
  export interface ProvidedContext {
    redisTarget: RedisTarget;
  }
}
