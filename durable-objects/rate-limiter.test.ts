// The sharded fixed-window limiter (issue 3), driven with an injected clock.
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RATE_LIMITER_SHARDS, type RateRule } from "../common/limits";
import { limiterFor, shardOf } from "../common/rate";
import { testEnv } from "../test/helpers";
import { decide } from "./rate-limiter";

/** One hit, as the Worker's rate-limit service counts it. */
const checkRate = (env: typeof testEnv, r: RateRule, key: string, nowMs: number) => {
  const { stub, counterKey } = limiterFor(env, r, key);
  return stub.hit(counterKey, r.limit, r.windowSeconds, nowMs);
};

const rule = (limit: number, windowSeconds: number): RateRule => ({
  name: `t${crypto.randomUUID().slice(0, 8)}`,
  limit,
  windowSeconds,
});

describe("rate limiter", () => {
  it("computes remaining, reset and retry-after from the window", () => {
    expect(decide(1, 5, 3600, 3600, 3601)).toEqual({
      allowed: true,
      limit: 5,
      remaining: 4,
      resetAt: 7200,
      retryAfter: 0,
    });
    expect(decide(6, 5, 3600, 3600, 7000)).toEqual({
      allowed: false,
      limit: 5,
      remaining: 0,
      resetAt: 7200,
      retryAfter: 200,
    });
    // never tells a client to retry in 0 seconds
    expect(decide(6, 5, 3600, 3600, 7200).retryAfter).toBe(1);
  });

  it("counts per key within a window and starts afresh in the next one (clock injected)", async () => {
    const r = rule(3, 60);
    const t0 = Date.UTC(2030, 0, 1, 0, 0, 0);
    const hits = [];
    for (let i = 0; i < 4; i++) hits.push(await checkRate(testEnv, r, "k1", t0 + i * 1000));
    expect(hits.map((h) => h.allowed)).toEqual([true, true, true, false]);
    expect(hits.map((h) => h.remaining)).toEqual([2, 1, 0, 0]);
    expect(hits[3]).toMatchObject({ resetAt: t0 / 1000 + 60, retryAfter: 57 });
    // another key is independent
    expect((await checkRate(testEnv, r, "k2", t0 + 5000)).remaining).toBe(2);
    // the next window forgets the old count
    const next = await checkRate(testEnv, r, "k1", t0 + 60_000);
    expect(next).toMatchObject({ allowed: true, remaining: 2, resetAt: t0 / 1000 + 120 });
  });

  it("keeps a window's count across an eviction: counters are written behind, not lost", async () => {
    const r = rule(5, 3600);
    const t0 = Date.UTC(2030, 0, 2, 0, 0, 0);
    const key = `evict-${crypto.randomUUID()}`;
    // the first hit of a fresh instance is written at once (nothing was written in the last second)
    expect((await checkRate(testEnv, r, key, t0)).remaining).toBe(4);
    await evictDurableObject(limiterFor(testEnv, r, key).stub);
    // a new instance reloads the count from storage: this is the second hit, not a first
    expect((await checkRate(testEnv, r, key, t0 + 1000)).remaining).toBe(3);
  });

  it("spreads keys over the shards, and always sends one key to the same shard", () => {
    const shards = new Set<number>();
    for (let i = 0; i < 500; i++) shards.add(shardOf(`api:agent:${i}`));
    expect(shards.size).toBeGreaterThan(RATE_LIMITER_SHARDS / 2);
    expect([...shards].every((s) => s >= 0 && s < RATE_LIMITER_SHARDS)).toBe(true);
    expect(shardOf("register:ip:1.2.3.4")).toBe(shardOf("register:ip:1.2.3.4"));
  });
});
