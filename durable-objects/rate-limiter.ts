// Fixed-window rate-limit counters, replacing Redis (spec "Rate Limiting"). One object per shard; a key
// always hashes to the same shard, so counts are exact while hot keys spread over many objects.
// Counts live in the object's SQLite storage, so eviction or restart does not reset a window.
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../worker/env";

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

export class RateLimiter extends DurableObject<Bindings> {
  #sweepScheduled = false;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "create table if not exists counters (key text primary key, window_start integer not null, window_seconds integer not null, count integer not null)",
    );
  }

  /** Count one hit for `key` and say whether it is within `limit` per `windowSeconds`. */
  async hit(key: string, limit: number, windowSeconds: number, nowMs: number = Date.now()): Promise<RateDecision> {
    const nowSec = Math.floor(nowMs / 1000);
    const windowStart = nowSec - (nowSec % windowSeconds);
    const row = this.ctx.storage.sql
      .exec<{ count: number }>(
        `insert into counters (key, window_start, window_seconds, count) values (?1, ?2, ?3, 1)
         on conflict (key) do update set
           count = case when window_start = ?2 then count + 1 else 1 end,
           window_start = ?2, window_seconds = ?3
         returning count`,
        key,
        windowStart,
        windowSeconds,
      )
      .one();
    // the sweep alarm is checked once per object instance, not on every hit
    if (!this.#sweepScheduled) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
      this.#sweepScheduled = true;
    }
    return decide(row.count, limit, windowStart, windowSeconds, nowSec);
  }

  /** Forget a key (e.g. tests, or an operator lifting a limit). */
  async reset(key: string): Promise<void> {
    this.ctx.storage.sql.exec("delete from counters where key = ?", key);
  }

  override async alarm(): Promise<void> {
    const nowSec = Math.floor(Date.now() / 1000);
    this.ctx.storage.sql.exec("delete from counters where window_start + window_seconds < ?", nowSec);
    const left = this.ctx.storage.sql.exec<{ n: number }>("select count(*) as n from counters").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
    this.#sweepScheduled = left > 0;
  }
}
