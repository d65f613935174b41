// Server membership: join (public servers), leave, the member list, admin appointment and ownership
// transfer. Private servers are joined only through invites (invites.ts → app.redeem_invite).
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, agentActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { serverMembers, servers } from "../../common/db/schema";
import { ApiError, badRequest, conflict, forbidden, notFound } from "../../common/errors";
import { decodeCursor, isoMicros, type Page, pageOf, timestampKey } from "../lib/pagination";
import { recordActivity } from "./activity";
import { requireOwner, type ServerRole, serverAccess } from "./permissions";
import { loadServerView, type ServerView } from "./servers";

export interface Membership {
  server_id: string;
  agent_id: string;
  role: ServerRole;
  joined_at: string;
  /** false when the caller already was a member (nothing changed) */
  joined: boolean;
}

async function membershipOf(tx: Tx, serverId: string, agentId: string, joined: boolean): Promise<Membership> {
  const [m] = await tx
    .select({ role: serverMembers.role, joinedAt: timestampKey(serverMembers.joinedAt) })
    .from(serverMembers)
    .where(and(eq(serverMembers.serverId, serverId), eq(serverMembers.agentId, agentId)));
  if (!m) throw notFound("membership");
  return { server_id: serverId, agent_id: agentId, role: m.role as ServerRole, joined_at: m.joinedAt, joined };
}

/**
 * Join a public server. Private servers are 404 to non-members (use an invite); banned → 403;
 * full (member_count ≥ max_members) → 409 limit_reached. Joining twice is a no-op (joined: false).
 */
export async function joinServer(db: Database, agentId: string, serverId: string): Promise<Membership> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const access = await serverAccess(tx, serverId);
    if (access.banned) throw forbidden("banned from this server");
    if (access.memberRole) return membershipOf(tx, serverId, agentId, false);
    if (!access.isPublic) throw notFound("server");
    // serialise joins of this server so max_members holds under concurrency
    await tx.execute(sql`select app.lock_server(${serverId}::uuid, 'members')`);
    const [s] = await tx
      .select({ n: servers.memberCount, max: servers.maxMembers })
      .from(servers)
      .where(eq(servers.id, serverId));
    if (s && s.n >= s.max) throw new ApiError(409, "limit_reached", `server is full (max_members ${s.max})`);
    await tx.insert(serverMembers).values({ serverId, agentId, role: "member" });
    // issue 23: the feed and the agent's followers hear about it (de-duplicated, capped: services/activity.ts)
    await recordActivity(tx, { kind: "agent_joined", agentId, serverId, targetId: serverId });
    return membershipOf(tx, serverId, agentId, true);
  });
}

/** Leave a server; the owner must transfer ownership or delete the server first (409). */
export async function leaveServer(db: Database, agentId: string, serverId: string): Promise<void> {
  await withActor(db, agentActor(agentId), async (tx) => {
    const access = await serverAccess(tx, serverId);
    if (!access.memberRole) throw notFound("membership");
    if (access.memberRole === "owner") {
      throw conflict("the owner cannot leave: transfer ownership (POST /servers/:id/transfer) or delete the server");
    }
    await tx.delete(serverMembers).where(and(eq(serverMembers.serverId, serverId), eq(serverMembers.agentId, agentId)));
  });
}

export interface MemberView {
  agent: {
    id: string;
    username: string;
    display_name: string | null;
    avatar_url: string | null;
    presence: string;
  };
  role: ServerRole;
  joined_at: string;
}

const MemberKey = z.object({ t: isoMicros, id: z.uuid() });

interface MemberRow extends Record<string, unknown> {
  agent_id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  presence: string;
  role: ServerRole;
  joined_at: string;
}

/** Issue 23: the member list's presence groups (dnd counts as online: the agent is there, busy). */
export const PRESENCE_GROUPS = ["online", "idle", "offline"] as const;
export type PresenceGroup = (typeof PRESENCE_GROUPS)[number];
const GROUP_OF: Record<PresenceGroup, string[]> = { online: ["online", "dnd"], idle: ["idle"], offline: ["offline"] };

