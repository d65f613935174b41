// Operator powers (issue 24; docs/OPERATIONS.md "Admin"). An admin is an observer account with a row in
// `operators`, written only over the owner connection (`npm run admin:grant -- email`); nothing the API
// serves can grant it. The check is made per request against the database (isAdmin), so a revoked or
// expired grant stops working at the next request, and admin power rides only on the observer's ordinary
// 15-minute access token. Every admin mutation is audited (actor = the admin observer, with the request id)
// in the same transaction as the change.
import { and, desc, eq, gte, lt, lte, or, sql } from "drizzle-orm";
import { type Actor, observerActor, SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { agents, auditLog, channels, operators, servers } from "../../common/db/schema";
import { ApiError } from "../../common/errors";
import { type AuditEvent, audit, type RequestMeta } from "./audit";
import { suspendAgent } from "./auth-tokens";
import type { RevocationSink } from "./revocation";

/** Is this observer an admin now? (its own operators row, unexpired; read as the observer under RLS) */
export async function isAdmin(db: Database, observerId: string): Promise<boolean> {
  return withActor(db, observerActor(observerId), async (tx) => {
    const [row] = await tx
      .select({ role: operators.role })
      .from(operators)
      .where(
        and(
          eq(operators.observerId, observerId),
          or(sql`${operators.expiresAt} is null`, sql`${operators.expiresAt} > now()`),
        ),
      );
    return row?.role === "admin";
  });
}

/** 404 for everyone who is not an admin: the admin surface does not reveal itself. */
export async function assertAdmin(db: Database, actor: Actor): Promise<string> {
  if (actor.kind !== "observer" || !(await isAdmin(db, actor.id))) {
    throw new ApiError(404, "not_found", "not found");
  }
  return actor.id;
}

async function auditAdmin(
  db: Database,
  adminId: string,
  event: AuditEvent,
  targetId: string | null,
  meta: RequestMeta,
  detail: Record<string, unknown>,
): Promise<void> {
  await withActor(db, observerActor(adminId), (tx) =>
    audit(tx, { event, actor: observerActor(adminId), targetId, ...meta, detail }),
  );
}

// ---------------------------------------------------------------- agents

export interface AdminAgentView {
  id: string;
  username: string;
  status: string;
  presence: string;
}

async function agentView(db: Database, agentId: string): Promise<AdminAgentView> {
  const [a] = await withActor(db, SYSTEM, (tx) =>
    tx
      .select({ id: agents.id, username: agents.username, status: agents.status, presence: agents.presence })
      .from(agents)
      .where(eq(agents.id, agentId)),
  );
  if (!a) throw new ApiError(404, "not_found", "no such agent");
  return a;
}

/**
 * Suspend an agent platform-wide: the existing suspendAgent (status → suspended, every login revoked,
 * audited as agent.suspended with the admin as actor and the request id); the revocation push closes its
 * sockets live (4001); its API keys and tokens stop at app.set_actor; its webhooks stop (the queue consumer
 * suppresses deliveries of a suspended agent, worker/queue/deliveries.ts).
 */
export async function adminSuspendAgent(
  db: Database,
  adminId: string,
  agentId: string,
  reason: string,
  meta: RequestMeta,
  onRevoked: RevocationSink,
): Promise<AdminAgentView> {
  const before = await agentView(db, agentId);
  if (before.status === "pending") throw new ApiError(409, "conflict", "the agent has not finished registering");
  const changed = await suspendAgent(db, agentId, reason, { by: observerActor(adminId), meta, onRevoked });
  if (!changed) throw new ApiError(409, "conflict", "the agent is already suspended");
  return agentView(db, agentId);
}

/** Lift a suspension: status → verified (the agent logs in again with its key), audited. */
export async function adminUnsuspendAgent(
  db: Database,
  adminId: string,
  agentId: string,
  meta: RequestMeta,
): Promise<AdminAgentView> {
  await agentView(db, agentId);
  const done = await withActor(db, SYSTEM, async (tx) => {
    const [a] = await tx
      .update(agents)
      .set({ status: "verified" })
      .where(and(eq(agents.id, agentId), eq(agents.status, "suspended")))
      .returning({ id: agents.id });
    if (!a) return false;
    await audit(tx, { event: "agent.unsuspended", actor: observerActor(adminId), targetId: agentId, ...meta });
    return true;
  });
  if (!done) throw new ApiError(409, "conflict", "the agent is not suspended");
  return agentView(db, agentId);
}

// ---------------------------------------------------------------- servers

export interface AdminServerView {
  id: string;
  name: string;
  is_public: boolean;
  member_count: number;
  quarantined_at: string | null;
  quarantine_reason: string | null;
}

async function serverView(db: Database, serverId: string): Promise<AdminServerView> {
  const [s] = await withActor(db, SYSTEM, (tx) =>
    tx
      .select({
        id: servers.id,
        name: servers.name,
        is_public: servers.isPublic,
        member_count: servers.memberCount,
        quarantined_at: servers.quarantinedAt,
        quarantine_reason: servers.quarantineReason,
      })
      .from(servers)
      .where(eq(servers.id, serverId)),
  );
  if (!s) throw new ApiError(404, "not_found", "no such server");
  return { ...s, quarantined_at: s.quarantined_at?.toISOString() ?? null };
}

/**
 * Quarantine: the server becomes private (out of discovery, search and anonymous reads; members keep it)
 * and its owner and admins cannot lift it (trigger servers_guard_quarantine). Audited.
 */
export async function quarantineServer(
  db: Database,
  adminId: string,
  serverId: string,
  reason: string,
  meta: RequestMeta,
): Promise<AdminServerView> {
  await serverView(db, serverId);
  const done = await withActor(db, SYSTEM, async (tx) => {
    const [s] = await tx
      .update(servers)
      .set({
        quarantinedAt: new Date(),
        quarantineReason: reason.slice(0, 500),
        quarantineWasPublic: sql`${servers.isPublic}`,
        isPublic: false,
      })
      .where(and(eq(servers.id, serverId), sql`${servers.quarantinedAt} is null`))
      .returning({ id: servers.id });
    if (!s) return false;
    await audit(tx, {
      event: "server.quarantined",
      actor: observerActor(adminId),
      targetId: serverId,
      ...meta,
      detail: { reason: reason.slice(0, 500) },
    });
    return true;
  });
  if (!done) throw new ApiError(409, "conflict", "the server is already quarantined");
  return serverView(db, serverId);
}

export async function releaseServer(
  db: Database,
  adminId: string,
  serverId: string,
  meta: RequestMeta,
): Promise<AdminServerView> {
  await serverView(db, serverId);
  const done = await withActor(db, SYSTEM, async (tx) => {
    const [s] = await tx
      .update(servers)
      .set({
        quarantinedAt: null,
        quarantineReason: null,
        isPublic: sql`coalesce(${servers.quarantineWasPublic}, ${servers.isPublic})`,
        quarantineWasPublic: null,
      })
      .where(and(eq(servers.id, serverId), sql`${servers.quarantinedAt} is not null`))
      .returning({ id: servers.id });
    if (!s) return false;
    await audit(tx, { event: "server.released", actor: observerActor(adminId), targetId: serverId, ...meta });
    return true;
  });
  if (!done) throw new ApiError(409, "conflict", "the server is not quarantined");
  return serverView(db, serverId);
}

/** Remove a server for good (channels, messages, memberships go with it); returns its channel ids. */
export async function removeServer(
  db: Database,
  adminId: string,
  serverId: string,
  reason: string,
  meta: RequestMeta,
): Promise<string[]> {
  return withActor(db, SYSTEM, async (tx) => {
    const chans = await tx.select({ id: channels.id }).from(channels).where(eq(channels.serverId, serverId));
    const [s] = await tx
      .delete(servers)
      .where(eq(servers.id, serverId))
      .returning({ id: servers.id, name: servers.name });
    if (!s) throw new ApiError(404, "not_found", "no such server");
    await audit(tx, {
      event: "server.removed",
      actor: observerActor(adminId),
      targetId: serverId,
      ...meta,
      detail: { name: s.name, reason: reason.slice(0, 500), channels: chans.length },
    });
    return chans.map((c) => c.id);
  });
}

// ---------------------------------------------------------------- reports

export type AdminReport = {
  id: string;
  created_at: string;
  reason: string | null;
  channel_id: string;
  server_id: string | null;
  server_name: string | null;
  reporter: { id: string; username: string };
  target: { id: string; username: string; status: string };
};

/** Reports across every server, newest first, keyset-paginated on (created_at, id). */
export async function listReports(
  db: Database,
  q: { after?: { t: string; id: string } | null; limit: number; target_id?: string; server_id?: string },
): Promise<(AdminReport & { key_t: string })[]> {
  return withActor(db, SYSTEM, async (tx) => {
    const r = await tx.execute<AdminReport & { key_t: string }>(sql`
      select r.id, to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as key_t,
             r.created_at::text as created_at, r.reason, r.channel_id, c.server_id, s.name as server_name,
             json_build_object('id', ra.id, 'username', ra.username) as reporter,
             json_build_object('id', ta.id, 'username', ta.username, 'status', ta.status) as target
        from channel_reports r
        join channels c on c.id = r.channel_id
        left join servers s on s.id = c.server_id
        join agents ra on ra.id = r.reporter_agent_id
        join agents ta on ta.id = r.target_agent_id
       where true
         ${q.target_id ? sql`and r.target_agent_id = ${q.target_id}::uuid` : sql``}
         ${q.server_id ? sql`and c.server_id = ${q.server_id}::uuid` : sql``}
         ${q.after ? sql`and (r.created_at, r.id) < (${q.after.t}::timestamptz, ${q.after.id}::uuid)` : sql``}
       order by r.created_at desc, r.id desc
       limit ${q.limit + 1}`);
    return r.rows.map((row) => ({ ...row, created_at: new Date(row.created_at).toISOString() }));
  });
}

// ---------------------------------------------------------------- audit log

export interface AuditFilters {
  actor_id?: string;
  event?: string;
  target_id?: string;
  since?: string;
  until?: string;
  /** keyset: entries with id below this (newest first) */
  before_id?: number;
  limit: number;
}

export interface AuditRow {
  id: number;
  event: string;
  actor_kind: string;
  actor_id: string | null;
  target_id: string | null;
  ip: string | null;
  request_id: string | null;
  detail: unknown;
  created_at: string;
}

/** Read the audit log (newest first) with filters; keyset on the identity column. */
export async function readAudit(db: Database, f: AuditFilters): Promise<AuditRow[]> {
  return withActor(db, SYSTEM, async (tx) => {
    const conds = [
      f.actor_id ? eq(auditLog.actorId, f.actor_id) : undefined,
      f.event
        ? f.event.endsWith(".")
          ? sql`${auditLog.event} like ${`${f.event}%`}`
          : eq(auditLog.event, f.event)
        : undefined,
      f.target_id ? eq(auditLog.targetId, f.target_id) : undefined,
      f.since ? gte(auditLog.createdAt, new Date(f.since)) : undefined,
      f.until ? lte(auditLog.createdAt, new Date(f.until)) : undefined,
      f.before_id !== undefined ? lt(auditLog.id, f.before_id) : undefined,
    ].filter((c) => c !== undefined);
    const rows = await tx
      .select({
        id: auditLog.id,
        event: auditLog.event,
        actor_kind: auditLog.actorKind,
        actor_id: auditLog.actorId,
        target_id: auditLog.targetId,
        ip: auditLog.ip,
        request_id: auditLog.requestId,
        detail: auditLog.detail,
        created_at: auditLog.createdAt,
      })
      .from(auditLog)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(auditLog.id))
      .limit(f.limit + 1);
    return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
  });
}

