// The sharded rate-limit counters (durable-objects/rate-limiter.ts), reachable from the Worker and from the
// other objects alike (the channel object counts viewer replays per IP, issue 15). Lives on the floor so
// the objects never import the Worker's services.
import type { Bindings } from "./env";
import { RATE_LIMITER_SHARDS, type RateRule } from "./limits";

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** epoch seconds when the current window ends */
  resetAt: number;
  /** seconds until a retry can succeed (0 when allowed) */
  retryAfter: number;
}

/** FNV-1a: a stable, cheap hash to pick the shard for a key. */
export function shardOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % RATE_LIMITER_SHARDS;
}

/** The object that counts `rule` for `key`, and the counter's key in it (`rule:key`). */
export function limiterFor(env: Pick<Bindings, "RATE_LIMITER">, rule: RateRule, key: string) {
  const counterKey = `${rule.name}:${key}`;
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${rule.name}#${shardOf(counterKey)}`));
  return { stub, counterKey };
}

/** Count one hit of `rule` for `key`. */
export async function checkRate(
  env: Pick<Bindings, "RATE_LIMITER">,
  rule: RateRule,
  key: string,
  nowMs?: number,
): Promise<RateDecision> {
  const { stub, counterKey } = limiterFor(env, rule, key);
  return stub.hit(counterKey, rule.limit, rule.windowSeconds, nowMs);
}
