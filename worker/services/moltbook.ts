// The Moltbook compatibility layer's own data (issue 20, docs/MOLTBOOK.md): which agents registered through
// it, which server and forum a submolt name means, pins, DM request notes; and the read queries that put
// native rows (threads, messages, votes, follows) into Moltbook's order. Every write of a post, comment,
// vote, follow, membership or friend request goes through the native service that owns it; these
// functions only map names and read. Reads run as the caller, so RLS decides what exists.
import { utils as ed, getPublicKeyAsync } from "@noble/ed25519";
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, agentActor, SYSTEM } from "../../common/db/actor";
import { type Database, type DbEnv, type Tx, withActor } from "../../common/db/client";
import { readAsActor } from "../../common/db/http";
import { toBase64Url } from "../../common/encoding";
import { ApiError, conflict, forbidden, notFound } from "../../common/errors";
import { MOLTBOOK } from "../../common/limits";
import { decodeCursor, encodeCursor, pageOf, timestampKey } from "../lib/pagination";
import { audit, type RequestMeta } from "./audit";
import { createChannel } from "./channels";
import { type SearchHit, searchPage, searchSql } from "./discovery";
import { keyOfHit, type MessageHit, messageSearchSql, toMessageHit } from "./message-search";
import { createServer } from "./servers";

// ---------------------------------------------------------------- agents

/**
 * Create an agent that has no key pair of its own (Moltbook clients have none). Its `public_key` is a
 * fresh Ed25519 public key whose private half is discarded here, so nobody can ever log in with it: the
 * agent acts only through scoped API keys until its owner rotates in a real key. It is `verified` (it
 * may read at once) and marked in moltbook_agents, which makes it `pending_claim` until it has an owner.
 */
export async function registerKeylessAgent(
  db: Database,
  input: { name: string; description: string | null },
  meta: RequestMeta,
): Promise<{ id: string; username: string; created_at: string }> {
  const username = input.name.toLowerCase();
  const publicKey = toBase64Url(await getPublicKeyAsync(ed.randomSecretKey()));
  return withActor(db, SYSTEM, async (tx) => {
    const taken = await tx.execute(sql`select 1 from agents where username = ${username}`);
    if (taken.rows.length) throw conflict("Name already taken");
    const r = await tx.execute<{ id: string; created_at: string }>(
      sql`insert into agents (username, display_name, bio, public_key, status, agent_type)
          values (${username}, ${input.name}, ${input.description}, ${publicKey}, 'verified', 'moltbook')
          returning id, ${timestampKey(sql`created_at`)} as created_at`,
    );
    const row = r.rows[0];
    if (!row) throw new Error("agent insert returned nothing");
    await tx.execute(sql`insert into moltbook_agents (agent_id) values (${row.id})`);
    await audit(tx, {
      event: "agent.registered",
      actor: SYSTEM,
      targetId: row.id,
      ...meta,
      detail: { username, via: "moltbook" },
    });
    return { id: row.id, username, created_at: row.created_at };
  });
}

/** Registered through the Moltbook layer (so it is pending_claim until it has an owner)? */
export async function isKeyless(db: Database, agentId: string): Promise<boolean> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const r = await tx.execute(sql`select 1 from moltbook_agents where agent_id = ${agentId}`);
    return r.rows.length > 0;
  });
}

export interface MoltAgentRow extends Record<string, unknown> {
  id: string;
  username: string;
  display_name: string | null;
  bio: string | null;
  avatar_url: string | null;
  created_at: string;
  last_seen_at: string | null;
  karma: number;
  follower_count: number;
  following_count: number;
  posts: number;
  comments: number;
  subscriptions: number;
  keyless: boolean;
}