// ---------------------------------------------------------------- fleet

export interface FleetHealth {
  agents: { online: number; idle: number; offline: number; suspended: number; total: number };
  /** agents whose recent webhook deliveries fail or dead-letter (last hour) */
  degraded: { agent_id: string; username: string; failing: number; dead: number }[];
  servers: { total: number; quarantined: number };
}

export async function fleetHealth(db: Database): Promise<FleetHealth> {
  return withActor(db, SYSTEM, async (tx) => {
    const a = await tx.execute<{ presence: string; status: string; n: number }>(
      sql`select presence, status, count(*)::int as n from agents where status <> 'pending' group by presence, status`,
    );
    const agentsOut = { online: 0, idle: 0, offline: 0, suspended: 0, total: 0 };
    for (const r of a.rows) {
      agentsOut.total += r.n;
      if (r.status === "suspended") agentsOut.suspended += r.n;
      else if (r.presence === "online" || r.presence === "dnd") agentsOut.online += r.n;
      else if (r.presence === "idle") agentsOut.idle += r.n;
      else agentsOut.offline += r.n;
    }
    const d = await tx.execute<{ agent_id: string; username: string; failing: number; dead: number }>(sql`
      select d.agent_id, a.username,
             count(*) filter (where d.status in ('failed', 'retrying'))::int as failing,
             count(*) filter (where d.status = 'dead')::int as dead
        from webhook_deliveries d join agents a on a.id = d.agent_id
       where d.created_at > now() - interval '1 hour' and d.status in ('failed', 'retrying', 'dead')
       group by d.agent_id, a.username
       order by count(*) desc limit 20`);
    const s = await tx.execute<{ total: number; quarantined: number }>(
      sql`select count(*)::int as total, count(quarantined_at)::int as quarantined from servers`,
    );
    return {
      agents: agentsOut,
      degraded: d.rows,
      servers: s.rows[0] ?? { total: 0, quarantined: 0 },
    };
  });
}

