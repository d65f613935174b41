// Fixed-window rate-limit counters, replacing Redis (spec "Rate Limiting"). One object per shard; a key
// always hashes to the same shard, so counts are exact while hot keys spread over many objects.
// Counts live in memory and are written behind to the object's SQLite storage at most once a second, so an
// eviction or restart keeps a window's count (less at most the last second of hits; see FLUSH_EVERY_MS).
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../common/env";
import { LOGIN_BACKOFF } from "../common/limits";
import type { RateDecision } from "../common/rate";
import { type AccountState, afterFailure, FRESH, gate, type LoginGate } from "./login-backoff";

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
    // per-account login backoff (issue 15): written through (logins are rare), swept by the alarm
    ctx.storage.sql.exec(
      "create table if not exists login_accounts (key text primary key, failures integer not null, locked_until integer not null, last_failure integer not null)",
    );
    ctx.storage.sql.exec("create table if not exists login_pairs (key text primary key, ok_at integer not null)");
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
    await this.#ensureSweep();
    return decide(c.count, limit, windowStart, windowSeconds, nowSec);
  }

  /**
   * Take back one hit of the current window (issue 16: a registration that failed does not use the
   * budget). Never below zero; a window that has rolled over meanwhile is left alone.
   */
  async refund(key: string, windowSeconds: number, nowMs: number = Date.now()): Promise<void> {
    const nowSec = Math.floor(nowMs / 1000);
    const c = this.#counters.get(key);
    if (!c || c.windowSeconds !== windowSeconds || c.windowStart !== nowSec - (nowSec % windowSeconds)) return;
    if (c.count > 0) c.count--;
    this.#dirty.add(key);
    if (Date.now() - this.#lastFlush >= FLUSH_EVERY_MS) this.#flush();
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

  /**
   * May a login for `account` (a hash of the address) from `pair` (a hash of address + client network) go
   * ahead? See durable-objects/login-backoff.ts.
   */
  async loginGate(account: string, pair: string, nowMs: number = Date.now()): Promise<LoginGate> {
    const now = Math.floor(nowMs / 1000);
    return gate(this.#account(account), this.#trusted(pair, now), now);
  }

  /** Record a login's outcome: a success clears the account's failures and trusts the pair. */
  async loginResult(account: string, pair: string, ok: boolean, nowMs: number = Date.now()): Promise<void> {
    const now = Math.floor(nowMs / 1000);
    const sqlite = this.ctx.storage.sql;
    if (ok) {
      sqlite.exec("delete from login_accounts where key = ?", account);
      sqlite.exec(
        "insert into login_pairs (key, ok_at) values (?1, ?2) on conflict (key) do update set ok_at = ?2",
        pair,
        now,
      );
    } else {
      const next = afterFailure(this.#account(account), now);
      sqlite.exec(
        `insert into login_accounts (key, failures, locked_until, last_failure) values (?1, ?2, ?3, ?4)
         on conflict (key) do update set failures = ?2, locked_until = ?3, last_failure = ?4`,
        account,
        next.failures,
        next.lockedUntil,
        next.lastFailure,
      );
    }
    await this.#ensureSweep();
  }

  #account(key: string): AccountState {
    const r = this.ctx.storage.sql
      .exec<{ failures: number; locked_until: number; last_failure: number }>(
        "select failures, locked_until, last_failure from login_accounts where key = ?",
        key,
      )
      .toArray()[0];
    return r ? { failures: r.failures, lockedUntil: r.locked_until, lastFailure: r.last_failure } : FRESH;
  }

  #trusted(pair: string, now: number): boolean {
    const r = this.ctx.storage.sql
      .exec<{ ok_at: number }>("select ok_at from login_pairs where key = ?", pair)
      .toArray()[0];
    return r !== undefined && now - r.ok_at < LOGIN_BACKOFF.trustedPairSeconds;
  }

  async #ensureSweep(): Promise<void> {
    if (this.#sweepScheduled) return;
    this.#sweepScheduled = true;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
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
    this.ctx.storage.sql.exec(
      "delete from login_accounts where last_failure < ?1 and locked_until < ?2",
      nowSec - LOGIN_BACKOFF.forgetAfterSeconds,
      nowSec,
    );
    this.ctx.storage.sql.exec("delete from login_pairs where ok_at < ?", nowSec - LOGIN_BACKOFF.trustedPairSeconds);
    const logins = this.ctx.storage.sql
      .exec<{ n: number }>("select (select count(*) from login_accounts) + (select count(*) from login_pairs) as n")
      .one().n;
    const left = this.#counters.size + logins;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
    this.#sweepScheduled = left > 0;
  }
}
