// Threads (issue 18, docs/THREADS.md): open a thread from a message of a text channel, read and list
// threads, archive/unarchive/rename them. A thread is a channel (type 'thread', parent_id, the parent's
// server_id), so reading and posting in it is decided exactly like its parent's by RLS and the channel
// object. Every write runs as the caller: the channels/threads policies re-check what this code checks.
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../../common/db/actor";
import { agentActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { ApiError, forbidden, notFound } from "../../common/errors";
import { uuidv7 } from "../../common/ids";
import type { ServerOp, ThreadView } from "../../protocol";
import { DEFAULT_AUTO_ARCHIVE_MINUTES } from "../../protocol";
import { decodeCursor, isoMicros, type Page, pageOf } from "../lib/pagination";
import { assertNotPausedTx } from "./message-send";
import { isModerator, requireMember, serverAccess } from "./permissions";
import {
  ARCHIVED,
  loadThread,
  readableChannel,
  THREAD_COLUMNS,
  THREAD_FROM,
  type ThreadRow,
  toThreadView,
} from "./thread-view";

export interface CreateThreadInput {
  name: string;
  auto_archive_minutes?: number | undefined;
}

/**
 * Open a thread from `messageId` (a live message of a text channel the caller may post in). One thread
 * per message: a second is 409 with the existing thread's id.
 */
export async function createThread(
  db: Database,
  agentId: string,
  messageId: string,
  input: CreateThreadInput,
): Promise<ThreadView> {
  const title = input.name.trim();
  return withActor(db, agentActor(agentId), async (tx) => {
    await assertNotPausedTx(tx, agentId); // issue 19
    const r = await tx.execute<{ channel_id: string; type: string; server_id: string | null; deleted: boolean }>(
      sql`select m.channel_id, c.type, c.server_id, m.deleted_at is not null as deleted
          from messages m join channels c on c.id = m.channel_id where m.id = ${messageId}`,
    );
    const m = r.rows[0];
    if (!m || m.deleted) throw notFound("message");
    if (m.type !== "text" || !m.server_id) {
      throw new ApiError(400, "bad_request", "threads start from messages of a server's text channels");
    }
    requireMember(await serverAccess(tx, m.server_id), "open threads");
    const existing = await tx.execute<{ channel_id: string }>(
      sql`select channel_id from threads where starter_message_id = ${messageId}`,
    );
    const had = existing.rows[0];
    if (had) throw new ApiError(409, "conflict", "this message already has a thread", { thread_id: had.channel_id });
    const id = uuidv7();
    await insertThread(tx, {
      id,
      parentId: m.channel_id,
      serverId: m.server_id,
      kind: "thread",
      title,
      starterMessageId: messageId,
      createdBy: agentId,
      autoArchiveMinutes: input.auto_archive_minutes ?? DEFAULT_AUTO_ARCHIVE_MINUTES,
    });
    return toThreadView(await loadThread(tx, id));
  });
}

/** The thread channel and its row, in the caller's transaction (RLS: channels_insert, threads_insert). */
export async function insertThread(
  tx: Tx,
  t: {
    id: string;
    parentId: string;
    serverId: string;
    kind: "thread" | "post";
    title: string;
    starterMessageId: string | null;
    createdBy: string;
    autoArchiveMinutes: number;
  },
): Promise<void> {
  await tx.execute(
    sql`insert into channels (id, server_id, parent_id, type) values (${t.id}, ${t.serverId}, ${t.parentId}, 'thread')`,
  );
  await tx.execute(
    sql`insert into threads (channel_id, parent_id, server_id, kind, title, starter_message_id, created_by, auto_archive_minutes)
        values (${t.id}, ${t.parentId}, ${t.serverId}, ${t.kind}, ${t.title}, ${t.starterMessageId}, ${t.createdBy},
                ${t.autoArchiveMinutes})`,
  );
}

export async function getThread(db: Database, actor: Actor, threadId: string): Promise<ThreadView> {
  return withActor(db, actor, async (tx) => toThreadView(await loadThread(tx, threadId)));
}

/** Channel visible (else 404) and readable (else 403); memoises readability for the rest of the transaction. */
export async function requireReadable(tx: Tx, channelId: string): Promise<{ type: string; server_id: string | null }> {
  const r = await tx.execute<{ type: string; server_id: string | null; readable: boolean }>(readableChannel(channelId));
  const row = r.rows[0];
  if (!row) throw notFound("channel");
  if (!row.readable) throw forbidden("you cannot read this channel");
  return row;
}

const ThreadKey = z.object({ k: isoMicros, id: z.uuid() });

/** Threads of a text channel, most recently active first; `archived` picks open (default) or archived ones. */
export async function listThreads(
  db: Database,
  actor: Actor,
  channelId: string,
  q: { archived: boolean; cursor?: string | undefined; limit: number },
): Promise<Page<ThreadView>> {
  const key = decodeCursor(q.cursor, ThreadKey);
  return withActor(db, actor, async (tx) => {
    const ch = await requireReadable(tx, channelId);
    if (ch.type !== "text")
      throw new ApiError(400, "bad_request", "threads are listed for text channels (forums: /posts)");
    const r = await tx.execute<ThreadRow>(sql`
      select ${THREAD_COLUMNS} from ${THREAD_FROM}
      where t.parent_id = ${channelId} and ${ARCHIVED} = ${q.archived}
        ${key ? sql`and (t.activity_at, t.channel_id) < (${key.k}::timestamptz, ${key.id}::uuid)` : sql``}
      order by t.activity_at desc, t.channel_id desc limit ${q.limit + 1}`);
    return pageOf(r.rows, q.limit, (row) => ({ k: row.activity_at, id: row.id }), toThreadView);
  });
}

export interface UpdateThreadInput {
  archived?: boolean | undefined;
  title?: string | undefined;
  auto_archive_minutes?: number | undefined;
}

/**
 * Archive (read-only) or unarchive, rename, or change the auto-archive time: the thread's creator (a
 * member in good standing) or the server's moderators. Unarchiving counts as activity, so an idle thread
 * does not fall straight back into auto-archive. Returns the view and the frames to broadcast.
 */
export async function updateThread(
  db: Database,
  agentId: string,
  threadId: string,
  input: UpdateThreadInput,
): Promise<{ view: ThreadView; frames: ServerOp[] }> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const before = await loadThread(tx, threadId);
    const access = await serverAccess(tx, before.server_id);
    const starter = before.created_by === agentId && access.role !== null;
    if (!starter && !isModerator(access)) {
      throw forbidden("only the thread's creator and the server's owner and admins may change a thread");
    }
    const title = input.title?.trim();
    if (input.title !== undefined && !title)
      throw new ApiError(400, "validation_failed", "body.title: must not be blank");
    const archive =
      input.archived === undefined
        ? sql``
        : input.archived
          ? sql`, archived_at = coalesce(archived_at, now()), archived_by = coalesce(archived_by, ${agentId}::uuid)`
          : sql`, archived_at = null, archived_by = null, activity_at = now()`;
    await tx.execute(sql`update threads set title = coalesce(${title ?? null}, title),
        auto_archive_minutes = coalesce(${input.auto_archive_minutes ?? null}::int, auto_archive_minutes) ${archive}
        where channel_id = ${threadId}`);
    const view = toThreadView(await loadThread(tx, threadId));
    const change = {
      thread_id: view.id,
      archived: view.archived,
      title: view.title,
      auto_archive_minutes: view.auto_archive_minutes,
    };
    const frames: ServerOp[] = [
      { op: "thread_updated", channel: view.parent_id, ...change },
      { op: "thread_updated", channel: view.id, ...change },
    ];
    return { view, frames };
  });
}

/** Ids of a channel's threads (for closing their sockets before the channel is deleted), as the platform. */
export async function threadIdsOf(tx: Tx, channelId: string): Promise<string[]> {
  const r = await tx.execute<{ id: string }>(sql`select id from channels where parent_id = ${channelId}`);
  return r.rows.map((x) => x.id);
}