/** Usernames (and servers' names) for ids the metrics carry (top talkers, channels), at most 50. */
export async function namesOf(db: Database, ids: string[]): Promise<Record<string, string>> {
  const uuids = [...new Set(ids)].filter((i) => /^[0-9a-f-]{36}$/i.test(i)).slice(0, 50);
  if (uuids.length === 0) return {};
  const arr = `{${uuids.join(",")}}`;
  return withActor(db, SYSTEM, async (tx) => {
    const r = await tx.execute<{ id: string; name: string }>(sql`
      select a.id::text as id, a.username as name from agents a where a.id = any(${arr}::uuid[])
      union all
      select c.id::text, coalesce(s.name || ' #' || c.name, c.name, 'dm') from channels c
        left join servers s on s.id = c.server_id where c.id = any(${arr}::uuid[])`);
    return Object.fromEntries(r.rows.map((x) => [x.id, x.name]));
  });
}

export { auditAdmin };

/** Agents whose username starts with `q` (any status but pending), at most 20, for the admin UI. */
export async function searchAgents(db: Database, q: string): Promise<AdminAgentView[]> {
  const prefix = q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`);
  return withActor(db, SYSTEM, (tx) =>
    tx
      .select({ id: agents.id, username: agents.username, status: agents.status, presence: agents.presence })
      .from(agents)
      .where(and(sql`${agents.username} like ${`${prefix}%`}`, sql`${agents.status} <> 'pending'`))
      .orderBy(agents.username)
      .limit(20),
  );
}

/** Servers whose name contains `q` (any visibility, quarantined ones included), at most 20, for the admin UI. */
export async function searchServers(db: Database, q: string): Promise<AdminServerView[]> {
  const needle = q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`);
  const rows = await withActor(db, SYSTEM, (tx) =>
    tx
      .select({
        id: servers.id,
        name: servers.name,
        is_public: servers.isPublic,
        member_count: servers.memberCount,
        quarantined_at: servers.quarantinedAt,
        quarantine_reason: servers.quarantineReason,
      })
      .from(servers)
      .where(sql`lower(${servers.name}) like ${`%${needle}%`}`)
      .orderBy(desc(servers.memberCount), servers.id)
      .limit(20),
  );
  return rows.map((s) => ({ ...s, quarantined_at: s.quarantined_at?.toISOString() ?? null }));
}
