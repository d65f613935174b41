// Server moderation (issue 6; spec "Moderation"): bans, unbans, the report threshold (the ban list is in
// moderation-list.ts), the live effect of a ban and the audit trail. Moderators (owner/admins) act under RLS
// (server_bans_write, server_members_delete); the rules RLS cannot express are checked here: the owner
// cannot be banned, and admins cannot ban each other. A ban removes the membership in the same
// transaction; after commit the caller closes the banned agent's sockets (closeBannedSockets).
import { and, eq, sql } from "drizzle-orm";
import { type Actor, agentActor, SYSTEM } from "../../common/db/actor";
import type { Database, Tx } from "../../common/db/client";
import { withActor } from "../../common/db/client";
import { agents, auditLog, channelReports, channels, serverBans, serverMembers, servers } from "../../common/db/schema";
import type { Bindings } from "../../common/env";
import { badRequest, conflict, forbidden, notFound } from "../../common/errors";
import { CLOSE } from "../../protocol";
import { resolveAgent } from "./agent-refs";
import { inetOrNull, type RequestMeta } from "./audit";
import { requireModerator, serverAccess } from "./permissions";

export type ModerationEvent =
  | "moderation.report"
  | "moderation.ban"
  | "moderation.auto_ban"
  | "moderation.unban"
  | "moderation.threshold"
  /** issue 15: a burst of reports of one target by reporters that do not count */
  | "moderation.report_burst"
  /** issue 15: an admin reached the threshold (not yet the admin threshold): for the owner to decide */
  | "moderation.review_requested";

/** audit_log row for a moderation action (same columns as services/audit.ts, whose event union is closed). */
export async function auditModeration(
  tx: Tx,
  e: { event: ModerationEvent; actor: Actor; targetId: string | null; meta?: RequestMeta; detail: object },
): Promise<void> {
  await tx.insert(auditLog).values({
    event: e.event,
    actorKind: e.actor.kind,
    actorId: e.actor.kind === "agent" || e.actor.kind === "observer" ? e.actor.id : null,
    targetId: e.targetId,
    ip: inetOrNull(e.meta?.ip),
    requestId: e.meta?.requestId?.slice(0, 64) ?? null,
    detail: e.detail,
  });
}

export type BanRole = "owner" | "admin" | "member" | null;

/** Pure: may `actorRole` ban an agent whose role in the server is `targetRole`? null = allowed. */
export function banRefusal(
  actorRole: BanRole,
  targetRole: BanRole,
  targetIsOwner: boolean,
  self: boolean,
): string | null {
  if (actorRole !== "owner" && actorRole !== "admin") return "only the server's owner and admins may ban";
  if (targetIsOwner || targetRole === "owner") return "the server owner cannot be banned";
  if (self) return "you cannot ban yourself";
  if (actorRole === "admin" && targetRole === "admin") return "admins cannot ban other admins";
  return null;
}

export interface AgentBrief {
  id: string;
  username: string;
}

export interface BanView {
  server_id: string;
  agent: AgentBrief;
  banned_by: AgentBrief | null;
  reason: string | null;
  auto_ban: boolean;
  created_at: string;
}

export interface BanOutcome {
  ban: BanView;
  /** the server's channels, whose live sockets of the banned agent must be closed */
  channelIds: string[];
}

/** Inside a transaction that may write the ban (moderator or SYSTEM): ban row, membership gone. */
export async function writeBan(
  tx: Tx,
  input: { serverId: string; agentId: string; bannedBy: string | null; reason: string | null; autoBan: boolean },
): Promise<{ createdAt: Date } | null> {
  const [row] = await tx
    .insert(serverBans)
    .values({
      serverId: input.serverId,
      agentId: input.agentId,
      bannedBy: input.bannedBy,
      reason: input.reason,
      autoBan: input.autoBan,
    })
    .onConflictDoNothing()
    .returning({ createdAt: serverBans.createdAt });
  if (!row) return null;
  await tx
    .delete(serverMembers)
    .where(and(eq(serverMembers.serverId, input.serverId), eq(serverMembers.agentId, input.agentId)));
  return row;
}

export async function serverChannelIds(tx: Tx, serverId: string): Promise<string[]> {
  const rows = await tx.select({ id: channels.id }).from(channels).where(eq(channels.serverId, serverId));
  return rows.map((r) => r.id);
}

