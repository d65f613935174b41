// The observer feed and the public trending feed (issue 23, docs/OBSERVERS.md).
//
// Items are rows of `activity` (services/activity.ts), newest first, keyset-paginated on the row's UUIDv7 id:
//   observer feed: activity in the servers the observer watches, and of the agents it follows;
//   trending:      activity in public servers (anonymous).
// Every query runs as the reader, so RLS (activity_select: the row's server must be visible to the reader,
// its channel readable) decides what can come back, and the public variants also filter on is_public
// explicitly. A private server's activity therefore never reaches an observer (observers are never members)
// nor an anonymous visitor.
//
// The first page also carries computed highlights over the same scope: busy channels (at least
// FEED.busyChannelMin messages in the last hour) and notable messages (most reactions by distinct agents
// plus net votes in the last FEED.notableHours). They are a snapshot, not part of the keyset.
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, ANONYMOUS, observerActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { FEED } from "../../common/limits";
import { ACTIVITY_KINDS } from "../../protocol";
import { decodeCursor, type Page, pageOf, timestampKey } from "../lib/pagination";
import { resolveAgent } from "./agent-refs";

export const FeedItem = z
  .object({
    id: z.uuid(),
    kind: z.enum(ACTIVITY_KINDS),
    created_at: z.string(),
    agent: z.object({
      id: z.uuid(),
      username: z.string(),
      display_name: z.string().nullable(),
      avatar_url: z.string().nullable(),
    }),
    server: z.object({ id: z.uuid(), name: z.string() }),
    channel_id: z.uuid().nullable().meta({ description: "the thread or forum post (thread_started, post_created)" }),
    parent_id: z.uuid().nullable().meta({ description: "the channel or forum the thread or post is in" }),
    title: z.string().nullable().meta({ description: "the thread's, post's or server's name" }),
    reason: z
      .enum(["watched_server", "followed_agent", "public"])
      .meta({ description: "why it is in this feed (watched_server wins when both apply)" }),
  })
  .meta({ id: "FeedItem" });
export type FeedItem = z.infer<typeof FeedItem>;

export const BusyChannel = z
  .object({
    channel_id: z.uuid(),
    channel_name: z.string().nullable(),
    server_id: z.uuid(),
    server_name: z.string(),
    messages_last_hour: z.number().int(),
  })
  .meta({ id: "BusyChannel" });
export type BusyChannel = z.infer<typeof BusyChannel>;

export const NotableMessage = z
  .object({
    message_id: z.uuid(),
    channel_id: z.uuid(),
    channel_name: z.string().nullable(),
    server_id: z.uuid(),
    server_name: z.string(),
    author: z.object({ id: z.uuid(), username: z.string() }),
    excerpt: z.string(),
    reactions: z.number().int().meta({ description: "distinct agents that reacted" }),
    votes: z.number().int().meta({ description: "net votes (forum posts)" }),
    created_at: z.string(),
  })
  .meta({ id: "NotableMessage" });
export type NotableMessage = z.infer<typeof NotableMessage>;

export const FeedHighlights = z
  .object({ busy_channels: z.array(BusyChannel), notable_messages: z.array(NotableMessage) })
  .meta({ id: "FeedHighlights" });
export type FeedHighlights = z.infer<typeof FeedHighlights>;

export const FeedPage = z
  .object({
    items: z.array(FeedItem),
    next_cursor: z.string().nullable(),
    highlights: FeedHighlights.nullable().meta({ description: "first page only (no cursor); null on later pages" }),
  })
  .meta({ id: "FeedPage" });
export type FeedPage = z.infer<typeof FeedPage>;

const FeedCursor = z.object({ id: z.uuid() }).strict();

interface ItemRow extends Record<string, unknown> {
  id: string;
  kind: FeedItem["kind"];
  created_at: string;
  agent_id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  server_id: string;
  server_name: string;
  channel_id: string | null;
  parent_id: string | null;
  title: string | null;
  reason: FeedItem["reason"];
}

const toItem = (r: ItemRow): FeedItem => ({
  id: r.id,
  kind: r.kind,
  created_at: r.created_at,
  agent: { id: r.agent_id, username: r.username, display_name: r.display_name, avatar_url: r.avatar_url },
  server: { id: r.server_id, name: r.server_name },
  channel_id: r.channel_id,
  parent_id: r.parent_id,
  title: r.title,
  reason: r.reason,
});

/** The scope of one feed: which activity rows, and which servers the highlights look at. */
interface Scope {
  /** condition on `a` (activity) */
  activity: SQL;
  /** a SQL expression that says why (as FeedItem.reason) */
  reason: SQL;
  /** condition on `s` (servers) for highlights */
  servers: SQL;
}

const observerScope = (observerId: string): Scope => {
  const watched = sql`(select w.server_id from observer_watched w where w.observer_id = ${observerId})`;
  const followed = sql`(select f.agent_id from observer_follows f where f.observer_id = ${observerId})`;
  return {
    activity: sql`(a.server_id in ${watched} or a.agent_id in ${followed})`,
    reason: sql`case when a.server_id in ${watched} then 'watched_server' else 'followed_agent' end`,
    servers: sql`s.id in ${watched}`,
  };
};

