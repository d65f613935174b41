// Fixed-window rate-limit counters, replacing Redis (spec "Rate Limiting"). One object per shard; a key
// always hashes to the same shard, so counts are exact while hot keys spread over many objects.
// Counts live in memory and are written behind to the object's SQLite storage at most once a second, so an
// eviction or restart keeps a window's count (less at most the last second of hits; see FLUSH_EVERY_MS).
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../common/env";
import { RATE_LIMITER_SHARDS, type RateRule } from "../common/limits";

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

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** epoch seconds when the current window ends */
  resetAt: number;
  /** seconds until a retry can succeed (0 when allowed) */
  retryAfter: number;
}

/** Pure window arithmetic, shared by the object and its tests. */
export function decide(
  count: number,
  limit: number,
  windowStart: number,
  windowSeconds: number,
  nowSec: number,
): RateDecision {
  const resetAt = windowStart + windowSeconds;
  const allowed = count <= limit;
  return {
    allowed,
    limit,
    remaining: Math.max(0, limit - count),
    resetAt,
    retryAfter: allowed ? 0 : Math.max(1, resetAt - nowSec),
  };
}

const SWEEP_EVERY_MS = 10 * 60 * 1000;
/**
 * Counters live in memory and are written behind, at most this often. A SQLite write gates every
 * response that follows it until the write is durable (the output gate), so writing each hit made
 * every REST request wait for a storage commit (an fsync under local workerd: docs/BENCHMARKS.md).
 * What an eviction can lose is the hits of the last FLUSH_EVERY_MS, which errs toward allowing a
 * handful of extra requests, never toward refusing.
 */
export const FLUSH_EVERY_MS = 1_000;

interface Counter {
  windowStart: number;
  windowSeconds: number;
  count: number;
}

export class RateLimiter extends DurableObject<Bindings> {
  #sweepScheduled = false;
  #counters = new Map<string, Counter>();
  #dirty = new Set<string>();
  #lastFlush = 0;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "create table if not exists counters (key text primary key, window_start integer not null, window_seconds integer not null, count integer not null)",
    );
    const rows = ctx.storage.sql.exec<{ key: string; window_start: number; window_seconds: number; count: number }>(
      "select key, window_start, window_seconds, count from counters",
    );
    for (const r of rows)
      this.#counters.set(r.key, { windowStart: r.window_start, windowSeconds: r.window_seconds, count: r.count });
  }

  /** Count one hit for `key` and say whether it is within `limit` per `windowSeconds`. */
  async hit(key: string, limit: number, windowSeconds: number, nowMs: number = Date.now()): Promise<RateDecision> {
    const nowSec = Math.floor(nowMs / 1000);
    const windowStart = nowSec - (nowSec % windowSeconds);
    let c = this.#counters.get(key);
    if (!c || c.windowStart !== windowStart || c.windowSeconds !== windowSeconds) {
      c = { windowStart, windowSeconds, count: 0 };
      this.#counters.set(key, c);
    }
    c.count++;
    this.#dirty.add(key);
    if (Date.now() - this.#lastFlush >= FLUSH_EVERY_MS) this.#flush();
    // the sweep alarm is checked once per object instance, not on every hit
    if (!this.#sweepScheduled) {
      this.#sweepScheduled = true;
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
    }
    return decide(c.count, limit, windowStart, windowSeconds, nowSec);
  }

  /** Write the counters changed since the last flush, in one transaction. */
  #flush(): void {
    this.#lastFlush = Date.now();
    if (this.#dirty.size === 0) return;
    const sqlite = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const key of this.#dirty) {
        const c = this.#counters.get(key);
        if (!c) continue;
        sqlite.exec(
          `insert into counters (key, window_start, window_seconds, count) values (?1, ?2, ?3, ?4)
           on conflict (key) do update set window_start = ?2, window_seconds = ?3, count = ?4`,
          key,
          c.windowStart,
          c.windowSeconds,
          c.count,
        );
      }
    });
    this.#dirty.clear();
  }

  /** Forget a key (e.g. tests, or an operator lifting a limit). */
  async reset(key: string): Promise<void> {
    this.#counters.delete(key);
    this.#dirty.delete(key);
    this.ctx.storage.sql.exec("delete from counters where key = ?", key);
  }

  override async alarm(): Promise<void> {
    this.#flush();
    const nowSec = Math.floor(Date.now() / 1000);
    for (const [key, c] of this.#counters) if (c.windowStart + c.windowSeconds < nowSec) this.#counters.delete(key);
    this.ctx.storage.sql.exec("delete from counters where window_start + window_seconds < ?", nowSec);
    const left = this.#counters.size;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
    this.#sweepScheduled = left > 0;
  }
}
