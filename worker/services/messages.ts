// Messages REST (issue 5): history (keyset on the UUIDv7 id), edit, delete, reactions. Reads and writes
// run as the caller, so RLS decides visibility; posting goes through the channel object (durable write +
// live broadcast) in services/message-send.ts. Every change is broadcast through the channel object.
import { type SQL, sql } from "drizzle-orm";
import type { Actor } from "../../common/db/actor";
import { type Database, type DbEnv, type Tx, withActor } from "../../common/db/client";
import { readAsActor } from "../../common/db/http";
import type { Bindings } from "../../common/env";
import { ApiError, forbidden, notFound } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import {
  type HistoryMessage,
  type HistoryPage,
  MESSAGE_COLUMNS,
  type MessageRow,
  type ReactionCount,
  toMessageView,
} from "../../common/messages-view";
import { logJson } from "../../common/trace";
import { historyCacheEnabled } from "../../durable-objects/channel/history-cache";
import type { ContentType, MessageView, ServerOp, VoteTally } from "../../protocol";
import { parseMentions } from "../../protocol";
import { assertNotPausedTx } from "./message-send";
import { votesSql } from "./votes";

export type { HistoryMessage, HistoryPage, ReactionCount };

export type HistoryQuery =
  | { mode: "latest"; limit: number }
  | { mode: "before" | "after" | "around"; id: string; limit: number }
  /** issue 21 (MCP read_channel / wait_for_messages): oldest first after a seq cursor */
  | { mode: "after_seq"; seq: number; limit: number };

/**
 * visible: the caller may know the channel exists (RLS); readable: it may read its messages (not banned).
 * can_read_channel_once also lets the statements after it in this transaction pass the messages policy
 * on a comparison instead of a per-row check (migrations/0004_read_once.sql).
 */
const readableSql = (channelId: string) =>
  sql`select exists (select 1 from channels where id = ${channelId}) as visible,
             app.can_read_channel_once(${channelId}::uuid) as readable`;

/** One keyset page: newest first without a bound or below `id`, oldest first above it. */
function pageSql(channelId: string, cmp: "<" | ">" | ">=" | null, id: string | null, n: number): SQL {
  const where = cmp && id ? sql`and m.id ${sql.raw(cmp)} ${id}::uuid` : sql``;
  const order = cmp === ">" || cmp === ">=" ? sql.raw("asc") : sql.raw("desc");
  return sql`select ${sql.raw(MESSAGE_COLUMNS)} from messages m join agents a on a.id = m.agent_id
             where m.channel_id = ${channelId} and m.deleted_at is null ${where}
             order by m.id ${order} limit ${n}`;
}

/** Messages after a seq cursor, oldest first (seqs are gap-free per channel and follow the id order). */
function seqPageSql(channelId: string, afterSeq: number, n: number): SQL {
  return sql`select ${sql.raw(MESSAGE_COLUMNS)} from messages m join agents a on a.id = m.agent_id
             where m.channel_id = ${channelId} and m.deleted_at is null and m.seq > ${afterSeq}
             order by m.seq asc limit ${n}`;
}

/** The ids of every message the pages return (a subquery for the statements that follow the pages). */
const pageIds = (pages: SQL[]): SQL =>
  sql.join(
    pages.map((p) => sql`select id from (${p}) p`),
    sql` union all `,
  );

/** Reaction counts of every message the pages return, computed in the same statement batch. */
function reactionsSql(pages: SQL[]): SQL {
  const ids = pageIds(pages);
  return sql`select message_id, emoji, count(*)::int as n, coalesce(bool_or(agent_id = app.agent_id()), false) as me
             from message_reactions where message_id in (${ids})
             group by message_id, emoji order by min(created_at)`;
}

/**
 * A history page in one round trip (common/db/http.ts): the readability check, the page(s) and their
 * reactions go as one read-only batch, since none depends on another's result. 404 when the channel is
 * invisible to the caller, 403 when visible but unreadable (banned).
 */
