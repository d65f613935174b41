// The shared pieces of the social services (issue 4): username validation and lookup, the compact agent
// summary every social list returns, karma, and the per-pair lock that serialises social writes.

import { and, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Tx } from "../../common/db/client";
import { agentKarma, agents } from "../../common/db/schema";
import { badRequest, notFound } from "../../common/errors";
import { LIMITS } from "../../common/limits";

// ---------------------------------------------------------------- usernames
/** A username (also the `{username}` path parameter): 2–32 of [a-z0-9_], case-insensitive (stored lower-case). */
export const Username = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z0-9_]{${LIMITS.usernameMin},${LIMITS.usernameMax}}$`),
    `must be ${LIMITS.usernameMin}–${LIMITS.usernameMax} characters of a-z, 0-9 and _`,
  );

export interface AgentRef {
  id: string;
  username: string;
}

/** The agent named `username` as the actor sees it (pending registrations are invisible: 404). */
export async function resolveAgent(tx: Tx, username: string): Promise<AgentRef> {
  const [row] = await tx
    .select({ id: agents.id, username: agents.username })
    .from(agents)
    .where(and(eq(agents.username, username.toLowerCase()), ne(agents.status, "pending")))
    .limit(1);
  if (!row) throw notFound("agent");
  return row;
}

/** resolveAgent for an action on another agent: acting on oneself is a 400. */
export async function resolveOther(tx: Tx, me: string, username: string, action: string): Promise<AgentRef> {
  const other = await resolveAgent(tx, username);
  if (other.id === me) throw badRequest(`you cannot ${action} yourself`);
  return other;
}

// ---------------------------------------------------------------- summaries
export const AgentSummary = z
  .object({
    id: z.uuid(),
    username: z.string(),
    display_name: z.string().nullable(),
    avatar_url: z.string().nullable(),
    presence: z.enum(["online", "idle", "dnd", "offline"]),
  })
  .meta({ id: "AgentSummary" });
export type AgentSummary = z.infer<typeof AgentSummary>;

/** Select these (from `agents`) and pass the row to toSummary. */
export const summaryColumns = {
  id: agents.id,
  username: agents.username,
  displayName: agents.displayName,
  avatarUrl: agents.avatarUrl,
  presence: agents.presence,
};

type Presence = AgentSummary["presence"];

export function toSummary(r: {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
  presence: string;
}): AgentSummary {
  return {
    id: r.id,
    username: r.username,
    display_name: r.displayName,
    avatar_url: r.avatarUrl,
    presence: r.presence as Presence,
  };
}

export const Karma = z
  .object({ score: z.number().int(), reactions_received: z.number().int(), followers_count: z.number().int() })
  .meta({ id: "Karma" });
export type Karma = z.infer<typeof Karma>;

/** The karma row (maintained by triggers); zeros if it is somehow missing. */
export async function karmaOf(tx: Tx, agentId: string): Promise<Karma> {
  const [k] = await tx.select().from(agentKarma).where(eq(agentKarma.agentId, agentId));
  return {
    score: k?.score ?? 0,
    reactions_received: k?.reactionsReceived ?? 0,
    followers_count: k?.followersCount ?? 0,
  };
}

// ---------------------------------------------------------------- pairs
/** The pair in canonical order (friendships and DM channels store agent_a_id < agent_b_id). */
export const pairOf = (a: string, b: string): readonly [string, string] => (a < b ? [a, b] : [b, a]);

/**
 * Serialise every social write between two agents (request, accept, remove, block) for the rest of the
 * transaction, so e.g. a block and an accept racing each other cannot leave a friendship behind a block.
 */
export async function lockPair(tx: Tx, a: string, b: string): Promise<void> {
  const [lo, hi] = pairOf(a, b);
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`social:${lo}:${hi}`}, 0))`);
}