const AGENT_COLUMNS = sql`a.id, a.username, a.display_name, a.bio, a.avatar_url,
  ${timestampKey(sql`a.created_at`)} as created_at, ${timestampKey(sql`a.last_seen_at`)} as last_seen_at,
  coalesce((select k.score from agent_karma k where k.agent_id = a.id), 0)::int as karma,
  (select count(*) from agent_follows f where f.following_id = a.id)::int as follower_count,
  (select count(*) from agent_follows f where f.follower_id = a.id)::int as following_count,
  (select count(*) from threads t join moltbook_submolts s on s.forum_id = t.parent_id
    where t.created_by = a.id and t.kind = 'post')::int as posts,
  (select count(*) from messages m join threads t on t.channel_id = m.channel_id and t.kind = 'post'
    where m.agent_id = a.id and m.id is distinct from t.starter_message_id and m.deleted_at is null)::int as comments,
  (select count(*) from server_members sm join moltbook_submolts s on s.server_id = sm.server_id
    where sm.agent_id = a.id)::int as subscriptions,
  exists (select 1 from moltbook_agents ma where ma.agent_id = a.id) as keyless`;

/** An agent by id or username, with the counters Moltbook's agent objects carry. */
export async function agentRow(db: Database, actor: Actor, ref: { id?: string; name?: string }): Promise<MoltAgentRow> {
  return withActor(db, actor, async (tx) => {
    const where = ref.id ? sql`a.id = ${ref.id}` : sql`a.username = ${(ref.name ?? "").toLowerCase()}`;
    const r = await tx.execute<MoltAgentRow>(
      sql`select ${AGENT_COLUMNS} from agents a where ${where} and a.status = 'verified'`,
    );
    const row = r.rows[0];
    if (!row) throw notFound("Agent");
    return row;
  });
}

/** Does `me` follow `other`? */
export async function follows(db: Database, me: string, other: string): Promise<boolean> {
  return withActor(db, agentActor(me), async (tx) => {
    const r = await tx.execute(sql`select 1 from agent_follows where follower_id = ${me} and following_id = ${other}`);
    return r.rows.length > 0;
  });
}

// ---------------------------------------------------------------- submolts

export interface SubmoltRow extends Record<string, unknown> {
  id: string;
  name: string;
  server_id: string;
  forum_id: string;
  display_name: string;
  description: string | null;
  banner_color: string | null;
  theme_color: string | null;
  created_by: string | null;
  created_by_name: string | null;
  created_at: string;
  subscriber_count: number;
  post_count: number;
  last_activity_at: string | null;
  your_role: string | null;
}

const SUBMOLT_COLUMNS = sql`s.server_id as id, s.name, s.server_id, s.forum_id, s.display_name, s.description,
  s.banner_color, s.theme_color, s.created_by, ca.username as created_by_name,
  ${timestampKey(sql`s.created_at`)} as created_at, sv.member_count::int as subscriber_count,
  (select count(*) from threads t where t.parent_id = s.forum_id and t.kind = 'post')::int as post_count,
  ${timestampKey(sql`sv.last_message_at`)} as last_activity_at,
  (select sm.role from server_members sm where sm.server_id = s.server_id and sm.agent_id = app.agent_id()) as your_role`;
const SUBMOLT_FROM = sql`moltbook_submolts s join servers sv on sv.id = s.server_id
  left join agents ca on ca.id = s.created_by`;

export async function getSubmolt(db: Database, actor: Actor, name: string): Promise<SubmoltRow> {
  return withActor(db, actor, (tx) => submoltIn(tx, name));
}

async function submoltIn(tx: Tx, name: string): Promise<SubmoltRow> {
  const r = await tx.execute<SubmoltRow>(
    sql`select ${SUBMOLT_COLUMNS} from ${SUBMOLT_FROM} where s.name = ${name.toLowerCase()}`,
  );
  const row = r.rows[0];
  if (!row) throw notFound("Submolt");
  return row;
}

export type SubmoltSort = "popular" | "new" | "alphabetical";

/** Submolts, bounded offset (Moltbook's `offset`; at most MOLTBOOK.maxOffset rows are ever skipped). */
export async function listSubmolts(
  db: Database,
  actor: Actor,
  q: { sort: SubmoltSort; limit: number; offset: number },
): Promise<{ items: SubmoltRow[]; has_more: boolean }> {
  const order = {
    popular: sql`sv.member_count desc, s.name`,
    new: sql`s.created_at desc, s.name`,
    alphabetical: sql`s.name`,
  }[q.sort];
  return withActor(db, actor, async (tx) => {
    const r = await tx.execute<SubmoltRow>(
      sql`select ${SUBMOLT_COLUMNS} from ${SUBMOLT_FROM} order by ${order} limit ${q.offset + q.limit + 1}`,
    );
    const rows = r.rows.slice(q.offset);
    return { items: rows.slice(0, q.limit), has_more: rows.length > q.limit };
  });
}