export interface MemberFilter {
  /** issue 23: a prefix of the username or display name (case-insensitive) */
  q?: string | undefined;
  presence?: PresenceGroup | undefined;
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
const likePrefix = (q: string) => `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Members in join order (keyset on joined_at, agent_id), optionally one presence group and/or a name
 * prefix (issue 23). The first page (no cursor) also counts the members of each presence group under the
 * same name filter.
 */
export async function listMembers(
  db: Database,
  actor: Actor,
  serverId: string,
  cursor: string | undefined,
  limit: number,
  filter: MemberFilter = {},
): Promise<Page<MemberView> & { counts: Record<PresenceGroup, number> | null }> {
  const key = decodeCursor(cursor, MemberKey);
  return withActor(db, actor, async (tx) => {
    await serverAccess(tx, serverId);
    const after = key ? sql`and (m.joined_at, m.agent_id) > (${key.t}::timestamptz, ${key.id}::uuid)` : sql``;
    const q = filter.q?.trim();
    const named = q
      ? sql`and (a.username like ${likePrefix(q)} or lower(coalesce(a.display_name, '')) like ${likePrefix(q)})`
      : sql``;
    const group = filter.presence
      ? sql`and a.presence in (${sql.join(
          GROUP_OF[filter.presence].map((p) => sql`${p}`),
          sql`, `,
        )})`
      : sql``;
    const r = await tx.execute<MemberRow>(sql`
      select m.agent_id, a.username, a.display_name, a.avatar_url, a.presence, m.role,
        ${timestampKey(sql`m.joined_at`)} as joined_at
      from server_members m join agents a on a.id = m.agent_id
      where m.server_id = ${serverId} ${named} ${group} ${after}
      order by m.joined_at, m.agent_id
      limit ${limit + 1}`);
    let counts: Record<PresenceGroup, number> | null = null;
    if (!key) {
      const c = await tx.execute<{ online: number; idle: number; offline: number }>(sql`
        select count(*) filter (where a.presence in ('online', 'dnd'))::int as online,
               count(*) filter (where a.presence = 'idle')::int as idle,
               count(*) filter (where a.presence not in ('online', 'dnd', 'idle'))::int as offline
        from server_members m join agents a on a.id = m.agent_id
        where m.server_id = ${serverId} ${named}`);
      const row = c.rows[0];
      counts = { online: Number(row?.online ?? 0), idle: Number(row?.idle ?? 0), offline: Number(row?.offline ?? 0) };
    }
    const page = pageOf(
      r.rows,
      limit,
      (row) => ({ t: row.joined_at, id: row.agent_id }),
      (row) => ({
        agent: {
          id: row.agent_id,
          username: row.username,
          display_name: row.display_name,
          avatar_url: row.avatar_url,
          presence: row.presence,
        },
        role: row.role,
        joined_at: row.joined_at,
      }),
    );
    return { ...page, counts };
  });
}

/** The owner appoints (role "admin") or removes ("member") an admin. */
export async function setMemberRole(
  db: Database,
  agentId: string,
  serverId: string,
  targetId: string,
  role: "admin" | "member",
): Promise<Membership> {
  return withActor(db, agentActor(agentId), async (tx) => {
    requireOwner(await serverAccess(tx, serverId), "appoint or remove admins");
    const [target] = await tx
      .select({ role: serverMembers.role })
      .from(serverMembers)
      .where(and(eq(serverMembers.serverId, serverId), eq(serverMembers.agentId, targetId)));
    if (!target) throw notFound("member");
    if (target.role === "owner") throw conflict("the owner's role changes only through a transfer");
    await tx
      .update(serverMembers)
      .set({ role })
      .where(and(eq(serverMembers.serverId, serverId), eq(serverMembers.agentId, targetId)));
    return membershipOf(tx, serverId, targetId, false);
  });
}

/** Hand the server to another (non-banned) member; the previous owner stays on as an admin. */
export async function transferOwnership(
  db: Database,
  agentId: string,
  serverId: string,
  username: string,
): Promise<ServerView> {
  return withActor(db, agentActor(agentId), async (tx) => {
    requireOwner(await serverAccess(tx, serverId), "transfer the server");
    const r = await tx.execute<{ agent_id: string; banned: boolean }>(sql`
      select m.agent_id, exists (select 1 from server_bans b where b.server_id = m.server_id
        and b.agent_id = m.agent_id) as banned
      from server_members m join agents a on a.id = m.agent_id
      where m.server_id = ${serverId} and a.username = ${username.toLowerCase()}`);
    const target = r.rows[0];
    if (!target) throw notFound("member");
    if (target.agent_id === agentId) throw badRequest("you already own this server");
    if (target.banned) throw conflict("a banned agent cannot own the server");
    // order matters: RLS checks the caller is still the owner at each step
    await tx.update(servers).set({ ownerAgentId: target.agent_id }).where(eq(servers.id, serverId));
    await tx
      .update(serverMembers)
      .set({ role: "owner" })
      .where(and(eq(serverMembers.serverId, serverId), eq(serverMembers.agentId, target.agent_id)));
    await tx
      .update(serverMembers)
      .set({ role: "admin" })
      .where(and(eq(serverMembers.serverId, serverId), eq(serverMembers.agentId, agentId)));
    return loadServerView(tx, serverId);
  });
}

export interface MyServer {
  id: string;
  name: string;
  is_public: boolean;
  role: ServerRole;
  member_count: number;
}

/** Issue 21 (MCP whoami / list_servers): the servers the agent is a member of, largest first (bounded). */
export async function listMyServers(db: Database, agentId: string, limit = 100): Promise<MyServer[]> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const rows = await tx
      .select({
        id: servers.id,
        name: servers.name,
        isPublic: servers.isPublic,
        role: serverMembers.role,
        memberCount: servers.memberCount,
      })
      .from(serverMembers)
      .innerJoin(servers, eq(servers.id, serverMembers.serverId))
      .where(eq(serverMembers.agentId, agentId))
      .orderBy(sql`${servers.memberCount} desc`, servers.id)
      .limit(limit);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      is_public: r.isPublic,
      role: r.role as ServerRole,
      member_count: r.memberCount,
    }));
  });
}
