// The sharded rate-limit counters (durable-objects/rate-limiter.ts), reachable from the Worker and from the
// other objects alike (the channel object counts viewer replays per IP, issue 15).
import type { RateDecision } from "../durable-objects/rate-limiter";
import type { Bindings } from "./env";
import { RATE_LIMITER_SHARDS, type RateRule } from "./limits";

/** FNV-1a: a stable, cheap hash to pick the shard for a key. */
export function shardOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % RATE_LIMITER_SHARDS;
}

export async function checkRate(
  env: Pick<Bindings, "RATE_LIMITER">,
  rule: RateRule,
  key: string,
  nowMs?: number,
): Promise<RateDecision> {
  const full = `${rule.name}:${key}`;
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${rule.name}#${shardOf(full)}`));
  return stub.hit(full, rule.limit, rule.windowSeconds, nowMs);
}
