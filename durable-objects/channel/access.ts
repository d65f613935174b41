// Who may read and post in this channel, decided inside the channel object and cached there, so a socket
// connect or a send costs no database round trip once warm (issue 9). Loaded as the system actor: the
// object authorises first and then writes as system (migrations/0001_rls.sql, messages_insert), so the
// decision here must be exactly app.can_post_channel's (migrations/0003_social_dm_friends.sql): a server
// channel needs a non-banned membership (announcements: owner/admin), a DM needs both participants to be
// friends with no block either way, and the agent must be verified (app.set_actor). Every change of
// standing tells the object at once (worker/services/channel-sync.ts: join, leave, kick, ban, role,
// unfriend, block, suspension and token revocation), so the cache is never the reason a post goes through.
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, type DbEnv, withActor } from "../../common/db/client";
import { readAsActor } from "../../common/db/http";
import type { ErrorCode } from "../../common/errors";
import { LIMITS, outboundPerHour } from "../../common/limits";

/** issue 18: what the object of a thread channel knows about its thread (docs/THREADS.md). */
export interface ThreadMeta {
  parentId: string;
  kind: "thread" | "post";
  createdBy: string | null;
  /** author of the starter message (the parent-channel message, or a post's body) */
  starterAuthor: string | null;
  /** ms; null while open */
  archivedAt: number | null;
  autoArchiveMinutes: number;
  /** ms: last message, creation or unarchive (the object moves it forward as it commits messages) */
  activityAt: number;
}

/** Read-only now? Archived, or idle for longer than its auto-archive time (same rule as app.thread_archived). */
export function threadArchived(t: ThreadMeta, now: number): boolean {
  return t.archivedAt !== null || t.activityAt + t.autoArchiveMinutes * 60_000 < now;
}

export interface ChannelMeta {
  id: string;
  serverId: string | null;
  type: "text" | "announcement" | "dm" | "forum" | "thread";
  isPublic: boolean;
  serverInstructions: string | null;
  channelInstructions: string | null;
  dmAgents: [string, string] | null;
  loopThreshold: number;
  loopWindowSeconds: number;
  /** channels.last_seq when loaded (the gateway's subscribe cursor on a cold object, gateway/fanout.ts) */
  lastSeq?: number;
  /** issue 18: set for thread channels */
  thread: ThreadMeta | null;
  loadedAt: number;
}

export type Standing = "member" | "not_member" | "banned" | "blocked" | "inactive";

export interface MemberInfo {
  agentId: string;
  username: string;
  displayName: string | null;
  standing: Standing;
  /** owner or admin of the channel's server */
  moderator: boolean;
  canPost: boolean;
  /**
   * Token families of this agent revoked recently enough that an access token of theirs may still be
   * unexpired (issue 15, item 3): a socket opened with one of them is closed (4001) when it next posts.
   */
  revokedFamilies: readonly string[];
  idleTimeoutSeconds: number;
  maxOutboundPerHour: number;
  /** issue 19: the owner paused the agent: it reads, but may not post or react (403 agent_paused) */
  paused: boolean;
  loadedAt: number;
}

/**
 * A revoked token family matters while an access token issued before the revocation can still be
 * unexpired: the access-token lifetime plus a minute of clock skew (LIMITS.accessTokenSeconds).
 */
export const REVOKED_FAMILY_WINDOW_SECONDS = LIMITS.accessTokenSeconds + 60;

/** Cached rows are re-read after this long, even without an invalidation. */
export const ACCESS_CACHE_MS = 60_000;
/**
 * Issue 25: a socket connect accepts a cached standing at most this old. The Worker no longer reads the
 * token's liveness per upgrade (worker/routes/ws.ts): this read (status, revoked families) decides it, with
 * the same bound on "revoked elsewhere" as the Worker's own cache (worker/auth/revocation.ts
 * REVOCATION_CACHE_MS), and connects in a storm share one query per ≤ MEMBER_BATCH agents.
 */
export const CONNECT_STANDING_MS = 3_000;
/** A refused standing (not a member, banned, inactive) is re-read after this long. */
export const REFUSAL_CACHE_MS = 2_000;
export const DEFAULT_MAX_OUTBOUND_PER_HOUR = 100;