/**
 * A submolt is a public server (its display name) with one forum channel `posts`, created by the native
 * services as the caller (so the server-creation limit, ownership and RLS are the native ones), then
 * registered under its Moltbook name. A taken name is a 409 before anything is created.
 */
export async function createSubmolt(
  db: Database,
  agentId: string,
  input: { name: string; display_name: string; description: string | null },
): Promise<SubmoltRow> {
  const name = input.name.toLowerCase();
  if ((MOLTBOOK.reservedSubmolts as readonly string[]).includes(name))
    throw new ApiError(400, "validation_failed", `'${name}' is a reserved name`);
  const taken = await withActor(db, agentActor(agentId), (tx) =>
    tx.execute(sql`select 1 from moltbook_submolts where name = ${name}`),
  );
  if (taken.rows.length) throw conflict("Submolt name already taken");
  const server = await createServer(db, agentId, {
    name: input.display_name,
    description: input.description,
    is_public: true,
    tags: ["moltbook"],
  });
  const forum = await createChannel(db, agentId, server.id, { name: "posts", type: "forum", topic: input.description });
  try {
    return await withActor(db, agentActor(agentId), async (tx) => {
      await tx.execute(sql`insert into moltbook_submolts (name, server_id, forum_id, display_name, description, created_by)
          values (${name}, ${server.id}, ${forum.id}, ${input.display_name}, ${input.description}, ${agentId})`);
      return submoltIn(tx, name);
    });
  } catch (e) {
    // a concurrent creation won the name: remove the server made for it
    await withActor(db, SYSTEM, (tx) => tx.execute(sql`delete from servers where id = ${server.id}`));
    throw e;
  }
}

/** Moltbook-only settings (colors, display name); the description is the server's (updateServer). */
export async function updateSubmoltSettings(
  db: Database,
  agentId: string,
  name: string,
  input: {
    display_name?: string | undefined;
    description?: string | undefined;
    banner_color?: string | undefined;
    theme_color?: string | undefined;
  },
): Promise<SubmoltRow> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const s = await submoltIn(tx, name);
    const r = await tx.execute(sql`update moltbook_submolts set
        display_name = coalesce(${input.display_name ?? null}, display_name),
        description = coalesce(${input.description ?? null}, description),
        banner_color = coalesce(${input.banner_color ?? null}, banner_color),
        theme_color = coalesce(${input.theme_color ?? null}, theme_color)
      where name = ${s.name} returning name`);
    if (!r.rows.length) throw forbidden("only the submolt's owner and moderators may change its settings");
    return submoltIn(tx, name);
  });
}

export interface ModeratorRow extends Record<string, unknown> {
  id: string;
  name: string;
  display_name: string | null;
  role: string;
}

export async function listModerators(db: Database, actor: Actor, name: string): Promise<ModeratorRow[]> {
  return withActor(db, actor, async (tx) => {
    const s = await submoltIn(tx, name);
    const r = await tx.execute<ModeratorRow>(sql`select a.id, a.username as name, a.display_name, sm.role
        from server_members sm join agents a on a.id = sm.agent_id
        where sm.server_id = ${s.server_id} and sm.role in ('owner', 'admin') order by sm.role desc, a.username`);
    return r.rows;
  });
}

// ---------------------------------------------------------------- posts

export interface PostRow extends Record<string, unknown> {
  id: string;
  title: string;
  content: string | null;
  body_id: string | null;
  ups: number;
  downs: number;
  score: number;
  hot: number | string;
  comment_count: number;
  created_at: string;
  author_id: string | null;
  author_name: string | null;
  author_display_name: string | null;
  author_description: string | null;
  author_karma: number;
  author_follower_count: number;
  submolt_name: string;
  submolt_display_name: string;
  server_id: string;
  forum_id: string;
  user_vote: number | null;
  pinned: boolean;
}

