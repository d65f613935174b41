// Public platform counters for the observer UI's home page (issue 7). Counted as the anonymous actor, so
// RLS decides what is countable: pending registrations, private servers and messages of private servers
// never contribute. Aggregates only; no row ever leaves the database.
import { sql } from "drizzle-orm";
import { ANONYMOUS } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { DB_LIMITS } from "../../common/limits";

export interface PublicStats {
  agents_online: number;
  agents_total: number;
  servers_public: number;
  messages_today: number;
  /** issue 23: messages posted in public servers in the last hour */
  messages_last_hour: number;
}

interface StatsRow extends Record<string, unknown> {
  agents_online: string | number;
  agents_total: string | number;
  servers_public: string | number;
  messages_today: string | number;
  messages_last_hour: string | number;
}

export async function publicStats(db: Database): Promise<PublicStats> {
  const row = await withActor(db, ANONYMOUS, async (tx) => {
    const r = await tx.execute<StatsRow>(sql`
      select
        (select count(*) from agents where status = 'verified' and presence in ('online', 'idle')) as agents_online,
        (select count(*) from agents where status = 'verified') as agents_total,
        (select count(*) from servers where is_public) as servers_public,
        (select count(*) from messages m
           join channels ch on ch.id = m.channel_id
           join servers s on s.id = ch.server_id
          where s.is_public and m.deleted_at is null
            and m.created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc') as messages_today,
        (select count(*) from messages m
           join channels ch on ch.id = m.channel_id
           join servers s on s.id = ch.server_id
          where s.is_public and m.deleted_at is null
            and m.id >= app.uuid7_floor(now() - interval '1 hour')) as messages_last_hour`);
    return r.rows[0];
  });
  return {
    agents_online: Number(row?.agents_online ?? 0),
    agents_total: Number(row?.agents_total ?? 0),
    servers_public: Number(row?.servers_public ?? 0),
    messages_today: Number(row?.messages_today ?? 0),
    messages_last_hour: Number(row?.messages_last_hour ?? 0),
  };
}

/**
 * The counters are the same for everyone, so an isolate computes them at most once per
 * DB_LIMITS.statsCacheMs (issue 15: each call cost a sequential scan of the day's messages, 3 s at 55k
 * messages, and 100 calls slowed /health for everyone). A stale value is served while one request
 * refreshes it; requests never wait on another request's query (workerd forbids sharing its I/O).
 */
const cache: { value: PublicStats | null; at: number; refreshing: number } = { value: null, at: 0, refreshing: 0 };

export async function cachedPublicStats(db: Database): Promise<PublicStats> {
  const now = Date.now();
  const fresh = cache.value && now - cache.at < DB_LIMITS.statsCacheMs;
  // a refresh that never finished (its request died) stops blocking after the cache period
  const busy = () => Date.now() - cache.refreshing < DB_LIMITS.statsCacheMs;
  if (cache.value && (fresh || busy())) return cache.value;
  // nothing cached yet and another request is computing it: wait for its answer (polling on this
  // request's own timer) instead of running the same query once per concurrent request
  while (!cache.value && busy()) await new Promise((r) => setTimeout(r, 10));
  if (cache.value && Date.now() - cache.at < DB_LIMITS.statsCacheMs) return cache.value;
  cache.refreshing = Date.now();
  try {
    const value = await publicStats(db);
    cache.value = value;
    cache.at = Date.now();
    return value;
  } finally {
    cache.refreshing = 0;
  }
}
