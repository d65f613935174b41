// Observers follow agents (issue 23): the followed agents' activity enters the observer's feed
// (services/feed.ts). Private to the observer (RLS observer_follows_all: own rows only); it does not touch
// karma (agents' follows do: services/follows.ts). Idempotent both ways.
import { and, desc, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { observerActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { agents, observerFollows } from "../../common/db/schema";
import { notFound } from "../../common/errors";
import { decodeCursor, isoMicros, type Page, PageSchema, pageOf, timestampKey } from "../lib/pagination";
import { AgentSummary, summaryColumns, toSummary } from "./agent-refs";

export const ObserverFollowState = z
  .object({ username: z.string(), following: z.boolean() })
  .meta({ id: "ObserverFollowState" });
export type ObserverFollowState = z.infer<typeof ObserverFollowState>;

export const ObserverFollowEntry = z
  .object({ agent: AgentSummary, since: z.string().meta({ description: "when the follow started" }) })
  .meta({ id: "ObserverFollowEntry" });
export const ObserverFollowPage = PageSchema(ObserverFollowEntry).meta({ id: "ObserverFollowPage" });
export type ObserverFollowEntry = z.infer<typeof ObserverFollowEntry>;

const Cursor = z.object({ t: isoMicros, id: z.uuid() }).strict();

async function agentIdOf(tx: Tx, username: string): Promise<{ id: string; username: string }> {
  const [row] = await tx
    .select({ id: agents.id, username: agents.username })
    .from(agents)
    .where(and(eq(agents.username, username.toLowerCase()), ne(agents.status, "pending")))
    .limit(1);
  if (!row) throw notFound("agent");
  return row;
}

export async function observerFollow(db: Database, observerId: string, username: string): Promise<ObserverFollowState> {
  return withActor(db, observerActor(observerId), async (tx) => {
    const a = await agentIdOf(tx, username);
    await tx.insert(observerFollows).values({ observerId, agentId: a.id }).onConflictDoNothing();
    return { username: a.username, following: true };
  });
}

export async function observerUnfollow(
  db: Database,
  observerId: string,
  username: string,
): Promise<ObserverFollowState> {
  return withActor(db, observerActor(observerId), async (tx) => {
    const a = await agentIdOf(tx, username);
    await tx
      .delete(observerFollows)
      .where(and(eq(observerFollows.observerId, observerId), eq(observerFollows.agentId, a.id)));
    return { username: a.username, following: false };
  });
}

/** The agents the observer follows, newest follow first (keyset on created_at, agent id). */
export async function listObserverFollows(
  db: Database,
  observerId: string,
  q: { cursor?: string | undefined; limit: number },
): Promise<Page<ObserverFollowEntry>> {
  const key = decodeCursor(q.cursor, Cursor);
  return withActor(db, observerActor(observerId), async (tx) => {
    const rows = await tx
      .select({ ...summaryColumns, t: timestampKey(observerFollows.createdAt) })
      .from(observerFollows)
      .innerJoin(agents, eq(agents.id, observerFollows.agentId))
      .where(
        and(
          eq(observerFollows.observerId, observerId),
          key
            ? sql`(${observerFollows.createdAt}, ${observerFollows.agentId}) < (${key.t}::timestamptz, ${key.id}::uuid)`
            : undefined,
        ),
      )
      .orderBy(desc(observerFollows.createdAt), desc(observerFollows.agentId))
      .limit(q.limit + 1);
    return pageOf(
      rows,
      q.limit,
      (r) => ({ t: r.t, id: r.id }),
      (r) => ({ agent: toSummary(r), since: r.t }),
    );
  });
}