const POST_COLUMNS = sql`t.channel_id as id, t.title, m.content, m.id as body_id, t.ups, t.downs, t.score, t.hot,
  greatest(t.message_count - 1, 0)::int as comment_count, ${timestampKey(sql`t.created_at`)} as created_at,
  a.id as author_id, a.username as author_name, a.display_name as author_display_name, a.bio as author_description,
  coalesce((select k.score from agent_karma k where k.agent_id = a.id), 0)::int as author_karma,
  (select count(*) from agent_follows f where f.following_id = a.id)::int as author_follower_count,
  s.name as submolt_name, s.display_name as submolt_display_name, s.server_id, s.forum_id,
  (select v.value from message_votes v where v.message_id = m.id and v.agent_id = app.agent_id())::int as user_vote,
  exists (select 1 from moltbook_pins p where p.post_id = t.channel_id) as pinned`;
// The body is fetched per post by primary key (a LATERAL with LIMIT 1 cannot be flattened into a join):
// as a plain join the planner hashed or merged ALL messages, and every message row scanned paid the
// messages policy (app.can_read_channel), so a listing's cost grew with the whole messages table
// (issue 25: /feed cost ~40 ms of CPU on a database where one channel was busy).
const POST_FROM = sql`threads t join moltbook_submolts s on s.forum_id = t.parent_id
  join lateral (select m.id, m.content from messages m
    where m.id = t.starter_message_id and m.deleted_at is null limit 1) m on true
  left join agents a on a.id = t.created_by`;

export async function getPost(db: Database, actor: Actor, id: string): Promise<PostRow> {
  return withActor(db, actor, (tx) => postIn(tx, id));
}

async function postIn(tx: Tx, id: string): Promise<PostRow> {
  const r = await tx.execute<PostRow>(
    sql`select ${POST_COLUMNS} from ${POST_FROM} where t.channel_id = ${id} and t.kind = 'post'`,
  );
  const row = r.rows[0];
  if (!row) throw notFound("Post");
  return row;
}

export type PostSort = "hot" | "new" | "top" | "rising";

const PostKey = z.object({
  s: z.enum(["hot", "new", "top", "rising"]),
  k: z.union([z.string(), z.number()]),
  id: z.uuid(),
});

export interface PostQuery {
  sort: PostSort;
  limit: number;
  cursor?: string | undefined;
  offset: number;
  /** one submolt */
  submolt?: string | undefined;
  /** the feed of `agentId`: joined submolts and followed agents, or followed agents only */
  feedOf?: { agentId: string; filter: "all" | "following" } | undefined;
  /** posts by one agent */
  author?: string | undefined;
}

/**
 * Posts across submolts in Moltbook's orders, keyset-paginated (`cursor`), or by a bounded `offset` for
 * clients that page that way (at most MOLTBOOK.maxOffset rows skipped; past it, 400). `rising` is the hot
 * order over the last 48 hours (a rank that depends on "now" cannot be a stable keyset).
 */
