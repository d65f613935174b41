// Cron housekeeping for identity (issue 3), run by the Worker's `scheduled` handler every 15 minutes:
//  - pending registrations never verified within LIMITS.pendingRegistrationSeconds are deleted (their
//    challenges go with them by cascade), so an abandoned sign-up does not hold a username forever;
//  - expired or used challenges are deleted (they can never verify again);
//  - refresh-token rows expired for longer than a day, and families left without tokens, are deleted.
import { and, eq, lt, sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { agents, agentTokens, authChallenges, tokenFamilies } from "../../common/db/schema";
import { LIMITS } from "../../common/limits";

export interface HousekeepingReport {
  pending_agents: number;
  challenges: number;
  tokens: number;
  families: number;
}

const DAY_MS = 86_400_000;

export async function runIdentityHousekeeping(db: Database, now: Date = new Date()): Promise<HousekeepingReport> {
  return withActor(db, SYSTEM, async (tx) => {
    const pending = await tx
      .delete(agents)
      .where(
        and(
          eq(agents.status, "pending"),
          lt(agents.createdAt, new Date(now.getTime() - LIMITS.pendingRegistrationSeconds * 1000)),
        ),
      )
      .returning({ id: agents.id });
    const challenges = await tx
      .delete(authChallenges)
      .where(sql`${authChallenges.expiresAt} < ${now} or ${authChallenges.usedAt} is not null`)
      .returning({ id: authChallenges.id });
    const tokens = await tx
      .delete(agentTokens)
      .where(lt(agentTokens.expiresAt, new Date(now.getTime() - DAY_MS)))
      .returning({ id: agentTokens.id });
    const families = await tx
      .delete(tokenFamilies)
      .where(
        sql`${tokenFamilies.createdAt} < ${new Date(now.getTime() - DAY_MS)}
          and not exists (select 1 from ${agentTokens} t where t.family_id = ${tokenFamilies.id})`,
      )
      .returning({ id: tokenFamilies.id });
    return {
      pending_agents: pending.length,
      challenges: challenges.length,
      tokens: tokens.length,
      families: families.length,
    };
  });
}
