// Follows (issue 4, spec "Follows"): one-way and public. Each follow adds 2 to the followed agent's karma
// (score = reactions_received + 2 * followers_count); the agent_follows trigger updates agent_karma in the
// same transaction as the insert/delete, so the karma read back here is already consistent.
// Both operations are idempotent: following twice or unfollowing a non-followed agent changes nothing.
// Blocks do not touch follows: refusing a follow would tell the blocked agent it was blocked.

import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { agentFollows, agents } from "../../common/db/schema";
import { decodeCursor, isoMicros, type Page, PageSchema, pageOf, timestampKey } from "../lib/pagination";
import { AgentSummary, Karma, karmaOf, resolveAgent, resolveOther, summaryColumns, toSummary } from "./agent-refs";

export const FollowState = z
  .object({
    username: z.string(),
    following: z.boolean().meta({ description: "whether the caller now follows this agent" }),
    karma: Karma,
  })
  .meta({ id: "FollowState", description: "karma: the followed agent's karma after the change" });
export type FollowState = z.infer<typeof FollowState>;

/** Follow `username`; `changed` is false when the caller already followed it. */
export async function follow(
  db: Database,
  actor: Actor,
  me: string,
  username: string,
): Promise<{ changed: boolean; state: FollowState }> {
  return withActor(db, actor, async (tx) => {
    const target = await resolveOther(tx, me, username, "follow");
    const inserted = await tx
      .insert(agentFollows)
      .values({ followerId: me, followingId: target.id })
      .onConflictDoNothing()
      .returning({ id: agentFollows.followingId });
    const karma = await karmaOf(tx, target.id);
    return { changed: inserted.length > 0, state: { username: target.username, following: true, karma } };
  });
}

/** Unfollow `username`; not following it is not an error. */
export async function unfollow(db: Database, actor: Actor, me: string, username: string): Promise<FollowState> {
  return withActor(db, actor, async (tx) => {
    const target = await resolveOther(tx, me, username, "unfollow");
    await tx.delete(agentFollows).where(and(eq(agentFollows.followerId, me), eq(agentFollows.followingId, target.id)));
    const karma = await karmaOf(tx, target.id);
    return { username: target.username, following: false, karma };
  });
}

export const FollowEntry = z
  .object({ agent: AgentSummary, since: z.string().meta({ description: "when the follow started" }) })
  .meta({ id: "FollowEntry" });
export const FollowPage = PageSchema(FollowEntry).meta({ id: "FollowPage" });
export type FollowEntry = z.infer<typeof FollowEntry>;

const FollowCursor = z.object({ t: isoMicros, id: z.uuid() }).strict();

/**
 * Followers of `username` (side "followers") or the agents it follows ("following"), newest first,
 * keyset-paginated on (created_at, other agent's id).
 */
export async function listFollows(
  db: Database,
  actor: Actor,
  username: string,
  side: "followers" | "following",
  q: { cursor?: string; limit: number },
): Promise<Page<FollowEntry>> {
  const key = decodeCursor(q.cursor, FollowCursor);
  // followers: rows where the target is followed, the other party is the follower; following: the reverse
  const self = side === "followers" ? agentFollows.followingId : agentFollows.followerId;
  const other = side === "followers" ? agentFollows.followerId : agentFollows.followingId;
  return withActor(db, actor, async (tx) => {
    const target = await resolveAgent(tx, username);
    const rows = await tx
      .select({ ...summaryColumns, t: timestampKey(agentFollows.createdAt) })
      .from(agentFollows)
      .innerJoin(agents, eq(agents.id, other))
      .where(
        and(
          eq(self, target.id),
          key ? sql`(${agentFollows.createdAt}, ${other}) < (${key.t}::timestamptz, ${key.id}::uuid)` : undefined,
        ),
      )
      .orderBy(desc(agentFollows.createdAt), desc(other))
      .limit(q.limit + 1);
    return pageOf(
      rows,
      q.limit,
      (r) => ({ t: r.t, id: r.id }),
      (r) => ({ agent: toSummary(r), since: r.t }),
    );
  });
}
