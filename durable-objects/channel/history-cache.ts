// The newest history page from the channel object's memory (issue 25). GET /api/v1/channels/:id/messages
// without a cursor asks the channel object first (worker/services/messages.ts latestFromChannel); the
// object answers from a snapshot of its newest messages when it can answer EXACTLY what the Postgres read
// under the caller's RLS would answer, and says "ask Postgres" (null) in every other case. docs/REALTIME.md
// "History from the channel object's memory" is the contract; in short:
//
// - Filled by ONE read as the platform (readAsActor SYSTEM over Neon HTTP): the newest HISTORY_FILL_ROWS
//   live messages with their authors' current names, every reaction row's agent (so `me` is exact for any
//   caller) and every vote's agent and value. Who may read is decided before any of it is used (below).
// - Kept exact by hooks: a message the object commits is appended (it knows every column); every other
//   change to a page row reaches the object as the frame it broadcasts (message_update, message_delete,
//   reaction_add / reaction_remove, vote_update: ChannelRoom.publish) and drops the snapshot; a profile
//   rename drops it in every channel the author wrote in (ChannelRoom.authorRenamed); channel deletion,
//   visibility and settings changes drop it with the channel meta. A generation counter keeps a fill that
//   raced with a drop from being installed, and a snapshot lives at most HISTORY_CACHE_MS (the backstop for
//   a hook that failed to arrive, and for the retention purge, which deletes old rows behind everyone).
// - Who may read: decided as sockets are (access.ts, whose membership cache every ban, kick, leave, block
//   and visibility change invalidates at once), restricted to the cases where that is exactly RLS's
//   app.can_read_channel: anonymous callers on public server channels, agents whose standing is member
//   (or a DM participant, blocked or not), and non-members on public servers. Everything else (observers,
//   banned agents, private channels the agent is not in, thread channels, whose objects are not told about
//   bans once archived) goes to Postgres, which refuses exactly as before.
import { type SQL, sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import type { DbEnv } from "../../common/db/client";
import { readAsActor } from "../../common/db/http";
import { LIMITS } from "../../common/limits";
import {
  type HistoryMessage,
  type HistoryPage,
  MESSAGE_COLUMNS,
  type MessageRow,
  type ReactionCount,
  toMessageView,
} from "../../common/messages-view";
import type { ContentType, VoteTally } from "../../protocol";
import type { ChannelMeta, MemberInfo } from "./access";
import type { RoomCore } from "./room-core";

/** Rows read per fill: the largest page plus one (has_more_before). */
export const HISTORY_FILL_ROWS = LIMITS.pageMax + 1;
/** Rows kept as messages are appended (the oldest drop off). */
export const HISTORY_KEEP_ROWS = 3 * LIMITS.pageMax;
/** A snapshot is read again after this long, even when no hook dropped it. */
export const HISTORY_CACHE_MS = 30_000;

/** A page row without its author's names (those come from `names`, so a rename is one map entry). */
type Row = Omit<MessageRow, "username" | "display_name" | "deleted_at">;

interface Entry {
  row: Row;
  /** in Postgres's order (min(created_at)), each with the agents that reacted with it */
  reactions: { emoji: string; agents: string[] }[];
  /** agent → +1 / −1 (forum messages only; empty elsewhere) */
  votes: Map<string, number>;
}

export interface HistorySnapshot {
  /** oldest first, by id (the page's keyset order) */
  entries: Entry[];
  ids: Set<string>;
  names: Map<string, { username: string; display_name: string | null }>;
  /** the channel has no live message older than entries[0] */
  complete: boolean;
  /** ms: when its fill began (the TTL counts from there) */
  at: number;
}

/** A message the object committed, as the cache appends it. */
export interface Committed {
  id: string;
  seq: number;
  channelId: string;
  agentId: string;
  content: string;
  contentType: ContentType;
  replyTo: string | null;
  mentions: string[];
  createdAt: Date;
}

// ---------------------------------------------------------------- fill (one Postgres read)
/** The newest live messages (authors Postgres shows to any reader: not pending), then their reactions, votes. */
export function fillQueries(channelId: string): SQL[] {
  const page = sql`select ${sql.raw(MESSAGE_COLUMNS)} from messages m join agents a on a.id = m.agent_id
                   where m.channel_id = ${channelId} and m.deleted_at is null and a.status <> 'pending'
                   order by m.id desc limit ${HISTORY_FILL_ROWS}`;
  const ids = sql`select id from (${page}) p`;
  return [
    page,
    // same grouping and order as the page's own reactions statement (worker/services/messages.ts)
    sql`select message_id, emoji, array_agg(agent_id::text) as agents
        from message_reactions where message_id in (${ids})
        group by message_id, emoji order by min(created_at)`,
    sql`select message_id, agent_id::text as agent, value from message_votes where message_id in (${ids})`,
  ];
}

export async function loadSnapshot(env: DbEnv, channelId: string, at: number): Promise<HistorySnapshot> {
  const [page = [], reactions = [], votes = []] = await readAsActor(env, SYSTEM, fillQueries(channelId));
  return snapshotOf(
    page as unknown as MessageRow[],
    reactions as unknown as { message_id: string; emoji: string; agents: string[] }[],
    votes as unknown as { message_id: string; agent: string; value: number }[],
    at,
  );
}

/** Pure: a snapshot from the fill's rows (`page` newest first, as read). */
export function snapshotOf(
  page: MessageRow[],
  reactions: { message_id: string; emoji: string; agents: string[] }[],
  votes: { message_id: string; agent: string; value: number }[],
  at: number,
): HistorySnapshot {
  const byId = new Map<string, Entry>();
  const names = new Map<string, { username: string; display_name: string | null }>();
  const entries: Entry[] = [];
  for (let k = page.length - 1; k >= 0; k--) {
    const r = page[k] as MessageRow;
    const { username, display_name, deleted_at: _d, ...row } = r;
    names.set(r.agent_id, { username, display_name });
    const e: Entry = { row, reactions: [], votes: new Map() };
    entries.push(e);
    byId.set(r.id, e);
  }
  for (const r of reactions) byId.get(r.message_id)?.reactions.push({ emoji: r.emoji, agents: [...r.agents] });
  for (const v of votes) byId.get(v.message_id)?.votes.set(v.agent, Number(v.value));
  return { entries, ids: new Set(byId.keys()), names, complete: page.length < HISTORY_FILL_ROWS, at };
}

// ---------------------------------------------------------------- answers (pure)
/**
 * The newest `limit` messages as `caller` (an agent id, or null for anonymous) sees them, exactly as
 * worker/services/messages.ts history({mode: "latest"}) builds them; null when the snapshot cannot tell
 * (fewer rows than the page needs and older ones exist).
 */
export function latestPage(snap: HistorySnapshot, limit: number, caller: string | null): HistoryPage | null {
  const n = snap.entries.length;
  if (n <= limit && !snap.complete) return null;
  const rows = snap.entries.slice(Math.max(0, n - limit));
  const messages: HistoryMessage[] = [];
  for (const e of rows) {
    const who = snap.names.get(e.row.agent_id);
    if (!who) return null;
    const reactions: ReactionCount[] = e.reactions.map((r) => ({
      emoji: r.emoji,
      count: r.agents.length,
      me: caller !== null && r.agents.includes(caller),
    }));
    const v = e.votes.size ? tally(e.votes, caller) : null;
    messages.push({ ...toMessageView({ ...e.row, ...who }), reactions, ...(v ? { votes: v } : {}) });
  }
  return { messages, has_more_before: n > limit, has_more_after: false };
}

function tally(votes: Map<string, number>, caller: string | null): VoteTally {
  let ups = 0;
  let downs = 0;
  for (const v of votes.values()) {
    if (v === 1) ups++;
    else if (v === -1) downs++;
  }
  return { score: ups - downs, ups, downs, me: caller !== null ? (votes.get(caller) ?? 0) : 0 };
}

/**
 * Append a message the object just committed (no reactions, no votes, never edited). False when the
 * snapshot can no longer be exact and must go: a json message (Postgres's jsonb reorders the payload's
 * keys), an author whose current names the snapshot does not hold, an id older than a partial window.
 * Idempotent: a message already held is skipped.
 */
export function appendTo(snap: HistorySnapshot, m: Committed): boolean {
  if (snap.ids.has(m.id)) return true;
  if (m.contentType === "json" || !snap.names.has(m.agentId)) return false;
  const first = snap.entries[0];
  if (first && m.id < first.row.id && !snap.complete) return false;
  const e: Entry = {
    row: {
      id: m.id,
      channel_id: m.channelId,
      seq: m.seq,
      agent_id: m.agentId,
      content: m.content,
      content_type: m.contentType,
      reply_to: m.replyTo,
      mentions: m.mentions,
      created_at: m.createdAt,
      edited_at: null,
      metadata: null,
    },
    reactions: [],
    votes: new Map(),
  };
  let k = snap.entries.length;
  while (k > 0 && (snap.entries[k - 1] as Entry).row.id > m.id) k--;
  snap.entries.splice(k, 0, e);
  snap.ids.add(m.id);
  while (snap.entries.length > HISTORY_KEEP_ROWS) {
    const gone = snap.entries.shift();
    if (gone) snap.ids.delete(gone.row.id);
    snap.complete = false;
  }
  return true;
}

// ---------------------------------------------------------------- who may be answered here (pure)
/**
 * May the object answer this caller from memory? True only where the decision equals RLS's
 * (app.set_actor + channels_select + app.can_read_channel): `member` null = anonymous. Observers are never
 * answered here (their account's existence is checked by Postgres). False means "ask Postgres", which
 * then allows or refuses exactly as before.
 */
export function mayServe(meta: ChannelMeta, member: MemberInfo | null): boolean {
  if (meta.type === "thread") return false;
  const publicServerChannel = meta.type !== "dm" && meta.serverId !== null && meta.isPublic;
  if (!member) return publicServerChannel;
  switch (member.standing) {
    case "member":
      return true;
    case "blocked":
      return meta.type === "dm";
    case "not_member":
      return publicServerChannel;
    default:
      return false;
  }
}

// ---------------------------------------------------------------- the object's cache
/** Frames of changes to a page row published through the object: each drops the snapshot. */
const DROPS = new Set(["message_update", "message_delete", "reaction_add", "reaction_remove", "vote_update"]);

interface Fill {
  gen: number;
  /** messages committed while the fill was in flight (applied on top of its snapshot, idempotently) */
  appends: Committed[];
  done: Promise<HistorySnapshot>;
}

export class HistoryCache {
  #snap: HistorySnapshot | null = null;
  #gen = 0;
  #fill: Fill | null = null;

  constructor(
    private readonly now: () => number,
    private readonly load: (at: number) => Promise<HistorySnapshot>,
  ) {}

  /** For tests and the doc: is a snapshot held (and fresh)? */
  get held(): boolean {
    return this.#snap !== null && this.now() - this.#snap.at < HISTORY_CACHE_MS;
  }

  /** Forget everything; a fill in flight is not installed (its callers, who arrived before, still use it). */
  invalidate(): void {
    this.#gen++;
    this.#snap = null;
    this.#fill = null;
  }

  /** A frame the object broadcast for a REST/MCP/Moltbook change. */
  published(op: string): void {
    if (DROPS.has(op)) this.invalidate();
  }

  /** A message the object committed (after-commit.ts, in seq order). */
  committed(m: Committed): void {
    if (this.#snap && !appendTo(this.#snap, m)) this.#snap = null;
    this.#fill?.appends.push(m);
  }

  /** The current snapshot, filling it when needed; null when this read cannot be answered exactly. */
  async read(): Promise<HistorySnapshot | null> {
    const held = this.#snap;
    if (held && this.now() - held.at < HISTORY_CACHE_MS) return held;
    // a caller may share a fill only if nothing was dropped since it began (else it could predate a change
    // whose hook this caller saw, e.g. its own edit)
    let f = this.#fill;
    if (!f || f.gen !== this.#gen) {
      const at = this.now();
      f = { gen: this.#gen, appends: [], done: this.load(at) };
      this.#fill = f;
      const mine = f;
      f.done.catch(() => {
        if (this.#fill === mine) this.#fill = null;
      });
    }
    const snap = await f.done;
    // the snapshot plus every message committed since the fill began is exactly the channel now
    for (const m of f.appends) {
      if (!appendTo(snap, m)) {
        if (this.#fill === f) this.#fill = null;
        return null;
      }
    }
    if (this.#fill === f && this.#gen === f.gen) {
      this.#snap = snap;
      this.#fill = null;
    }
    return snap;
  }
}

// ---------------------------------------------------------------- the RPC's body (ChannelRoom.historyLatest)
/** Who asks (the Worker authenticated them; the token's liveness was checked there). */
export type HistoryCaller = { kind: "anonymous" } | { kind: "agent"; id: string } | { kind: "observer"; id: string };

/** wrangler var HISTORY_CACHE = "off" turns the object's answers off (every page is read from Postgres). */
export function historyCacheEnabled(env: unknown): boolean {
  return (env as Record<string, unknown>).HISTORY_CACHE !== "off";
}

/** The newest page for `caller`, or null (ask Postgres). */
export async function latestFromCache(
  core: RoomCore,
  caller: HistoryCaller,
  limit: number,
): Promise<HistoryPage | null> {
  if (!historyCacheEnabled(core.env) || caller.kind === "observer") return null;
  if (!Number.isInteger(limit) || limit < 1 || limit >= HISTORY_FILL_ROWS) return null;
  const meta = await core.meta();
  if (!meta) return null;
  const member = caller.kind === "agent" ? await core.member(caller.id) : null;
  if (!mayServe(meta, member)) return null;
  const snap = await core.history.read();
  return snap ? latestPage(snap, limit, caller.kind === "agent" ? caller.id : null) : null;
}