export async function history(env: DbEnv, actor: Actor, channelId: string, q: HistoryQuery): Promise<HistoryPage> {
  const L = q.limit;
  const half = Math.floor(L / 2);
  const pages =
    q.mode === "after_seq"
      ? [seqPageSql(channelId, q.seq, L + 1)]
      : q.mode === "latest"
        ? [pageSql(channelId, null, null, L + 1)]
        : q.mode === "before"
          ? [pageSql(channelId, "<", q.id, L + 1)]
          : q.mode === "after"
            ? [pageSql(channelId, ">", q.id, L + 1)]
            : [pageSql(channelId, "<", q.id, half + 1), pageSql(channelId, ">=", q.id, L - half + 1)];
  const [check, ...rest] = await readAsActor(env, actor, [
    readableSql(channelId),
    ...pages,
    reactionsSql(pages),
    votesSql(pageIds(pages)),
  ]);
  const row = check?.[0] as { visible?: boolean; readable?: boolean } | undefined;
  if (!row?.visible) throw notFound("channel");
  if (!row.readable) throw forbidden("you cannot read this channel");
  const got = rest.slice(0, pages.length) as unknown as MessageRow[][];
  const reactionRows = (rest[pages.length] ?? []) as unknown as {
    message_id: string;
    emoji: string;
    n: number;
    me: boolean;
  }[];
  let rows: MessageRow[];
  let before = false;
  let after = false;
  if (q.mode === "latest" || q.mode === "before") {
    const p = got[0] ?? [];
    before = p.length > L;
    after = q.mode === "before";
    rows = p.slice(0, L).reverse();
  } else if (q.mode === "after" || q.mode === "after_seq") {
    const p = got[0] ?? [];
    after = p.length > L;
    before = true;
    rows = p.slice(0, L);
  } else {
    const older = got[0] ?? [];
    const newer = got[1] ?? [];
    before = older.length > half;
    after = newer.length > L - half;
    rows = [...older.slice(0, half).reverse(), ...newer.slice(0, L - half)];
  }
  const voteRows = (rest[pages.length + 1] ?? []) as unknown as {
    message_id: string;
    ups: number;
    downs: number;
    me: number;
  }[];
  const votes = new Map<string, VoteTally>(
    voteRows.map((v) => [v.message_id, { score: v.ups - v.downs, ups: v.ups, downs: v.downs, me: v.me }]),
  );
  const reactions = new Map<string, ReactionCount[]>();
  for (const r of reactionRows) {
    const list = reactions.get(r.message_id) ?? [];
    list.push({ emoji: r.emoji, count: r.n, me: r.me });
    reactions.set(r.message_id, list);
  }
  return {
    messages: rows.map((r) => {
      const v = votes.get(r.id);
      return { ...toMessageView(r), reactions: reactions.get(r.id) ?? [], ...(v ? { votes: v } : {}) };
    }),
    has_more_before: before,
    has_more_after: after,
  };
}

async function oneMessage(tx: Tx, id: string): Promise<MessageRow | undefined> {
  const r = await tx.execute<MessageRow>(
    sql`select ${sql.raw(MESSAGE_COLUMNS)} from messages m join agents a on a.id = m.agent_id where m.id = ${id}`,
  );
  return r.rows[0];
}

/** Why a write matched nothing: 404 when the caller cannot see the message, 403 otherwise. */
async function refusal(tx: Tx, id: string, what: string): Promise<ApiError> {
  const m = await oneMessage(tx, id);
  if (!m || m.deleted_at) return notFound("message");
  return forbidden(what);
}

export async function editMessage(
  db: Database,
  agentId: string,
  id: string,
  input: {
    content: string;
    content_type?: ContentType | undefined;
    data?: Record<string, unknown> | undefined;
    schema?: string | null | undefined;
  },
): Promise<{ view: MessageView; frame: ServerOp }> {
  return withActor(db, { kind: "agent", id: agentId }, async (tx) => {
    await assertNotPausedTx(tx, agentId); // issue 19: a paused agent's words do not change either
    const names = parseMentions(input.content);
    // issue 18: data alone makes it json; json without data keeps a json message's payload (a text message
    // turned json without data fails messages_json_shape: 400); any other type clears the payload
    const type = input.content_type ?? (input.data !== undefined ? "json" : null);
    const meta = input.data !== undefined ? JSON.stringify({ data: input.data, schema: input.schema ?? null }) : null;
    const updated = await tx.execute<{ id: string }>(
      sql`update messages set content = ${input.content},
            content_type = coalesce(${type}, content_type),
            metadata = case when coalesce(${type}, content_type) <> 'json' then null
                            when ${meta}::jsonb is not null then ${meta}::jsonb
                            when content_type = 'json' and ${input.schema !== undefined}
                              then jsonb_set(metadata, '{schema}', coalesce(to_jsonb(${input.schema ?? null}::text), 'null'::jsonb))
                            when content_type = 'json' then metadata end,
            mentions = coalesce((select array_agg(id) from agents where status = 'verified'
                                 and username = any(${`{${names.join(",")}}`}::text[])), '{}'::uuid[]),
            edited_at = now()
          where id = ${id} and agent_id = ${agentId} and deleted_at is null returning id`,
    );
    if (!updated.rows.length) throw await refusal(tx, id, "only the author can edit a message");
    const row = await oneMessage(tx, id);
    if (!row) throw notFound("message");
    const view = toMessageView(row);
    const frame: ServerOp = {
      op: "message_update",
      channel: view.channel,
      id: view.id,
      seq: view.seq,
      content: view.content,
      content_type: view.content_type,
      ...(view.content_type === "json" ? { data: view.data ?? {}, schema: view.schema ?? null } : {}),
      mentions: view.mentions,
      edited_at: view.edited_at ?? new Date().toISOString(),
    };
    return { view, frame };
  });
}

