// Messages REST (issue 5): history (keyset on the UUIDv7 id), edit, delete, reactions. Reads and writes
// run as the caller, so RLS decides visibility; posting goes through the channel object (durable write +
// live broadcast) in worker/routes/messages.ts. Every change is broadcast through the channel object.
import { sql } from "drizzle-orm";
import type { MessageView, ServerOp } from "../../protocol";
import { parseMentions } from "../../protocol";
import type { Actor } from "../db/actor";
import { type Database, type Tx, withActor } from "../db/client";
import type { Bindings } from "../env";
import { type ApiError, forbidden, notFound } from "../lib/errors";
import { MESSAGE_COLUMNS, type MessageRow, toMessageView } from "./messages-view";

export interface ReactionCount {
  emoji: string;
  count: number;
  /** the caller reacted with it */
  me: boolean;
}
export type HistoryMessage = MessageView & { reactions: ReactionCount[] };

export interface HistoryPage {
  messages: HistoryMessage[];
  has_more_before: boolean;
  has_more_after: boolean;
}

export type HistoryQuery =
  | { mode: "latest"; limit: number }
  | { mode: "before" | "after" | "around"; id: string; limit: number };

/** 404 when the channel is invisible to the caller, 403 when visible but unreadable (banned). */
async function assertReadable(tx: Tx, channelId: string): Promise<void> {
  const r = await tx.execute<{ visible: boolean; readable: boolean }>(
    sql`select exists (select 1 from channels where id = ${channelId}) as visible,
               app.can_read_channel(${channelId}::uuid) as readable`,
  );
  const row = r.rows[0];
  if (!row?.visible) throw notFound("channel");
  if (!row.readable) throw forbidden("you cannot read this channel");
}

async function page(tx: Tx, channelId: string, cmp: "<" | ">" | ">=" | null, id: string | null, n: number) {
  const where = cmp && id ? sql`and m.id ${sql.raw(cmp)} ${id}::uuid` : sql``;
  const order = cmp === ">" || cmp === ">=" ? sql.raw("asc") : sql.raw("desc");
  const r = await tx.execute<MessageRow>(
    sql`select ${sql.raw(MESSAGE_COLUMNS)} from messages m join agents a on a.id = m.agent_id
        where m.channel_id = ${channelId} and m.deleted_at is null ${where}
        order by m.id ${order} limit ${n}`,
  );
  return r.rows;
}

export async function history(db: Database, actor: Actor, channelId: string, q: HistoryQuery): Promise<HistoryPage> {
  return withActor(db, actor, async (tx) => {
    await assertReadable(tx, channelId);
    const L = q.limit;
    let rows: MessageRow[];
    let before = false;
    let after = false;
    if (q.mode === "latest" || q.mode === "before") {
      const got = await page(tx, channelId, q.mode === "before" ? "<" : null, q.mode === "before" ? q.id : null, L + 1);
      before = got.length > L;
      after = q.mode === "before";
      rows = got.slice(0, L).reverse();
    } else if (q.mode === "after") {
      const got = await page(tx, channelId, ">", q.id, L + 1);
      after = got.length > L;
      before = true;
      rows = got.slice(0, L);
    } else {
      const half = Math.floor(L / 2);
      const older = await page(tx, channelId, "<", q.id, half + 1);
      const newer = await page(tx, channelId, ">=", q.id, L - half + 1);
      before = older.length > half;
      after = newer.length > L - half;
      rows = [...older.slice(0, half).reverse(), ...newer.slice(0, L - half)];
    }
    const reactions = await reactionsOf(
      tx,
      rows.map((r) => r.id),
    );
    return {
      messages: rows.map((r) => ({ ...toMessageView(r), reactions: reactions.get(r.id) ?? [] })),
      has_more_before: before,
      has_more_after: after,
    };
  });
}

async function reactionsOf(tx: Tx, ids: string[]): Promise<Map<string, ReactionCount[]>> {
  const out = new Map<string, ReactionCount[]>();
  if (!ids.length) return out;
  const r = await tx.execute<{ message_id: string; emoji: string; n: number; me: boolean }>(
    sql`select message_id, emoji, count(*)::int as n, coalesce(bool_or(agent_id = app.agent_id()), false) as me
        from message_reactions where message_id = any(${`{${ids.join(",")}}`}::uuid[])
        group by message_id, emoji order by min(created_at)`,
  );
  for (const row of r.rows) {
    const list = out.get(row.message_id) ?? [];
    list.push({ emoji: row.emoji, count: row.n, me: row.me });
    out.set(row.message_id, list);
  }
  return out;
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
  input: { content: string; content_type?: "text" | "code" | undefined },
): Promise<{ view: MessageView; frame: ServerOp }> {
  return withActor(db, { kind: "agent", id: agentId }, async (tx) => {
    const names = parseMentions(input.content);
    const updated = await tx.execute<{ id: string }>(
      sql`update messages set content = ${input.content},
            content_type = coalesce(${input.content_type ?? null}, content_type),
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

/** Broadcast a REST change through the channel object; never fails the request that caused it. */
export async function publish(env: Pick<Bindings, "CHANNEL">, frame: ServerOp, actor?: string): Promise<void> {
  if (!("channel" in frame) || typeof frame.channel !== "string") return;
  try {
    const stub = env.CHANNEL.get(env.CHANNEL.idFromName(frame.channel));
    await stub.publish(frame.channel, frame, actor);
  } catch (e) {
    console.warn(JSON.stringify({ level: "warn", msg: "publish failed", op: frame.op, error: String(e) }));
  }
}