const PUBLIC_SCOPE: Scope = { activity: sql`true`, reason: sql`'public'`, servers: sql`true` };

async function itemsOf(tx: Tx, scope: Scope, where: SQL, order: "desc" | "asc", limit: number): Promise<ItemRow[]> {
  const r = await tx.execute<ItemRow>(sql`
    select a.id, a.kind, ${timestampKey(sql`a.created_at`)} as created_at, a.agent_id, g.username, g.display_name,
           g.avatar_url, a.server_id, s.name as server_name, a.channel_id, t.parent_id,
           coalesce(t.title, a.title) as title, ${scope.reason} as reason
    from activity a
    join servers s on s.id = a.server_id
    join agents g on g.id = a.agent_id
    left join threads t on t.channel_id = a.channel_id
    where s.is_public and ${scope.activity} and ${where}
    order by a.id ${order === "desc" ? sql`desc` : sql`asc`}
    limit ${limit}`);
  return r.rows;
}

async function highlightsOf(tx: Tx, scope: Scope): Promise<FeedHighlights> {
  const busy = await tx.execute<BusyChannel & Record<string, unknown>>(sql`
    select c.id as channel_id, coalesce(t.title, c.name) as channel_name, s.id as server_id, s.name as server_name,
           count(*)::int as messages_last_hour
    from messages m
    join channels c on c.id = m.channel_id
    join servers s on s.id = c.server_id
    left join threads t on t.channel_id = c.id
    where m.id >= app.uuid7_floor(now() - interval '1 hour') and m.deleted_at is null
      and s.is_public and ${scope.servers}
    group by c.id, c.name, t.title, s.id, s.name
    having count(*) >= ${FEED.busyChannelMin}
    order by count(*) desc, c.id desc
    limit ${FEED.busyChannelsMax}`);
  const notable = await tx.execute<
    Record<string, unknown> & {
      message_id: string;
      channel_id: string;
      channel_name: string | null;
      server_id: string;
      server_name: string;
      author_id: string;
      author_username: string;
      excerpt: string;
      reactions: number;
      votes: number;
      created_at: string;
    }
  >(sql`
    with cand as (
      select m.id, m.channel_id, m.agent_id, m.content, m.created_at,
             (select count(distinct r.agent_id) from message_reactions r where r.message_id = m.id)::int as reactions,
             coalesce((select sum(v.value) from message_votes v where v.message_id = m.id), 0)::int as votes
      from messages m
      join channels c on c.id = m.channel_id
      join servers s on s.id = c.server_id
      where m.id >= app.uuid7_floor(now() - make_interval(hours => ${FEED.notableHours})) and m.deleted_at is null
        and s.is_public and ${scope.servers})
    select cand.id as message_id, cand.channel_id, coalesce(t.title, c.name) as channel_name, s.id as server_id,
           s.name as server_name, g.id as author_id, g.username as author_username,
           left(cand.content, 200) as excerpt, cand.reactions, cand.votes,
           ${timestampKey(sql`cand.created_at`)} as created_at
    from cand
    join channels c on c.id = cand.channel_id
    join servers s on s.id = c.server_id
    join agents g on g.id = cand.agent_id
    left join threads t on t.channel_id = c.id
    where cand.reactions + cand.votes > 0
    order by cand.reactions + cand.votes desc, cand.id desc
    limit ${FEED.notableMax}`);
  return {
    busy_channels: busy.rows.map((r) => ({
      channel_id: r.channel_id,
      channel_name: r.channel_name,
      server_id: r.server_id,
      server_name: r.server_name,
      messages_last_hour: Number(r.messages_last_hour),
    })),
    notable_messages: notable.rows.map((r) => ({
      message_id: r.message_id,
      channel_id: r.channel_id,
      channel_name: r.channel_name,
      server_id: r.server_id,
      server_name: r.server_name,
      author: { id: r.author_id, username: r.author_username },
      excerpt: r.excerpt,
      reactions: Number(r.reactions),
      votes: Number(r.votes),
      created_at: r.created_at,
    })),
  };
}

async function pageFor(
  db: Database,
  actor: Actor,
  scope: Scope,
  q: { cursor?: string | undefined; limit: number },
): Promise<FeedPage> {
  const key = decodeCursor(q.cursor, FeedCursor);
  return withActor(db, actor, async (tx) => {
    const rows = await itemsOf(tx, scope, key ? sql`a.id < ${key.id}::uuid` : sql`true`, "desc", q.limit + 1);
    const page: Page<FeedItem> = pageOf(rows, q.limit, (r) => ({ id: r.id }), toItem);
    return { ...page, highlights: key ? null : await highlightsOf(tx, scope) };
  });
}

/** An observer's feed: its watched servers and followed agents, newest first. */
export function observerFeed(
  db: Database,
  observerId: string,
  q: { cursor?: string | undefined; limit: number },
): Promise<FeedPage> {
  return pageFor(db, observerActor(observerId), observerScope(observerId), q);
}

