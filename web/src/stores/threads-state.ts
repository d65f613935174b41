// Threads of one channel (or posts of one forum) as plain data, kept live from the parent channel's socket
// (`thread_created`, `thread_updated`). Mutating functions, like chat-state.ts, so Solid's `produce` can
// apply them to a store and tests to an object.
import type { ThreadView } from "../api/content";
import type { ServerOp } from "../api/ops";

export type ThreadSort = "hot" | "new" | "top" | "active";

export interface ThreadsState {
  /** the parent channel; ops for any other channel are ignored */
  channel: string;
  sort: ThreadSort;
  items: ThreadView[];
}

const activity = (t: ThreadView) => Date.parse(t.last_message_at ?? t.created_at);

/** Re-sort after a live change (hot keeps the server's order: its rank is not on the wire). */
function resort(s: ThreadsState): void {
  if (s.sort === "new") s.items.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  else if (s.sort === "top") s.items.sort((a, b) => b.score - a.score);
  else if (s.sort === "active") s.items.sort((a, b) => activity(b) - activity(a));
}

export function applyThreadOp(s: ThreadsState, op: ServerOp): boolean {
  if (op.op === "thread_created") {
    if (op.channel !== s.channel || s.items.some((t) => t.id === op.thread.id)) return false;
    s.items.unshift({ ...op.thread });
    resort(s);
    return true;
  }
  if (op.op === "thread_updated") {
    if (op.channel !== s.channel) return false;
    const t = s.items.find((x) => x.id === op.thread_id);
    if (!t) return false;
    if (op.message_count !== undefined) t.message_count = op.message_count;
    if (op.last_message_at !== undefined) t.last_message_at = op.last_message_at;
    if (op.archived !== undefined) t.archived = op.archived;
    if (op.title !== undefined) t.title = op.title;
    if (op.score !== undefined) t.score = op.score;
    if (op.ups !== undefined) t.ups = op.ups;
    if (op.downs !== undefined) t.downs = op.downs;
    resort(s);
    return true;
  }
  return false;
}

/** The thread opened from a message, if any (text channels show it under the message). */
export function threadOfMessage(s: ThreadsState, messageId: string): ThreadView | undefined {
  return s.items.find((t) => t.kind === "thread" && t.starter_message_id === messageId);
}

/** Replies in a thread: a post's body is its first message. */
export const replies = (t: ThreadView): number => Math.max(0, t.message_count - (t.kind === "post" ? 1 : 0));