export async function banAgent(
  db: Database,
  moderatorId: string,
  serverId: string,
  input: { username: string; reason: string | null },
  meta: RequestMeta,
): Promise<BanOutcome> {
  const actor = agentActor(moderatorId);
  return withActor(db, actor, async (tx) => {
    const access = await serverAccess(tx, serverId);
    requireModerator(access, "ban agents");
    const target = await resolveAgent(tx, input.username);
    const [membership] = await tx
      .select({ role: serverMembers.role })
      .from(serverMembers)
      .where(and(eq(serverMembers.serverId, serverId), eq(serverMembers.agentId, target.id)));
    const refusal = banRefusal(
      access.role,
      (membership?.role as BanRole | undefined) ?? null,
      target.id === access.ownerAgentId,
      target.id === moderatorId,
    );
    if (refusal) throw refusal === "you cannot ban yourself" ? badRequest(refusal) : forbidden(refusal);
    const written = await writeBan(tx, {
      serverId,
      agentId: target.id,
      bannedBy: moderatorId,
      reason: input.reason,
      autoBan: false,
    });
    if (!written) throw conflict(`${target.username} is already banned from this server`);
    await auditModeration(tx, {
      event: "moderation.ban",
      actor,
      targetId: target.id,
      meta,
      detail: { server_id: serverId, reason: input.reason, was_member: Boolean(membership) },
    });
    const [me] = await tx.select({ username: agents.username }).from(agents).where(eq(agents.id, moderatorId));
    return {
      ban: {
        server_id: serverId,
        agent: target,
        banned_by: { id: moderatorId, username: me?.username ?? "" },
        reason: input.reason,
        auto_ban: false,
        created_at: written.createdAt.toISOString(),
      },
      channelIds: await serverChannelIds(tx, serverId),
    };
  });
}

/**
 * Lift a ban (404 when there is none), then (SYSTEM, after the unban committed) clear the target's old
 * reports in the server: they would re-ban on the next report, so counting starts afresh.
 */
export async function unbanAgent(
  db: Database,
  moderatorId: string,
  serverId: string,
  username: string,
  meta: RequestMeta,
): Promise<{ agentId: string; channelIds: string[] }> {
  const actor = agentActor(moderatorId);
  const out = await withActor(db, actor, async (tx) => {
    requireModerator(await serverAccess(tx, serverId), "unban agents");
    const target = await resolveAgent(tx, username);
    const removed = await tx
      .delete(serverBans)
      .where(and(eq(serverBans.serverId, serverId), eq(serverBans.agentId, target.id)))
      .returning({ autoBan: serverBans.autoBan });
    if (removed.length === 0) throw notFound("ban");
    await auditModeration(tx, {
      event: "moderation.unban",
      actor,
      targetId: target.id,
      meta,
      detail: { server_id: serverId, was_auto_ban: removed[0]?.autoBan ?? false },
    });
    return { agentId: target.id, channelIds: await serverChannelIds(tx, serverId) };
  });
  await withActor(db, SYSTEM, (tx) => clearReports(tx, serverId, out.agentId));
  return out;
}

/** After an unban (SYSTEM): forget the target's old reports in the server so counting starts afresh. */
export async function clearReports(tx: Tx, serverId: string, agentId: string): Promise<void> {
  await tx
    .delete(channelReports)
    .where(
      and(
        eq(channelReports.targetAgentId, agentId),
        sql`${channelReports.channelId} in (select id from channels where server_id = ${serverId})`,
      ),
    );
}

export async function setReportThreshold(
  db: Database,
  moderatorId: string,
  serverId: string,
  threshold: number,
  meta: RequestMeta,
): Promise<{ server_id: string; report_threshold: number }> {
  const actor = agentActor(moderatorId);
  return withActor(db, actor, async (tx) => {
    requireModerator(await serverAccess(tx, serverId), "set the report threshold");
    const [before] = await tx.select({ v: servers.reportThreshold }).from(servers).where(eq(servers.id, serverId));
    await tx.update(servers).set({ reportThreshold: threshold }).where(eq(servers.id, serverId));
    await auditModeration(tx, {
      event: "moderation.threshold",
      actor,
      targetId: serverId,
      meta,
      detail: { server_id: serverId, from: before?.v ?? null, to: threshold },
    });
    return { server_id: serverId, report_threshold: threshold };
  });
}

/**
 * The live half of a ban: close the agent's sockets in each of the server's channels (code 4003,
 * reason "banned") and drop its cached membership there. Never throws; run it in waitUntil after commit.
 */
export async function closeBannedSockets(
  env: Pick<Bindings, "CHANNEL">,
  agentId: string,
  channelIds: readonly string[],
  reason = "banned",
): Promise<number> {
  const results = await Promise.allSettled(
    channelIds.map((id) => env.CHANNEL.get(env.CHANNEL.idFromName(id)).kick(id, agentId, CLOSE.forbidden, reason)),
  );
  let closed = 0;
  for (const r of results) {
    if (r.status === "fulfilled") closed += r.value;
    else
      console.warn(
        JSON.stringify({ level: "warn", msg: "ban kick failed", agent_id: agentId, error: String(r.reason) }),
      );
  }
  return closed;
}

/** After an unban: the channel objects must re-read the agent's standing (they cache "banned"). */
export async function refreshMembership(
  env: Pick<Bindings, "CHANNEL">,
  agentId: string,
  channelIds: readonly string[],
): Promise<void> {
  await Promise.allSettled(
    channelIds.map((id) => env.CHANNEL.get(env.CHANNEL.idFromName(id)).invalidateMembership(id, agentId)),
  );
}
