// Blocks (issue 4, spec "Friends & Blocks"). A block is private to the blocker (RLS: the blocked agent can
// never read it). Blocking, in the blocker's own transaction, also ends any friendship and deletes every
// friend request between the two (both directions): both tables are deletable by either party. The DM
// channel of a former friendship stays (its history stays readable by both) but nobody can post in it:
// app.can_post_channel refuses DMs between blocked agents or non-friends (migration social_dm_friends).
// Follows are untouched (refusing them would reveal the block).

import { and, desc, eq, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { agentBlocks, agents, channels, friendRequests, friendships } from "../../common/db/schema";
import { decodeCursor, isoMicros, type Page, PageSchema, pageOf, timestampKey } from "../lib/pagination";
import { AgentSummary, lockPair, pairOf, resolveAgent, resolveOther, summaryColumns, toSummary } from "./agent-refs";

export const BlockEntry = z.object({ agent: AgentSummary, created_at: z.string() }).meta({ id: "BlockEntry" });
export type BlockEntry = z.infer<typeof BlockEntry>;
export const BlockPage = PageSchema(BlockEntry).meta({ id: "BlockPage" });

/** Is there a block between the two, in either direction? (Security definer: never says which way.) */
export async function blockedBetween(tx: Tx, a: string, b: string): Promise<boolean> {
  const r = await tx.execute<{ blocked: boolean }>(sql`select app.blocked_between(${a}::uuid, ${b}::uuid) as blocked`);
  return r.rows[0]?.blocked === true;
}

/** Delete the friendship and every friend request between two agents (as one of them). */
export async function severPair(tx: Tx, a: string, b: string): Promise<{ friendship: boolean }> {
  const [lo, hi] = pairOf(a, b);
  const gone = await tx
    .delete(friendships)
    .where(and(eq(friendships.agentAId, lo), eq(friendships.agentBId, hi)))
    .returning({ a: friendships.agentAId });
  await tx
    .delete(friendRequests)
    .where(
      or(
        and(eq(friendRequests.fromAgentId, a), eq(friendRequests.toAgentId, b)),
        and(eq(friendRequests.fromAgentId, b), eq(friendRequests.toAgentId, a)),
      ),
    );
  return { friendship: gone.length > 0 };
}

/** The DM channel of a pair, if the two ever were friends (readable by either participant). */
export async function dmChannelOf(tx: Tx, a: string, b: string): Promise<string | null> {
  const [lo, hi] = pairOf(a, b);
  const [row] = await tx
    .select({ id: channels.id })
    .from(channels)
    .where(and(eq(channels.dmAgentAId, lo), eq(channels.dmAgentBId, hi)));
  return row?.id ?? null;
}

/**
 * Block `username` (idempotent: `created` is false when it was already blocked). The caller tells the
 * live layer afterwards (worker/services/pair-sync.ts pairSevered with `targetId` and `dmChannelId`).
 */
export async function block(
  db: Database,
  actor: Actor,
  me: string,
  username: string,
): Promise<{ created: boolean; entry: BlockEntry; targetId: string; dmChannelId: string | null }> {
  return withActor(db, actor, async (tx) => {
    const target = await resolveOther(tx, me, username, "block");
    await lockPair(tx, me, target.id);
    const inserted = await tx
      .insert(agentBlocks)
      .values({ blockerId: me, blockedId: target.id })
      .onConflictDoNothing()
      .returning({ id: agentBlocks.blockedId });
    await severPair(tx, me, target.id);
    const [row] = await tx
      .select({ ...summaryColumns, t: timestampKey(agentBlocks.createdAt) })
      .from(agentBlocks)
      .innerJoin(agents, eq(agents.id, agentBlocks.blockedId))
      .where(and(eq(agentBlocks.blockerId, me), eq(agentBlocks.blockedId, target.id)));
    if (!row) throw new Error("block row not readable by its blocker");
    return {
      created: inserted.length > 0,
      entry: { agent: toSummary(row), created_at: row.t },
      targetId: target.id,
      dmChannelId: await dmChannelOf(tx, me, target.id),
    };
  });
}

/** Unblock `username` (idempotent). Friendship and requests removed by the block do not come back. */
export async function unblock(db: Database, actor: Actor, me: string, username: string): Promise<void> {
  await withActor(db, actor, async (tx) => {
    const target = await resolveAgent(tx, username);
    await tx.delete(agentBlocks).where(and(eq(agentBlocks.blockerId, me), eq(agentBlocks.blockedId, target.id)));
  });
}

const BlockCursor = z.object({ t: isoMicros, id: z.uuid() }).strict();

/** The caller's blocks, newest first. */
export async function listBlocks(
  db: Database,
  actor: Actor,
  me: string,
  q: { cursor?: string; limit: number },
): Promise<Page<BlockEntry>> {
  const key = decodeCursor(q.cursor, BlockCursor);
  return withActor(db, actor, async (tx) => {
    const rows = await tx
      .select({ ...summaryColumns, t: timestampKey(agentBlocks.createdAt) })
      .from(agentBlocks)
      .innerJoin(agents, eq(agents.id, agentBlocks.blockedId))
      .where(
        and(
          eq(agentBlocks.blockerId, me),
          key
            ? sql`(${agentBlocks.createdAt}, ${agentBlocks.blockedId}) < (${key.t}::timestamptz, ${key.id}::uuid)`
            : undefined,
        ),
      )
      .orderBy(desc(agentBlocks.createdAt), desc(agentBlocks.blockedId))
      .limit(q.limit + 1);
    return pageOf(
      rows,
      q.limit,
      (r) => ({ t: r.t, id: r.id }),
      (r) => ({ agent: toSummary(r), created_at: r.t }),
    );
  });
}
