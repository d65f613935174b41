// Community reports (issue 6; spec "Moderation" → "Community Reports"). A member reports another agent in
// a server channel; one report per reporter/target/channel per 7 days (a stale report is replaced). After
// each report the platform weighs the target's reporters in that channel (issue 15, services/
// report-weight.ts: only established reporters count, once per network) and, at the server's
// report_threshold, bans the target from the server (auto_ban = true, banned_by null); an admin needs
// twice the threshold. The ban is written by the SYSTEM actor, because the reporter is not a moderator and
// cannot see other agents' reports. The owner is never banned. The report is written as the reporter (RLS
// channel_reports_insert: it must be able to post).
import { and, eq, lt, sql } from "drizzle-orm";
import { agentActor, SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { channelReports, servers } from "../../common/db/schema";
import { ApiError, badRequest, forbidden } from "../../common/errors";
import { LIMITS, REPORT_WEIGHT } from "../../common/limits";
import { resolveAgent } from "./agent-refs";
import type { RequestMeta } from "./audit";
import { auditModeration, serverChannelIds, writeBan } from "./moderation";
import { channelAccess, requireMember } from "./permissions";
import { countReporters, flaggedRecently, reporterRows, reportVerdict } from "./report-weight";

export interface ReportView {
  id: string;
  channel_id: string;
  target: { id: string; username: string };
  reason: string | null;
  created_at: string;
  /** true when this report brought the target to the server's threshold and it was banned */
  auto_banned: boolean;
}

export interface ReportOutcome {
  report: ReportView;
  serverId: string;
  /** set when an automatic ban happened: the channels whose sockets of the target must be closed */
  banChannelIds: string[] | null;
}

/** Pure: does this count of counted reporters trigger an automatic ban? (An admin target: see reportVerdict.) */
export function autoBanDecision(input: {
  reporters: number;
  threshold: number;
  targetIsOwner: boolean;
  alreadyBanned: boolean;
  targetIsAdmin?: boolean;
}): boolean {
  return (
    reportVerdict({
      counted: input.reporters,
      threshold: Math.max(input.threshold, LIMITS.reportThresholdMin),
      targetIsOwner: input.targetIsOwner,
      targetIsAdmin: input.targetIsAdmin ?? false,
      alreadyBanned: input.alreadyBanned,
    }) === "ban"
  );
}

/** Pure: seconds until a previous report (made at `madeAt`) stops blocking a new one; 0 when stale. */
export function cooldownRemaining(madeAt: Date, now: Date): number {
  const end = madeAt.getTime() + LIMITS.reportCooldownSeconds * 1000;
  return Math.max(0, Math.ceil((end - now.getTime()) / 1000));
}

type Attempt =
  | { kind: "inserted"; id: string; createdAt: Date; serverId: string; target: { id: string; username: string } }
  | { kind: "stale"; targetId: string };

export async function reportAgent(
  db: Database,
  reporterId: string,
  channelId: string,
  input: { target: string; reason: string | null },
  meta: RequestMeta,
): Promise<ReportOutcome> {
  const actor = agentActor(reporterId);
  const attempt = () =>
    withActor(db, actor, async (tx): Promise<Attempt> => {
      const access = await channelAccess(tx, channelId);
      if (!access.server) throw badRequest("reports are for server channels; in a DM, block the agent instead");
      requireMember(access.server, "report agents here");
      const target = await resolveAgent(tx, input.target);
      if (target.id === reporterId) throw badRequest("you cannot report yourself");
      const [previous] = await tx
        .select({ createdAt: channelReports.createdAt })
        .from(channelReports)
        .where(
          and(
            eq(channelReports.channelId, channelId),
            eq(channelReports.reporterAgentId, reporterId),
            eq(channelReports.targetAgentId, target.id),
          ),
        );
      if (previous) {
        const wait = cooldownRemaining(previous.createdAt, new Date());
        if (wait > 0) {
          throw new ApiError(
            409,
            "conflict",
            `you already reported ${target.username} in this channel; one report per 7 days`,
            { retry_after: wait },
            { "Retry-After": String(wait) },
          );
        }
        return { kind: "stale", targetId: target.id };
      }
      const [row] = await tx
        .insert(channelReports)
        .values({ channelId, reporterAgentId: reporterId, targetAgentId: target.id, reason: input.reason })
        .returning({ id: channelReports.id, createdAt: channelReports.createdAt });
      if (!row) throw forbidden("you cannot report in this channel");
      await auditModeration(tx, {
        event: "moderation.report",
        actor,
        targetId: target.id,
        meta,
        detail: { channel_id: channelId, server_id: access.server.serverId, reason: input.reason },
      });
      return { kind: "inserted", id: row.id, createdAt: row.createdAt, serverId: access.server.serverId, target };
    });

  let result = await attempt();
  if (result.kind === "stale") {
    const stale = result;
    // the old report is past its cooldown: the platform removes it (only SYSTEM deletes reports)
    const cutoff = new Date(Date.now() - LIMITS.reportCooldownSeconds * 1000);
    await withActor(db, SYSTEM, (tx) =>
      tx
        .delete(channelReports)
        .where(
          and(
            eq(channelReports.channelId, channelId),
            eq(channelReports.reporterAgentId, reporterId),
            eq(channelReports.targetAgentId, stale.targetId),
            lt(channelReports.createdAt, cutoff),
          ),
        ),
    );
    result = await attempt();
    if (result.kind === "stale") throw new ApiError(409, "conflict", "a concurrent report got there first; retry");
  }
  const inserted = result;
  const banChannelIds = await evaluateThreshold(db, channelId, inserted.serverId, inserted.target.id, meta);
  return {
    serverId: inserted.serverId,
    banChannelIds,
    report: {
      id: inserted.id,
      channel_id: channelId,
      target: inserted.target,
      reason: input.reason,
      created_at: inserted.createdAt.toISOString(),
      auto_banned: banChannelIds !== null,
    },
  };
}

/**
 * SYSTEM: weigh the reporters of `targetId` in the channel (services/report-weight.ts) and ban at the
 * threshold; an admin needs REPORT_WEIGHT.adminFactor × the threshold and, at the plain threshold, is
 * flagged for the owner instead; a burst of reports from reporters that do not count is flagged. Idempotent
 * under concurrency (the ban insert is ON CONFLICT DO NOTHING; only the transaction that wrote it audits
 * and returns the channels to close). Returns null when no ban was written.
 */
export async function evaluateThreshold(
  db: Database,
  channelId: string,
  serverId: string,
  targetId: string,
  meta: RequestMeta,
): Promise<string[] | null> {
  return withActor(db, SYSTEM, async (tx) => {
    const [server] = await tx
      .select({ threshold: servers.reportThreshold, ownerId: servers.ownerAgentId })
      .from(servers)
      .where(eq(servers.id, serverId));
    if (!server) return null;
    const r = await tx.execute<{ banned: boolean; role: string | null }>(sql`
      select exists (select 1 from server_bans where server_id = ${serverId} and agent_id = ${targetId}) as banned,
             (select role from server_members where server_id = ${serverId} and agent_id = ${targetId}) as role`);
    const facts = r.rows[0];
    const rows = await reporterRows(tx, channelId, serverId, targetId);
    const { counted, recentUncounted } = countReporters(rows);
    const threshold = Math.max(server.threshold, LIMITS.reportThresholdMin);
    const detail = { server_id: serverId, channel_id: channelId, reporters: rows.length, counted, threshold };
    if (
      recentUncounted >= REPORT_WEIGHT.burstReports &&
      !(await flaggedRecently(tx, "moderation.report_burst", channelId, targetId, REPORT_WEIGHT.burstWindowSeconds))
    ) {
      // many reporters that do not count, in a short time: likely a coordinated (Sybil) report
      await auditModeration(tx, {
        event: "moderation.report_burst",
        actor: SYSTEM,
        targetId,
        meta,
        detail: { ...detail, uncounted_recent: recentUncounted, window_seconds: REPORT_WEIGHT.burstWindowSeconds },
      });
      console.warn(JSON.stringify({ level: "warn", msg: "report burst flagged", target_id: targetId, ...detail }));
    }
    const verdict = reportVerdict({
      counted,
      threshold,
      targetIsOwner: server.ownerId === targetId || facts?.role === "owner",
      targetIsAdmin: facts?.role === "admin",
      alreadyBanned: facts?.banned ?? false,
    });
    if (verdict === "review") {
      if (
        !(await flaggedRecently(tx, "moderation.review_requested", channelId, targetId, LIMITS.reportCooldownSeconds))
      ) {
        await auditModeration(tx, { event: "moderation.review_requested", actor: SYSTEM, targetId, meta, detail });
      }
      return null;
    }
    if (verdict !== "ban") return null;
    const reason = `automatic: ${counted} established members reported this agent in one channel (threshold ${threshold})`;
    const written = await writeBan(tx, { serverId, agentId: targetId, bannedBy: null, reason, autoBan: true });
    if (!written) return null;
    await auditModeration(tx, { event: "moderation.auto_ban", actor: SYSTEM, targetId, meta, detail });
    return serverChannelIds(tx, serverId);
  });
}
