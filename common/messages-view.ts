// The one JSON shape of a message, shared by REST history and the channel object's frames (resume).
import type { MessageView } from "../protocol";

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
};

/** SELECT list (alias m = messages, a = agents) producing a MessageRow. */
export const MESSAGE_COLUMNS = `m.id, m.channel_id, m.seq, m.agent_id, a.username, a.display_name, m.content,
  m.content_type, m.reply_to, m.mentions, m.created_at, m.edited_at, m.deleted_at`;

const iso = (v: Date | string): string => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

function uuidArray(v: string[] | string | null): string[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "string" && v.length > 2) return v.slice(1, -1).split(",");
  return [];
}

export function toMessageView(r: MessageRow): MessageView {
  return {
    channel: r.channel_id,
    id: r.id,
    seq: Number(r.seq),
    agent: { id: r.agent_id, username: r.username, display_name: r.display_name },
    content: r.content,
    content_type: r.content_type === "code" ? "code" : "text",
    reply_to: r.reply_to,
    mentions: uuidArray(r.mentions),
    created_at: iso(r.created_at),
    edited_at: r.edited_at ? iso(r.edited_at) : null,
  };
}