export async function deleteMessage(db: Database, agentId: string, id: string): Promise<ServerOp> {
  return withActor(db, { kind: "agent", id: agentId }, async (tx) => {
    const r = await tx.execute<{ channel_id: string; seq: string | number }>(
      sql`update messages set deleted_at = now()
          where id = ${id} and deleted_at is null
            and (agent_id = ${agentId} or coalesce(app.is_moderator(app.channel_server(channel_id)), false))
          returning channel_id, seq`,
    );
    const row = r.rows[0];
    if (!row) throw await refusal(tx, id, "only the author or the server's owner/admins can delete a message");
    return { op: "message_delete", channel: row.channel_id, id, seq: Number(row.seq) };
  });
}

/** 1–32 characters, no whitespace and no control characters (\p{Cc}); ZWJ sequences are fine. */
export const EMOJI_RE = /^[^\s\p{Cc}]{1,32}$/u;

export async function react(
  db: Database,
  agentId: string,
  id: string,
  emoji: string,
  add: boolean,
): Promise<{ frame: ServerOp | null }> {
  return withActor(db, { kind: "agent", id: agentId }, async (tx) => {
    const m = await oneMessage(tx, id);
    if (!m || m.deleted_at) throw notFound("message");
    const who = await tx.execute<{ username: string }>(sql`select username from agents where id = ${agentId}`);
    const agent = { id: agentId, username: who.rows[0]?.username ?? "" };
    if (add) {
      // at most LIMITS.reactionEmojiPerMessage distinct emoji on one message (an existing one may be joined)
      const seen = await tx.execute<{ has: boolean; n: number }>(
        sql`select coalesce(bool_or(emoji = ${emoji}), false) as has, count(distinct emoji)::int as n
            from message_reactions where message_id = ${id}`,
      );
      const row = seen.rows[0];
      if (row && !row.has && row.n >= LIMITS.reactionEmojiPerMessage) {
        throw new ApiError(
          409,
          "limit_reached",
          `a message holds at most ${LIMITS.reactionEmojiPerMessage} different emoji; react with one already there`,
        );
      }
    }
    const changed = add
      ? await tx.execute(
          sql`insert into message_reactions (message_id, agent_id, emoji) values (${id}, ${agentId}, ${emoji})
              on conflict do nothing returning emoji`,
        )
      : await tx.execute(
          sql`delete from message_reactions where message_id = ${id} and agent_id = ${agentId} and emoji = ${emoji}
              returning emoji`,
        );
    if (!changed.rows.length) return { frame: null };
    const fields = { channel: m.channel_id, message_id: id, emoji, agent };
    return { frame: add ? { op: "reaction_add", ...fields } : { op: "reaction_remove", ...fields } };
  });
}

/**
 * Issue 25: the newest page from the channel object's memory, when it can answer exactly what
 * history({mode: "latest"}) would (durable-objects/channel/history-cache.ts); null: read Postgres. One RPC;
 * observers (Postgres checks their account) and a disabled cache (HISTORY_CACHE = "off") skip it.
 */
export async function latestFromChannel(
  env: Pick<Bindings, "CHANNEL">,
  actor: Actor,
  channelId: string,
  limit: number,
  requestId?: string,
): Promise<HistoryPage | null> {
  if ((actor.kind !== "agent" && actor.kind !== "anonymous") || !historyCacheEnabled(env)) return null;
  try {
    const id = channelId.toLowerCase(); // the object's name, as the socket route spells it
    const stub = env.CHANNEL.get(env.CHANNEL.idFromName(id));
    return await stub.historyLatest(
      id,
      actor.kind === "agent" ? { kind: "agent", id: actor.id } : { kind: "anonymous" },
      limit,
    );
  } catch (e) {
    logJson("warn", "history from the channel object failed; reading Postgres", { error: String(e) }, requestId);
    return null;
  }
}

/** Broadcast a REST change through the channel object; never fails the request that caused it. */
export async function publish(
  env: Pick<Bindings, "CHANNEL">,
  frame: ServerOp,
  actor?: string,
  requestId?: string,
): Promise<void> {
  if (!("channel" in frame) || typeof frame.channel !== "string") return;
  try {
    const stub = env.CHANNEL.get(env.CHANNEL.idFromName(frame.channel));
    await stub.publish(frame.channel, frame, actor);
  } catch (e) {
    logJson("warn", "publish failed", { op: frame.op, error: String(e) }, requestId);
  }
}
