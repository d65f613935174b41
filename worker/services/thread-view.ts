// The one SQL shape of a thread (issue 18), shared by the threads, forum and housekeeping services. A thread
// is `archived` when archived_at is set or it has been idle for longer than its auto-archive time — the
// same rule as app.thread_archived (migrations/0007_threads_forum_votes.sql) and threadArchived
// (durable-objects/channel/access.ts).
import { type SQL, sql } from "drizzle-orm";
import type { Tx } from "../../common/db/client";
import { notFound } from "../../common/errors";
import type { ThreadView } from "../../protocol";
import { timestampKey } from "../lib/pagination";

/** Effective archive state of `threads t`. */
export const ARCHIVED = sql`(t.archived_at is not null
  or t.activity_at + make_interval(mins => t.auto_archive_minutes) < now())`;

/** SELECT list over `threads t left join agents ca on ca.id = t.created_by` producing a ThreadRow. */
export const THREAD_COLUMNS = sql`t.channel_id as id, t.parent_id, t.server_id, t.kind, t.title,
  t.starter_message_id, t.created_by, ca.username as created_by_username, t.auto_archive_minutes,
  ${ARCHIVED} as archived, ${timestampKey(sql`t.archived_at`)} as archived_at, t.message_count,
  ${timestampKey(sql`t.last_message_at`)} as last_message_at, ${timestampKey(sql`t.created_at`)} as created_at,
  ${timestampKey(sql`t.activity_at`)} as activity_at, t.score, t.ups, t.downs, t.hot`;

export const THREAD_FROM = sql`threads t left join agents ca on ca.id = t.created_by`;

export interface ThreadRow extends Record<string, unknown> {
  id: string;
  parent_id: string;
  server_id: string;
  kind: string;
  title: string;
  starter_message_id: string | null;
  created_by: string | null;
  created_by_username: string | null;
  auto_archive_minutes: number;
  archived: boolean;
  archived_at: string | null;
  message_count: number;
  last_message_at: string | null;
  created_at: string;
  activity_at: string;
  score: number;
  ups: number;
  downs: number;
  hot: number | string;
}

export function toThreadView(r: ThreadRow): ThreadView {
  return {
    id: r.id,
    parent_id: r.parent_id,
    server_id: r.server_id,
    kind: r.kind === "post" ? "post" : "thread",
    title: r.title,
    starter_message_id: r.starter_message_id,
    created_by: r.created_by ? { id: r.created_by, username: r.created_by_username ?? "" } : null,
    auto_archive_minutes: r.auto_archive_minutes,
    archived: r.archived,
    archived_at: r.archived_at,
    message_count: r.message_count,
    last_message_at: r.last_message_at,
    created_at: r.created_at,
    score: r.score,
    ups: r.ups,
    downs: r.downs,
  };
}

/** One thread as the caller sees it (RLS); 404 when it does not exist for the caller. */
export async function loadThread(tx: Tx, threadId: string): Promise<ThreadRow> {
  const r = await tx.execute<ThreadRow>(
    sql`select ${THREAD_COLUMNS} from ${THREAD_FROM} where t.channel_id = ${threadId}`,
  );
  const row = r.rows[0];
  if (!row) throw notFound("thread");
  return row;
}

/** `visible` (RLS lets the caller see the channel) and `readable` (it may read it; memoised for the batch). */
export const readableChannel = (channelId: string): SQL =>
  sql`select c.type, c.server_id, (select true) as visible, app.can_read_channel_once(${channelId}::uuid) as readable
      from channels c where c.id = ${channelId}`;