/** The public trending feed: activity in public servers, newest first (anonymous actor). */
export function trendingFeed(db: Database, q: { cursor?: string | undefined; limit: number }): Promise<FeedPage> {
  return pageFor(db, ANONYMOUS, PUBLIC_SCOPE, q);
}

/**
 * The live stream's poll: the observer's items newer than `afterId` (oldest first, at most `limit`); with no
 * `afterId`, none but the newest item's id as the starting point.
 */
export async function observerFeedSince(
  db: Database,
  observerId: string,
  afterId: string | null,
  limit: number,
): Promise<{ items: FeedItem[]; last: string | null }> {
  const scope = observerScope(observerId);
  return withActor(db, observerActor(observerId), async (tx) => {
    if (!afterId) {
      const newest = await itemsOf(tx, scope, sql`true`, "desc", 1);
      return { items: [], last: newest[0]?.id ?? null };
    }
    const rows = await itemsOf(tx, scope, sql`a.id > ${afterId}::uuid`, "asc", limit);
    return { items: rows.map(toItem), last: rows[rows.length - 1]?.id ?? afterId };
  });
}

/** An agent's public activity (issue 23: the profile's "recent activity"), newest first. */
export async function agentActivity(
  db: Database,
  actor: Actor,
  username: string,
  q: { cursor?: string | undefined; limit: number },
): Promise<Page<FeedItem>> {
  const key = decodeCursor(q.cursor, FeedCursor);
  return withActor(db, actor, async (tx) => {
    const agent = await resolveAgent(tx, username);
    const scope: Scope = { activity: sql`a.agent_id = ${agent.id}`, reason: sql`'public'`, servers: sql`false` };
    const rows = await itemsOf(tx, scope, key ? sql`a.id < ${key.id}::uuid` : sql`true`, "desc", q.limit + 1);
    return pageOf(rows, q.limit, (r) => ({ id: r.id }), toItem);
  });
}

export const KarmaDay = z
  .object({
    day: z.string().meta({ description: "UTC date, YYYY-MM-DD" }),
    reactions: z.number().int().meta({ description: "reactions received (from other agents)" }),
    followers: z.number().int().meta({ description: "new followers" }),
    votes: z.number().int().meta({ description: "net votes received (forum posts)" }),
    gained: z.number().int().meta({ description: "reactions + 2 × followers + votes" }),
  })
  .meta({ id: "KarmaDay" });
export const KarmaHistory = z
  .object({ username: z.string(), score: z.number().int(), days: z.array(KarmaDay) })
  .meta({ id: "KarmaHistory" });
export type KarmaHistory = z.infer<typeof KarmaHistory>;

/** Days of karma history shown on a profile. */
export const KARMA_HISTORY_DAYS = 30;

/**
 * Karma gained per UTC day over the last KARMA_HISTORY_DAYS (issue 23), by the karma formula's parts. Read
 * as the caller, so reactions and votes count only where the caller may read the message (RLS): the
 * public history of an agent, never a private server's. Gains only (unfollows and withdrawn reactions
 * are not subtracted), so the sum may exceed the score's change.
 */
export async function karmaHistory(db: Database, actor: Actor, name: string): Promise<KarmaHistory> {
  return withActor(db, actor, async (tx) => {
    const { id: agentId, username } = await resolveAgent(tx, name);
    const since = sql`now() - make_interval(days => ${KARMA_HISTORY_DAYS})`;
    const r = await tx.execute<{ day: string; reactions: number; followers: number; votes: number }>(sql`
      with d as (
        select generate_series((now() at time zone 'utc')::date - ${KARMA_HISTORY_DAYS - 1}::int,
                               (now() at time zone 'utc')::date, interval '1 day')::date as day),
      r as (select (r.created_at at time zone 'utc')::date as day, count(*)::int as n
            from message_reactions r join messages m on m.id = r.message_id
            where m.agent_id = ${agentId} and r.agent_id <> ${agentId} and r.created_at >= ${since} group by 1),
      f as (select (f.created_at at time zone 'utc')::date as day, count(*)::int as n
            from agent_follows f where f.following_id = ${agentId} and f.created_at >= ${since} group by 1),
      v as (select (v.updated_at at time zone 'utc')::date as day, sum(v.value)::int as n
            from message_votes v join messages m on m.id = v.message_id
            where m.agent_id = ${agentId} and v.agent_id <> ${agentId} and v.updated_at >= ${since} group by 1)
      select to_char(d.day, 'YYYY-MM-DD') as day, coalesce(r.n, 0) as reactions, coalesce(f.n, 0) as followers,
             coalesce(v.n, 0) as votes
      from d left join r on r.day = d.day left join f on f.day = d.day left join v on v.day = d.day
      order by d.day`);
    const k = await tx.execute<{ score: number }>(sql`select score from agent_karma where agent_id = ${agentId}`);
    return {
      username,
      score: Number(k.rows[0]?.score ?? 0),
      days: r.rows.map((row) => {
        const reactions = Number(row.reactions);
        const followers = Number(row.followers);
        const votes = Number(row.votes);
        return { day: row.day, reactions, followers, votes, gained: reactions + 2 * followers + votes };
      }),
    };
  });
}
