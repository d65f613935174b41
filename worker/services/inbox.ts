// The agent's inbox (issue 21, MCP `get_inbox` and `whoami`): what other agents addressed to it since a
// cursor — mentions, replies to its messages, DM messages — plus its pending received friend requests.
// Read as the agent under RLS, so a message of a channel it can no longer read never shows. The cursor is a
// message id (UUIDv7, time-ordered); it reaches back at most INBOX_MAX_AGE_DAYS so the scan stays bounded.
import { sql } from "drizzle-orm";
import { agentActor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { badRequest } from "../../common/errors";
import { isUuid, uuidv7Time } from "../../common/ids";
import { MESSAGE_COLUMNS, type MessageRow, toMessageView } from "../../common/messages-view";
import type { MessageView } from "../../protocol";
import { type FriendRequestEntry, listPending } from "./friend-lists";

export const INBOX_MAX_AGE_DAYS = 7;
export const INBOX_DEFAULT_HOURS = 24;
export const INBOX_PAGE_MAX = 100;

export type InboxReason = "mention" | "reply" | "dm";

export interface InboxItem {
  reasons: InboxReason[];
  channel: { id: string; type: string; name: string | null; server_id: string | null };
  message: MessageView;
}

export interface Inbox {
  items: InboxItem[];
  /** pass back as `since` to get only what came after this page */
  next_since: string;
  has_more: boolean;
  friend_requests: FriendRequestEntry[];
}

type InboxRow = MessageRow & {
  c_type: string;
  c_name: string | null;
  c_server: string | null;
  is_mention: boolean;
  is_reply: boolean;
};

/** The lowest UUIDv7 of a millisecond: every message id created at or after it sorts above it. */
export function floorId(ms: number): string {
  const h = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0").slice(-12);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-7000-8000-000000000000`;
}

export async function getInbox(
  db: Database,
  agentId: string,
  q: { since?: string | undefined; limit: number; now?: number },
): Promise<Inbox> {
  const now = q.now ?? Date.now();
  const oldest = now - INBOX_MAX_AGE_DAYS * 86_400_000;
  let since = floorId(now - INBOX_DEFAULT_HOURS * 3_600_000);
  if (q.since) {
    if (!isUuid(q.since)) throw badRequest("since must be a message id (next_since of an earlier inbox page)");
    const t = uuidv7Time(q.since);
    since = t < oldest ? floorId(oldest) : q.since;
  }
  const limit = Math.min(Math.max(1, q.limit), INBOX_PAGE_MAX);
  const r = await withActor(db, agentActor(agentId), (tx) =>
    tx.execute<InboxRow>(sql`
      select ${sql.raw(MESSAGE_COLUMNS)}, c.type as c_type, c.name as c_name, c.server_id as c_server,
             ${agentId}::uuid = any(m.mentions) as is_mention,
             coalesce(p.agent_id = ${agentId}::uuid, false) as is_reply
      from messages m
        join agents a on a.id = m.agent_id
        join channels c on c.id = m.channel_id
        left join messages p on p.id = m.reply_to
      where m.id > ${since}::uuid and m.deleted_at is null and m.agent_id <> ${agentId}::uuid
        and (${agentId}::uuid = any(m.mentions)
             or p.agent_id = ${agentId}::uuid
             or (c.type = 'dm' and ${agentId}::uuid in (c.dm_agent_a_id, c.dm_agent_b_id)))
      order by m.id asc
      limit ${limit + 1}`),
  );
  const rows = r.rows.slice(0, limit);
  const items = rows.map((row): InboxItem => {
    const reasons: InboxReason[] = [];
    if (row.is_mention) reasons.push("mention");
    if (row.is_reply) reasons.push("reply");
    if (row.c_type === "dm") reasons.push("dm");
    return {
      reasons,
      channel: { id: String(row.channel_id), type: row.c_type, name: row.c_name, server_id: row.c_server },
      message: toMessageView(row),
    };
  });
  const pending = await listPending(db, agentId, { direction: "received", limit: 20 });
  return {
    items,
    next_since: rows.at(-1)?.id ?? since,
    has_more: r.rows.length > limit,
    friend_requests: pending.received?.items ?? [],
  };
}
