// Channel versions: increasing along a branch, different on two branches forked from one point.
import { Redis } from "ioredis";
import { RedisSaver } from "../../src/index.js";

describe("getNextVersion", () => {
  // A saver on a client that never connects: getNextVersion needs no Redis.
  const client = new Redis({ lazyConnect: true });
  const saver = new RedisSaver({ client });
  afterAll(() => client.disconnect());

  it("is the next integer plus a fraction in (0, 1): increasing, and unique per branch", () => {
    let v: number | undefined;
    for (let i = 1; i <= 50; i++) {
      const next = saver.getNextVersion(v);
      expect(Math.floor(next)).toBe(i);
      expect(next).toBeGreaterThan(v ?? 0);
      v = next;
    }
    const forks = new Set(Array.from({ length: 1000 }, () => saver.getNextVersion(3.5)));
    expect(forks.size).toBe(1000);
  });

  it("continues another saver's string or integer versions", () => {
    expect(Math.floor(saver.getNextVersion("7.000123" as unknown as number))).toBe(8);
    expect(Math.floor(saver.getNextVersion(7))).toBe(8);
    expect(Math.floor(saver.getNextVersion("junk" as unknown as number))).toBe(1);
  });
});