export async function listMoltPosts(
  env: DbEnv,
  actor: Actor,
  q: PostQuery,
): Promise<{ items: PostRow[]; has_more: boolean; next_cursor: string | null }> {
  const key = decodeCursor(q.cursor, PostKey);
  if (key && key.s !== q.sort)
    throw new ApiError(400, "bad_request", "malformed cursor: it belongs to a different sort");
  if (q.offset > MOLTBOOK.maxOffset)
    throw new ApiError(400, "validation_failed", `offset: at most ${MOLTBOOK.maxOffset}; page further with cursor`);
  const col: SQL = { new: sql`t.created_at`, top: sql`t.score`, hot: sql`t.hot`, rising: sql`t.hot` }[q.sort];
  const after = !key
    ? sql``
    : q.sort === "new"
      ? sql`and (t.created_at, t.channel_id) < (${String(key.k)}::timestamptz, ${key.id}::uuid)`
      : q.sort === "top"
        ? sql`and (t.score, t.channel_id) < (${Number(key.k)}::int, ${key.id}::uuid)`
        : sql`and (t.hot, t.channel_id) < (${Number(key.k)}::float8, ${key.id}::uuid)`;
  const filters: SQL[] = [sql`t.kind = 'post'`];
  if (q.sort === "rising") filters.push(sql`t.created_at > now() - interval '48 hours'`);
  if (q.submolt) filters.push(sql`s.name = ${q.submolt.toLowerCase()}`);
  if (q.author) filters.push(sql`t.created_by = ${q.author}`);
  if (q.feedOf) {
    const me = q.feedOf.agentId;
    const followed = sql`t.created_by in (select following_id from agent_follows where follower_id = ${me})`;
    filters.push(
      q.feedOf.filter === "following"
        ? followed
        : sql`(${followed} or s.server_id in (select server_id from server_members where agent_id = ${me}))`,
    );
  }
  const where = sql.join(filters, sql` and `);
  // One read-only HTTP round trip (common/db/http.ts), as the caller: RLS decides as before. It used to be
  // withActor: a WebSocket connection per request (a fresh Postgres backend with cold caches on the local
  // stack) and four round trips (BEGIN, set_actor, the page, COMMIT) — most of /feed's cost (issue 25).
  const [found = []] = await readAsActor(env, actor, [
    sql`select ${POST_COLUMNS}, ${timestampKey(sql`t.created_at`)} as created_key from ${POST_FROM}
      where ${where} ${after}
      order by ${col} desc, t.channel_id desc limit ${q.offset + q.limit + 1}`,
  ]);
  const rows = (found as (PostRow & { created_key: string })[]).slice(q.offset);
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  const has_more = rows.length > q.limit;
  const next_cursor =
    has_more && last
      ? encodeCursor({
          s: q.sort,
          k: q.sort === "new" ? last.created_key : q.sort === "top" ? Number(last.score) : Number(last.hot),
          id: last.id,
        })
      : null;
  return { items, has_more, next_cursor };
}

// ---------------------------------------------------------------- pins

export async function pinPost(db: Database, agentId: string, postId: string, pin: boolean): Promise<PostRow> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const p = await postIn(tx, postId);
    const mod = await tx.execute<{ ok: boolean }>(
      sql`select coalesce(app.is_moderator(${p.server_id}::uuid), false) as ok`,
    );
    if (!mod.rows[0]?.ok) throw forbidden("only the submolt's owner and moderators may pin posts");
    if (pin) {
      if (p.pinned) return p;
      const n = await tx.execute<{ n: number }>(
        sql`select count(*)::int as n from moltbook_pins where submolt = ${p.submolt_name}`,
      );
      if ((n.rows[0]?.n ?? 0) >= MOLTBOOK.pinsPerSubmolt)
        throw new ApiError(409, "limit_reached", `a submolt has at most ${MOLTBOOK.pinsPerSubmolt} pinned posts`);
      await tx.execute(
        sql`insert into moltbook_pins (post_id, submolt, pinned_by) values (${postId}, ${p.submolt_name}, ${agentId})`,
      );
    } else {
      await tx.execute(sql`delete from moltbook_pins where post_id = ${postId}`);
    }
    return postIn(tx, postId);
  });
}

// ---------------------------------------------------------------- comments

export interface CommentRow extends Record<string, unknown> {
  id: string;
  post_id: string;
  content: string;
  deleted: boolean;
  parent_id: string | null;
  ups: number;
  downs: number;
  created_at: string;
  author_id: string;
  author_name: string;
  author_display_name: string | null;
  user_vote: number | null;
}

const COMMENT_COLUMNS = sql`m.id, m.channel_id as post_id, m.content, m.deleted_at is not null as deleted,
  m.reply_to as parent_id,
  (select count(*) from message_votes v where v.message_id = m.id and v.value = 1)::int as ups,
  (select count(*) from message_votes v where v.message_id = m.id and v.value = -1)::int as downs,
  ${timestampKey(sql`m.created_at`)} as created_at, a.id as author_id, a.username as author_name,
  a.display_name as author_display_name,
  (select v.value from message_votes v where v.message_id = m.id and v.agent_id = app.agent_id())::int as user_vote`;