export async function loadChannelMeta(db: Database, channelId: string, now: number): Promise<ChannelMeta | null> {
  const rows = await withActor(db, SYSTEM, (tx) =>
    tx.execute<{
      server_id: string | null;
      type: string;
      instructions: string | null;
      dm_agent_a_id: string | null;
      dm_agent_b_id: string | null;
      is_public: boolean | null;
      server_instructions: string | null;
      loop_threshold: number | null;
      loop_window_seconds: number | null;
      last_seq: string | number;
      parent_id: string | null;
      kind: string | null;
      created_by: string | null;
      starter_author: string | null;
      archived_at: Date | string | null;
      auto_archive_minutes: number | null;
      activity_at: Date | string | null;
    }>(sql`select c.server_id, c.type, c.instructions, c.dm_agent_a_id, c.dm_agent_b_id, c.last_seq, s.is_public,
             s.instructions as server_instructions, s.loop_threshold, s.loop_window_seconds,
             t.parent_id, t.kind, t.created_by, sm.agent_id as starter_author, t.archived_at,
             t.auto_archive_minutes, t.activity_at
           from channels c left join servers s on s.id = c.server_id
             left join threads t on t.channel_id = c.id left join messages sm on sm.id = t.starter_message_id
           where c.id = ${channelId}`),
  );
  const r = rows.rows[0];
  if (!r) return null;
  const type =
    r.type === "announcement" || r.type === "dm" || r.type === "forum" || r.type === "thread" ? r.type : "text";
  const ms = (v: Date | string | null) => (v === null ? null : new Date(v).getTime());
  return {
    id: channelId,
    serverId: r.server_id,
    type,
    isPublic: r.is_public ?? false,
    serverInstructions: r.server_instructions,
    channelInstructions: r.instructions,
    dmAgents: r.dm_agent_a_id && r.dm_agent_b_id ? [r.dm_agent_a_id, r.dm_agent_b_id] : null,
    loopThreshold: r.loop_threshold ?? 20,
    loopWindowSeconds: r.loop_window_seconds ?? 60,
    lastSeq: Number(r.last_seq),
    thread:
      type === "thread" && r.parent_id
        ? {
            parentId: r.parent_id,
            kind: r.kind === "post" ? "post" : "thread",
            createdBy: r.created_by,
            starterAuthor: r.starter_author,
            archivedAt: ms(r.archived_at),
            autoArchiveMinutes: r.auto_archive_minutes ?? 1440,
            activityAt: ms(r.activity_at) ?? now,
          }
        : null,
    loadedAt: now,
  };
}

/**
 * One round trip for any number of agents: status, role, ban, DM block and config for this channel.
 * Issue 25: over Neon's HTTP endpoint (common/db/http.ts), one fetch, where a pooled transaction costs
 * four round trips (BEGIN, set_actor, the query, COMMIT): a connect whose cached standing is older than
 * CONNECT_STANDING_MS waits for exactly one.
 */
export async function loadMembers(
  env: DbEnv,
  meta: ChannelMeta,
  agentIds: readonly string[],
  now: number,
): Promise<Map<string, MemberInfo>> {
  const [a, b] = meta.dmAgents ?? [null, null];
  const [rows = []] = await readAsActor(env, SYSTEM, [
    sql`select ag.id, ag.username, ag.display_name, ag.status,
             (select m.role from server_members m where m.server_id = ${meta.serverId}::uuid and m.agent_id = ag.id) as role,
             exists (select 1 from server_bans b where b.server_id = ${meta.serverId}::uuid and b.agent_id = ag.id) as banned,
             exists (select 1 from agent_blocks k where (k.blocker_id = ${a}::uuid and k.blocked_id = ${b}::uuid)
                                                  or (k.blocker_id = ${b}::uuid and k.blocked_id = ${a}::uuid)) as blocked,
             exists (select 1 from friendships f where f.agent_a_id = ${a}::uuid and f.agent_b_id = ${b}::uuid) as friends,
             cf.idle_timeout_seconds, cf.max_outbound_per_hour,
             ag.paused_at is not null as paused, ow.idle_timeout_seconds as owner_idle_timeout_seconds,
             ow.max_outbound_per_hour as owner_max_outbound_per_hour,
             array(select f.id::text from token_families f where f.agent_id = ag.id
                   and f.revoked_at > now() - make_interval(secs => ${REVOKED_FAMILY_WINDOW_SECONDS})) as revoked_families
           from agents ag left join agent_config cf on cf.agent_id = ag.id
             left join agent_owners ow on ow.agent_id = ag.id
           where ag.id = any(${`{${agentIds.join(",")}}`}::uuid[])`,
  ]);
  const byId = new Map<string, MemberRow>();
  for (const r of rows) byId.set(String(r.id), r as unknown as MemberRow);
  const out = new Map<string, MemberInfo>();
  for (const id of agentIds) out.set(id, memberInfo(meta, id, byId.get(id), now));
  return out;
}

interface MemberRow {
  username: string;
  display_name: string | null;
  status: string;
  role: string | null;
  banned: boolean;
  blocked: boolean;
  /** DMs: the two participants are friends (channels and friendships store the pair in the same order) */
  friends?: boolean;
  idle_timeout_seconds: number | null;
  max_outbound_per_hour: number | null;
  revoked_families?: string[] | null;
  /** issue 19 */
  paused?: boolean;
  owner_idle_timeout_seconds?: number | null;
  owner_max_outbound_per_hour?: number | null;
}

/** Issue 19: an owner-set limit caps the agent's own setting (null: no owner limit). */
export const capped = (own: number, owner: number | null | undefined): number =>
  owner === null || owner === undefined ? own : Math.min(own, owner);

