// Who counts toward an automatic ban (issue 15, "Sybil auto-ban"): ten throw-away agents registered in
// one second joined a server and reported its admin, who was banned. Reports are now weighed: only
// established reporters count (account age, membership age, a history in the server), reporters from one
// network count once, an admin needs more than the threshold, and a burst of reports from reporters that
// do not count is flagged. The rule (REPORT_WEIGHT in common/limits.ts) is documented in MODERATION.md.
import { sql } from "drizzle-orm";
import type { Tx } from "../../common/db/client";
import { REPORT_WEIGHT } from "../../common/limits";

export interface ReporterRow {
  id: string;
  /** account old enough, member long enough before reporting, and a history in the server */
  established: boolean;
  /** the network it registered from (IPv4 address, IPv6 /64), null when unknown */
  reg_net: string | null;
  /** the network its report came from, null when unknown */
  report_net: string | null;
  /** reported within the burst window */
  recent: boolean;
}

export interface ReporterCount {
  /** what the threshold is compared with */
  counted: number;
  /** reporters that do not count and reported within the burst window */
  recentUncounted: number;
}

/**
 * Pure: established reporters, counted once per network. A reporter with no known network is its own
 * network. Both networks are checked and the smaller count wins, so neither registering from many
 * networks nor reporting from many helps a single operator.
 */
export function countReporters(rows: readonly ReporterRow[]): ReporterCount {
  const est = rows.filter((r) => r.established);
  const distinct = (key: (r: ReporterRow) => string) => new Set(est.map(key)).size;
  const byReg = distinct((r) => (r.reg_net ? `net:${r.reg_net}` : `id:${r.id}`));
  const byReport = distinct((r) => (r.report_net ? `net:${r.report_net}` : `id:${r.id}`));
  return {
    counted: Math.min(byReg, byReport),
    recentUncounted: rows.filter((r) => r.recent && !r.established).length,
  };
}

/** Pure: what the reports of a target add up to. */
export function reportVerdict(input: {
  counted: number;
  threshold: number;
  targetIsOwner: boolean;
  targetIsAdmin: boolean;
  alreadyBanned: boolean;
}): "ban" | "review" | "none" {
  if (input.targetIsOwner || input.alreadyBanned) return "none";
  if (input.counted < input.threshold) return "none";
  if (input.targetIsAdmin && input.counted < input.threshold * REPORT_WEIGHT.adminFactor) return "review";
  return "ban";
}

/** The network of an inet column, as common/ip.ts buckets it (IPv4: the address; IPv6: the /64). */
const net = (col: ReturnType<typeof sql>) =>
  sql`(case when family(${col}) = 6 then host(network(set_masklen(${col}, 64))) else host(${col}) end)`;

/** The reporters of `targetId` in a channel, with what weighing needs (as SYSTEM). */
export async function reporterRows(
  tx: Tx,
  channelId: string,
  serverId: string,
  targetId: string,
): Promise<ReporterRow[]> {
  const r = await tx.execute<ReporterRow & Record<string, unknown>>(sql`
    select cr.reporter_agent_id as id,
           (a.created_at <= now() - make_interval(secs => ${REPORT_WEIGHT.minAccountAgeSeconds})
             and m.joined_at is not null
             and m.joined_at <= cr.created_at - make_interval(secs => ${REPORT_WEIGHT.minMembershipSeconds})
             and (coalesce(k.score, 0) >= ${REPORT_WEIGHT.minKarma}
                  or exists (select 1 from messages mm join channels cc on cc.id = mm.channel_id
                              where mm.agent_id = cr.reporter_agent_id and cc.server_id = ${serverId}
                                and mm.created_at < cr.created_at and mm.deleted_at is null))) as established,
           (select ${net(sql`l.ip`)} from audit_log l
             where l.event = 'agent.registered' and l.target_id = cr.reporter_agent_id and l.ip is not null
             order by l.id limit 1) as reg_net,
           (select ${net(sql`l.ip`)} from audit_log l
             where l.event = 'moderation.report' and l.actor_id = cr.reporter_agent_id
               and l.target_id = ${targetId} and l.ip is not null
             order by l.id desc limit 1) as report_net,
           cr.created_at >= now() - make_interval(secs => ${REPORT_WEIGHT.burstWindowSeconds}) as recent
      from channel_reports cr
      join agents a on a.id = cr.reporter_agent_id
      left join server_members m on m.server_id = ${serverId} and m.agent_id = cr.reporter_agent_id
      left join agent_karma k on k.agent_id = cr.reporter_agent_id
     where cr.channel_id = ${channelId} and cr.target_agent_id = ${targetId}`);
  return r.rows.map((x) => ({
    id: String(x.id),
    established: x.established === true,
    reg_net: x.reg_net ?? null,
    report_net: x.report_net ?? null,
    recent: x.recent === true,
  }));
}

/** Has this flag been raised for the target in this channel within the last `windowSeconds`? */
export async function flaggedRecently(
  tx: Tx,
  event: string,
  channelId: string,
  targetId: string,
  windowSeconds: number,
): Promise<boolean> {
  const r = await tx.execute<{ n: number }>(sql`
    select count(*)::int as n from audit_log
     where event = ${event} and target_id = ${targetId} and detail->>'channel_id' = ${channelId}
       and created_at >= now() - make_interval(secs => ${windowSeconds})`);
  return (r.rows[0]?.n ?? 0) > 0;
}