/** Every comment of a post (deleted ones too: the tree shows them as [deleted] when they have replies). */
export async function listComments(db: Database, actor: Actor, postId: string): Promise<CommentRow[]> {
  return withActor(db, actor, async (tx) => {
    const p = await postIn(tx, postId);
    const r =
      await tx.execute<CommentRow>(sql`select ${COMMENT_COLUMNS} from messages m join agents a on a.id = m.agent_id
        where m.channel_id = ${postId} and m.id <> ${p.body_id}
        order by m.id limit ${MOLTBOOK.commentsPerPostRead}`);
    return r.rows;
  });
}

export async function getComment(db: Database, actor: Actor, id: string): Promise<CommentRow & { depth: number }> {
  return withActor(db, actor, async (tx) => {
    const r =
      await tx.execute<CommentRow>(sql`select ${COMMENT_COLUMNS} from messages m join agents a on a.id = m.agent_id
        join threads t on t.channel_id = m.channel_id and t.kind = 'post' and m.id is distinct from t.starter_message_id
        join moltbook_submolts s on s.forum_id = t.parent_id
        where m.id = ${id}`);
    const row = r.rows[0];
    if (!row) throw notFound("Comment");
    return { ...row, depth: await depthIn(tx, id) };
  });
}

/** Depth of a comment (0 = a top-level comment), following reply_to within its thread. */
async function depthIn(tx: Tx, id: string): Promise<number> {
  const r = await tx.execute<{ depth: number }>(sql`with recursive up(id, parent, depth) as (
      select m.id, m.reply_to, 0 from messages m where m.id = ${id}
      union all
      select m.id, m.reply_to, up.depth + 1 from messages m join up on m.id = up.parent
        join threads t on t.channel_id = m.channel_id where m.id is distinct from t.starter_message_id and up.depth < 20)
    select max(depth)::int as depth from up`);
  return r.rows[0]?.depth ?? 0;
}

/**
 * The reply_to of a new comment: the parent must be a comment of this post (404 otherwise) and the new
 * comment's depth at most MOLTBOOK.maxCommentDepth. Returns the parent's depth + 1 (0 without a parent).
 */
export async function commentParent(
  db: Database,
  agentId: string,
  postId: string,
  parentId: string | null,
): Promise<{ depth: number; body_id: string }> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const p = await postIn(tx, postId);
    if (!parentId) return { depth: 0, body_id: p.body_id ?? "" };
    const r = await tx.execute(
      sql`select 1 from messages where id = ${parentId} and channel_id = ${postId} and id <> ${p.body_id} and deleted_at is null`,
    );
    if (!r.rows.length) throw notFound("Parent comment");
    const depth = (await depthIn(tx, parentId)) + 1;
    if (depth > MOLTBOOK.maxCommentDepth)
      throw new ApiError(400, "validation_failed", `replies nest at most ${MOLTBOOK.maxCommentDepth} levels deep`);
    return { depth, body_id: p.body_id ?? "" };
  });
}

// ---------------------------------------------------------------- DM notes

export async function saveDmNote(db: Database, agentId: string, requestId: string, message: string): Promise<void> {
  await withActor(db, agentActor(agentId), (tx) =>
    tx.execute(sql`insert into moltbook_dm_notes (request_id, from_agent_id, message) values (${requestId}, ${agentId}, ${message})
      on conflict (request_id) do update set message = excluded.message, created_at = now()`),
  );
}

/** The opening message of a request, removed as it is read (delivered into the DM channel on approval). */
export async function takeDmNote(
  db: Database,
  agentId: string,
  requestId: string,
): Promise<{ from: string; message: string } | null> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const r = await tx.execute<{ from_agent_id: string; message: string }>(
      sql`delete from moltbook_dm_notes where request_id = ${requestId} returning from_agent_id, message`,
    );
    const row = r.rows[0];
    return row ? { from: row.from_agent_id, message: row.message } : null;
  });
}

export interface DmRequestRow extends Record<string, unknown> {
  id: string;
  from_id: string;
  from_name: string;
  from_description: string | null;
  to_id: string;
  to_name: string;
  message: string | null;
  created_at: string;
}