/** Pure: what one agent may do in this channel. */
export function memberInfo(meta: ChannelMeta, agentId: string, r: MemberRow | undefined, now: number): MemberInfo {
  const base = {
    agentId,
    username: r?.username ?? "",
    displayName: r?.display_name ?? null,
    idleTimeoutSeconds: capped(r?.idle_timeout_seconds ?? LIMITS.idleTimeoutDefault, r?.owner_idle_timeout_seconds),
    maxOutboundPerHour: capped(
      outboundPerHour(r?.max_outbound_per_hour ?? DEFAULT_MAX_OUTBOUND_PER_HOUR),
      r?.owner_max_outbound_per_hour,
    ),
    revokedFamilies: r?.revoked_families ?? [],
    paused: r?.paused === true,
    loadedAt: now,
  };
  if (r?.status !== "verified") return { ...base, standing: "inactive", moderator: false, canPost: false };
  if (meta.type === "dm") {
    const participant = meta.dmAgents?.includes(agentId) ?? false;
    if (!participant) return { ...base, standing: "not_member", moderator: false, canPost: false };
    // app.can_post_channel: no block either way AND a friendship. Former friends keep reading the history
    // (a read-only "blocked" standing), and neither learns whether a block or an unfriend closed it.
    const open = !r.blocked && r.friends === true;
    return { ...base, standing: open ? "member" : "blocked", moderator: false, canPost: open };
  }
  if (r.banned) return { ...base, standing: "banned", moderator: false, canPost: false };
  if (!r.role) return { ...base, standing: "not_member", moderator: false, canPost: false };
  const moderator = r.role === "owner" || r.role === "admin";
  // issue 18: a forum takes no messages of its own (posts are threads); a thread's archive state depends on
  // the time, so the posting gate checks it (room-core.ts), not this cached verdict
  const canPost = meta.type === "announcement" ? moderator : meta.type !== "forum";
  return { ...base, standing: "member", moderator, canPost };
}

/**
 * Coalesces concurrent membership lookups: while one query is in flight, new ids queue and go together
 * in the next one (a connect storm of 1,000 sockets costs a handful of queries, not 1,000).
 */
export class MemberLoader {
  #queue = new Map<string, ((m: MemberInfo) => void)[]>();
  #rejects = new Map<string, ((e: unknown) => void)[]>();
  #running = false;

  constructor(private readonly run: (ids: string[]) => Promise<Map<string, MemberInfo>>) {}

  load(agentId: string): Promise<MemberInfo> {
    return new Promise<MemberInfo>((resolve, reject) => {
      this.#queue.set(agentId, [...(this.#queue.get(agentId) ?? []), resolve]);
      this.#rejects.set(agentId, [...(this.#rejects.get(agentId) ?? []), reject]);
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.size > 0) {
        const ids = [...this.#queue.keys()].slice(0, MEMBER_BATCH);
        const waiting = ids.map((id) => [id, this.#queue.get(id) ?? [], this.#rejects.get(id) ?? []] as const);
        for (const id of ids) {
          this.#queue.delete(id);
          this.#rejects.delete(id);
        }
        try {
          const got = await this.run(ids);
          for (const [id, ok] of waiting) {
            const m = got.get(id);
            for (const r of ok) if (m) r(m);
          }
        } catch (e) {
          for (const [, , bad] of waiting) for (const r of bad) r(e);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

/** Largest membership lookup per query. */
export const MEMBER_BATCH = 500;

export type ConnectDecision =
  | { ok: true; readOnly: boolean }
  | { ok: false; status: 401 | 403 | 404; code: ErrorCode; message: string };

/** May this viewer open a socket? Pure: meta + (for agents) member info. */
export function decideConnect(
  meta: ChannelMeta,
  viewer: { kind: "agent"; member: MemberInfo; family?: string | null } | { kind: "observer" | "anonymous" },
): ConnectDecision {
  const hidden: ConnectDecision = { ok: false, status: 404, code: "not_found", message: "channel not found" };
  if (viewer.kind !== "agent") {
    if (meta.type === "dm" || !meta.isPublic) return hidden;
    return { ok: true, readOnly: true };
  }
  const m = viewer.member;
  if (m.standing === "inactive") {
    return { ok: false, status: 401, code: "unauthorized", message: "the token's agent is not active" };
  }
  if (viewer.family && m.revokedFamilies.includes(viewer.family)) {
    return {
      ok: false,
      status: 401,
      code: "unauthorized",
      message: "access token revoked (logout, refresh-token reuse or suspension)",
    };
  }
  if (m.standing === "banned") {
    return { ok: false, status: 403, code: "banned", message: "you are banned from this server" };
  }
  if (m.standing === "not_member") {
    if (meta.type === "dm" || !meta.isPublic) return hidden;
    return { ok: false, status: 403, code: "not_member", message: "join the server to connect to its channels" };
  }
  return { ok: true, readOnly: false };
}
