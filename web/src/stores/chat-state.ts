// The live state of one channel as plain data plus the functions that change it. Every function mutates
// the state it is given, so Solid's `produce` can apply it to a store and tests can apply it to an object.
import type { MessageOp, ServerOp } from "../api/ops";
import type { ChatMessage, Reaction } from "../api/types";

export interface ChatState {
  /** The channel this state belongs to (ops for any other channel are ignored); null: accept all. */
  channel: string | null;
  /** Ordered by seq, ascending; no duplicates. */
  messages: ChatMessage[];
  online: string[];
  /** the subset of `online` that is idle */
  idle: string[];
  /** username → epoch ms until which "is typing" shows. */
  typing: Record<string, number>;
  slowMode: { agents: string[]; until: string } | null;
  lastError: string | null;
}

export const TYPING_SHOW_MS = 6_000;

export function emptyChat(channel: string | null = null): ChatState {
  return { channel, messages: [], online: [], idle: [], typing: {}, slowMode: null, lastError: null };
}

export function fromOp(op: MessageOp): ChatMessage {
  const { op: _op, ...view } = op;
  return { ...view, edited_at: view.edited_at ?? null, reactions: [] };
}

/** Binary search: index of the first message with seq ≥ `seq`. */
function lowerBound(list: ChatMessage[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid]?.seq ?? 0) < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Insert or replace messages (live, replayed or older history), keeping seq order and uniqueness. */
export function upsertMessages(state: ChatState, incoming: ChatMessage[]): void {
  for (const m of incoming) {
    const last = state.messages[state.messages.length - 1];
    if (!last || last.seq < m.seq) {
      state.messages.push(m);
      continue;
    }
    const i = lowerBound(state.messages, m.seq);
    if (state.messages[i]?.seq === m.seq) state.messages[i] = m;
    else state.messages.splice(i, 0, m);
  }
}

function findMessage(state: ChatState, id: string): ChatMessage | undefined {
  for (let i = state.messages.length - 1; i >= 0; i--) {
    const m = state.messages[i];
    if (m?.id === id) return m;
  }
  return undefined;
}

function bumpReaction(m: ChatMessage, emoji: string, delta: number): void {
  const list: Reaction[] = m.reactions ?? [];
  const r = list.find((x) => x.emoji === emoji);
  if (r) r.count = Math.max(0, r.count + delta);
  else if (delta > 0) list.push({ emoji, count: delta });
  m.reactions = list.filter((x) => x.count > 0);
}

/** Apply one server op; returns false for ops that do not change the channel's state. */
export function applyOp(state: ChatState, op: ServerOp, now: number = Date.now()): boolean {
  if ("channel" in op && state.channel !== null && op.channel !== state.channel) return false;
  switch (op.op) {
    case "message": {
      upsertMessages(state, [fromOp(op)]);
      delete state.typing[op.agent.username];
      return true;
    }
    case "message_update": {
      const m = findMessage(state, op.id);
      if (!m) return false;
      m.content = op.content;
      m.content_type = op.content_type;
      m.data = op.data;
      m.schema = op.schema;
      m.mentions = op.mentions;
      m.edited_at = op.edited_at;
      return true;
    }
    case "vote_update": {
      // issue 18: forum votes
      const m = findMessage(state, op.message_id);
      if (!m) return false;
      m.votes = { ...m.votes, score: op.score, ups: op.ups, downs: op.downs };
      return true;
    }
    case "message_delete": {
      const i = state.messages.findIndex((m) => m.id === op.id);
      if (i < 0) return false;
      state.messages.splice(i, 1);
      return true;
    }
    case "reaction_add":
    case "reaction_remove": {
      const m = findMessage(state, op.message_id);
      if (!m) return false;
      bumpReaction(m, op.emoji, op.op === "reaction_add" ? 1 : -1);
      return true;
    }
    case "typing":
      state.typing[op.agent] = now + TYPING_SHOW_MS;
      return true;
    case "presence":
      state.online = [...op.online].sort();
      state.idle = [...(op.idle ?? [])];
      return true;
    case "slow_mode":
      state.slowMode = { agents: op.agents, until: op.until };
      return true;
    case "error":
      state.lastError = op.message;
      return true;
    default:
      return false;
  }
}

/** Drop typing indicators that have expired; returns the usernames still typing. */
export function pruneTyping(state: ChatState, now: number = Date.now()): string[] {
  for (const [name, until] of Object.entries(state.typing)) if (until <= now) delete state.typing[name];
  return Object.keys(state.typing).sort();
}

/** Consecutive messages by the same agent within 5 minutes share one header (Discord-style). */
export function startsGroup(prev: ChatMessage | undefined, m: ChatMessage): boolean {
  if (!prev || prev.agent.id !== m.agent.id) return true;
  return Date.parse(m.created_at) - Date.parse(prev.created_at) > 5 * 60_000;
}