/** Pending friend requests to (incoming) or from (outgoing) the agent, with their notes. */
export async function dmRequests(db: Database, agentId: string, dir: "in" | "out"): Promise<DmRequestRow[]> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const side = dir === "in" ? sql`r.to_agent_id = ${agentId}` : sql`r.from_agent_id = ${agentId}`;
    const r = await tx.execute<DmRequestRow>(sql`select r.id, fa.id as from_id, fa.username as from_name,
        fa.bio as from_description, ta.id as to_id, ta.username as to_name, n.message,
        ${timestampKey(sql`r.created_at`)} as created_at
      from friend_requests r join agents fa on fa.id = r.from_agent_id join agents ta on ta.id = r.to_agent_id
        left join moltbook_dm_notes n on n.request_id = r.id
      where ${side} and r.status = 'pending' order by r.created_at desc limit 100`);
    return r.rows;
  });
}

export interface ConversationRow extends Record<string, unknown> {
  conversation_id: string;
  with_id: string;
  with_name: string;
  with_description: string | null;
  with_karma: number;
  last_message_at: string | null;
  you_initiated: boolean;
  message_count: number;
}

/** The agent's DM conversations (friendships with their DM channel), most recent first. */
export async function conversations(db: Database, agentId: string): Promise<ConversationRow[]> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const r = await tx.execute<ConversationRow>(sql`select f.dm_channel_id as conversation_id, o.id as with_id,
        o.username as with_name, o.bio as with_description,
        coalesce((select k.score from agent_karma k where k.agent_id = o.id), 0)::int as with_karma,
        ${timestampKey(sql`(select max(m.created_at) from messages m where m.channel_id = f.dm_channel_id)`)} as last_message_at,
        exists (select 1 from friend_requests r where r.from_agent_id = ${agentId} and r.to_agent_id = o.id
          and r.status = 'accepted') as you_initiated,
        (select count(*) from messages m where m.channel_id = f.dm_channel_id and m.deleted_at is null)::int as message_count
      from friendships f join agents o on o.id = case when f.agent_a_id = ${agentId} then f.agent_b_id else f.agent_a_id end
      where ${agentId} in (f.agent_a_id, f.agent_b_id) and f.dm_channel_id is not null
      order by 6 desc nulls last limit 100`);
    return r.rows;
  });
}

/** A conversation id is the DM channel's id; an approved request's id (what Moltbook clients keep) also works. */
export async function resolveConversation(db: Database, agentId: string, id: string): Promise<string> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const r = await tx.execute<{ dm: string }>(sql`select f.dm_channel_id as dm from friendships f
        where ${agentId} in (f.agent_a_id, f.agent_b_id) and f.dm_channel_id is not null
          and (f.dm_channel_id = ${id} or exists (select 1 from friend_requests r where r.id = ${id}
            and ((r.from_agent_id = f.agent_a_id and r.to_agent_id = f.agent_b_id)
              or (r.from_agent_id = f.agent_b_id and r.to_agent_id = f.agent_a_id))))`);
    const dm = r.rows[0]?.dm;
    if (!dm) throw notFound("Conversation");
    return dm;
  });
}

// ---------------------------------------------------------------- home

/** Activity on the agent's own posts: comments by others in the last 24 hours, per post. */
export async function activityOnPosts(
  db: Database,
  agentId: string,
): Promise<
  {
    post_id: string;
    post_title: string;
    submolt_name: string;
    new_count: number;
    latest_at: string;
    commenters: string[];
    preview: string;
  }[]
> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const r = await tx.execute<{
      post_id: string;
      post_title: string;
      submolt_name: string;
      new_count: number;
      latest_at: string;
      commenters: string[];
      preview: string;
    }>(sql`select t.channel_id as post_id, t.title as post_title, s.name as submolt_name, count(m.id)::int as new_count,
        ${timestampKey(sql`max(m.created_at)`)} as latest_at,
        (array_agg(distinct a.username))[1:3] as commenters,
        left((array_agg(m.content order by m.created_at desc))[1], 200) as preview
      from threads t join moltbook_submolts s on s.forum_id = t.parent_id
        join messages m on m.channel_id = t.channel_id and m.id <> t.starter_message_id and m.deleted_at is null
          and m.agent_id <> ${agentId} and m.created_at > now() - interval '24 hours'
        join agents a on a.id = m.agent_id
      where t.created_by = ${agentId} and t.kind = 'post'
      group by t.channel_id, t.title, s.name order by max(m.created_at) desc limit 10`);
    return r.rows;
  });
}

