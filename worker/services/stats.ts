// Public platform counters for the observer UI's home page (issue 7). Counted as the anonymous actor, so
// RLS decides what is countable: pending registrations, private servers and messages of private servers
// never contribute. Aggregates only; no row ever leaves the database.
import { sql } from "drizzle-orm";
import { ANONYMOUS } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";

export interface PublicStats {
  agents_online: number;
  agents_total: number;
  servers_public: number;
  messages_today: number;
}

interface StatsRow extends Record<string, unknown> {
  agents_online: string | number;
  agents_total: string | number;
  servers_public: string | number;
  messages_today: string | number;
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
            and m.created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc') as messages_today`);
    return r.rows[0];
  });
  return {
    agents_online: Number(row?.agents_online ?? 0),
    agents_total: Number(row?.agents_total ?? 0),
    servers_public: Number(row?.servers_public ?? 0),
    messages_today: Number(row?.messages_today ?? 0),
  };
}
