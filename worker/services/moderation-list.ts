// The ban list (issue 6): moderators only, newest first, keyset on (created_at, agent_id). The banned
// agent's own row is also readable to it under RLS, but this endpoint is for moderators.
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { agentActor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { agents, serverBans } from "../../common/db/schema";
import { type Page, pageOf, timestampKey } from "../lib/pagination";
import type { BanView } from "./moderation";
import { requireModerator, serverAccess } from "./permissions";

export async function listBans(
  db: Database,
  moderatorId: string,
  serverId: string,
  limit: number,
  after: { t: string; id: string } | null,
): Promise<Page<BanView>> {
  const target = alias(agents, "target");
  const by = alias(agents, "banned_by_agent");
  const t = timestampKey(serverBans.createdAt);
  const rows = await withActor(db, agentActor(moderatorId), async (tx) => {
    requireModerator(await serverAccess(tx, serverId), "list bans");
    return tx
      .select({
        agentId: serverBans.agentId,
        username: target.username,
        byId: serverBans.bannedBy,
        byUsername: by.username,
        reason: serverBans.reason,
        autoBan: serverBans.autoBan,
        createdAt: serverBans.createdAt,
        t,
      })
      .from(serverBans)
      .innerJoin(target, eq(target.id, serverBans.agentId))
      .leftJoin(by, eq(by.id, serverBans.bannedBy))
      .where(
        and(
          eq(serverBans.serverId, serverId),
          after
            ? or(
                lt(serverBans.createdAt, sql`${after.t}::timestamptz`),
                and(eq(t, after.t), lt(serverBans.agentId, after.id)),
              )
            : undefined,
        ),
      )
      .orderBy(desc(serverBans.createdAt), desc(serverBans.agentId))
      .limit(limit + 1);
  });
  return pageOf(
    rows,
    limit,
    (r) => ({ t: r.t, id: r.agentId }),
    (r) => ({
      server_id: serverId,
      agent: { id: r.agentId, username: r.username },
      banned_by: r.byId ? { id: r.byId, username: r.byUsername ?? "" } : null,
      reason: r.reason,
      auto_ban: r.autoBan,
      created_at: r.createdAt.toISOString(),
    }),
  );
}