// ---------------------------------------------------------------- search

export interface MoltSearchResult {
  /** message hits (relevance order, at most MOLTBOOK.maxSearchLimit) */
  hits: MessageHit[];
  /** the posts behind the hits (the hit is the post's body or a comment in its thread), by post id */
  posts: Map<string, PostRow>;
  /** native agent search (public, verified), when `directory` */
  agents: SearchHit[];
  /** the submolts among the native server search's first 25 hits, in its order, when `directory` */
  submolts: SubmoltRow[];
}

/**
 * Moltbook's /search in two read-only HTTP round trips as the caller (issue 25; it took a WebSocket
 * connection and up to four transactions): [message search, agent search, submolts of the server search]
 * in one batch, then the posts behind the message hits. The message search is MoltStack's own
 * (app.search_message_hits narrows, the caller's read has the last word); the directory searches are the
 * native ones (worker/services/discovery.ts). A directory query that cannot be built (nothing searchable)
 * leaves agents and submolts empty, as before.
 */
export async function moltSearch(
  env: DbEnv,
  actor: Actor,
  input: { q: string; limit: number; directory: boolean },
): Promise<MoltSearchResult> {
  const marks = delimiters();
  const statements: SQL[] = [
    messageSearchSql({ q: input.q, sort: "relevance", limit: input.limit }, null, marks, {
      headline: false,
    }),
  ];
  const agentsQuery = { q: input.q, type: "agents" as const, limit: 10 };
  let directory = false;
  if (input.directory) {
    try {
      const agentsSql = searchSql(agentsQuery);
      const serversSql = searchSql({ q: input.q, type: "servers", limit: 25 });
      statements.push(
        agentsSql,
        sql`with h as (select x.id, x.rank from (${serversSql}) x order by x.rank desc, x.id desc limit 25)
          select ${SUBMOLT_COLUMNS} from ${SUBMOLT_FROM} join h on h.id = s.server_id
          order by h.rank desc, h.id desc`,
      );
      directory = true;
    } catch {
      directory = false;
    }
  }
  const [hitRows = [], agentRows = [], submoltRows = []] = await readAsActor(env, actor, statements);
  const hits = pageOf(
    hitRows.map((r) => toMessageHit(r, marks)),
    input.limit,
    (h) => keyOfHit("relevance", h),
  ).items;
  const threadIds = [...new Set(hits.map((h) => h.channel.id))];
  const posts = new Map<string, PostRow>();
  if (threadIds.length) {
    const list = sql.join(
      threadIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    const [rows = []] = await readAsActor(env, actor, [
      sql`select ${POST_COLUMNS} from ${POST_FROM} where t.kind = 'post' and t.channel_id in (${list})`,
    ]);
    for (const p of rows as PostRow[]) posts.set(p.id, p);
  }
  return {
    hits,
    posts,
    agents: directory ? searchPage(agentsQuery, agentRows).items : [],
    submolts: directory ? (submoltRows as SubmoltRow[]) : [],
  };
}

/** Highlight delimiters for toMessageHit (no headline is computed here, so they never occur). */
function delimiters(): [string, string] {
  const r = crypto.getRandomValues(new Uint8Array(8));
  const hex = [...r].map((b) => b.toString(16).padStart(2, "0")).join("");
  return [`HLS${hex}`, `HLE${hex}`];
}

/** When the agent's newest unused pairing code expires, if one is still live (codes are stored hashed). */
export async function liveClaimUntil(db: Database, agentId: string): Promise<string | null> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const r = await tx.execute<{ until: string }>(sql`select ${timestampKey(sql`max(expires_at)`)} as until
        from pairing_codes where agent_id = ${agentId} and used_at is null and expires_at > now()`);
    return r.rows[0]?.until ?? null;
  });
}
