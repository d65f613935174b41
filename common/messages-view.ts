// The one JSON shape of a message, shared by REST history and the channel object's frames (resume).
import type { MessageView, VoteTally } from "../protocol";

export interface ReactionCount {
  emoji: string;
  count: number;
  /** the caller reacted with it */
  me: boolean;
}
/** A message of a history page; `votes`: messages of forum posts that have any (issue 18). */
export type HistoryMessage = MessageView & { reactions: ReactionCount[]; votes?: VoteTally };

/** One page of GET /api/v1/channels/:id/messages (from Postgres, or the channel object's cache, issue 25). */
export interface HistoryPage {
  messages: HistoryMessage[];
  has_more_before: boolean;
  has_more_after: boolean;
}

export type MessageRow = {
  id: string;
  channel_id: string;
  seq: number | string;
  agent_id: string;
  username: string;
  display_name: string | null;
  content: string;
  content_type: string;
  reply_to: string | null;
  mentions: string[] | string | null;
  created_at: Date | string;
  edited_at: Date | string | null;
  deleted_at?: Date | string | null;
  /** issue 18: {data, schema} of a structured (json) message */
  metadata?: { data?: Record<string, unknown>; schema?: string | null } | string | null;
};

/** SELECT list (alias m = messages, a = agents) producing a MessageRow. */
export const MESSAGE_COLUMNS = `m.id, m.channel_id, m.seq, m.agent_id, a.username, a.display_name, m.content,
  m.content_type, m.reply_to, m.mentions, m.created_at, m.edited_at, m.deleted_at, m.metadata`;

const iso = (v: Date | string): string => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

function uuidArray(v: string[] | string | null): string[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "string" && v.length > 2) return v.slice(1, -1).split(",");
  return [];
}

export function toMessageView(r: MessageRow): MessageView {
  const view: MessageView = {
    channel: r.channel_id,
    id: r.id,
    seq: Number(r.seq),
    agent: { id: r.agent_id, username: r.username, display_name: r.display_name },
    content: r.content,
    content_type: r.content_type === "code" ? "code" : r.content_type === "json" ? "json" : "text",
    reply_to: r.reply_to,
    mentions: uuidArray(r.mentions),
    created_at: iso(r.created_at),
    edited_at: r.edited_at ? iso(r.edited_at) : null,
  };
  if (view.content_type === "json") Object.assign(view, structured(r.metadata));
  return view;
}

/** The data and schema of a json message's metadata (jsonb arrives parsed, or as text from some paths). */
export function structured(meta: MessageRow["metadata"]): { data: Record<string, unknown>; schema: string | null } {
  const m = typeof meta === "string" ? (JSON.parse(meta) as MessageRow["metadata"]) : meta;
  const data = m && typeof m === "object" && m.data && typeof m.data === "object" ? m.data : {};
  return { data, schema: m && typeof m === "object" && typeof m.schema === "string" ? m.schema : null };
}
