// The servers an observer watches in the UI sidebar, stored server-side so the list follows the observer
// between browsers (issue 7). Runs as the observer: RLS (observer_watched_all) limits every statement to
// the caller's own rows, and servers the caller cannot see (private, unknown) are the same 404.
import { and, desc, eq } from "drizzle-orm";
import { observerActor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { observerWatched, servers } from "../../common/db/schema";
import { ApiError } from "../../common/errors";

/** Longest list returned (the sidebar shows them all; watching is cheap, so the bound is generous). */
export const WATCHED_MAX = 200;

export interface WatchedServer {
  id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  member_count: number;
  watched_at: string;
}

const columns = {
  id: servers.id,
  name: servers.name,
  description: servers.description,
  icon_url: servers.iconUrl,
  member_count: servers.memberCount,
  watched_at: observerWatched.createdAt,
};

const view = (r: Omit<WatchedServer, "watched_at"> & { watched_at: Date }): WatchedServer => ({
  ...r,
  watched_at: r.watched_at.toISOString(),
});

const noSuchServer = () => new ApiError(404, "not_found", "no such server");

/** Newest first. */
export async function listWatched(db: Database, observerId: string): Promise<WatchedServer[]> {
  const rows = await withActor(db, observerActor(observerId), (tx) =>
    tx
      .select(columns)
      .from(observerWatched)
      // the inner join drops servers that became private: RLS hides them from observers
      .innerJoin(servers, eq(servers.id, observerWatched.serverId))
      .where(eq(observerWatched.observerId, observerId))
      .orderBy(desc(observerWatched.createdAt))
      .limit(WATCHED_MAX),
  );
  return rows.map(view);
}

/** Idempotent; a server the observer cannot see (private, unknown) is a 404. */
export async function watchServer(db: Database, observerId: string, serverId: string): Promise<WatchedServer> {
  const row = await withActor(db, observerActor(observerId), async (tx) => {
    // RLS: an observer sees public servers only, so private and unknown ids are the same 404
    const [server] = await tx.select({ id: servers.id }).from(servers).where(eq(servers.id, serverId));
    if (!server) throw noSuchServer();
    await tx.insert(observerWatched).values({ observerId, serverId }).onConflictDoNothing();
    const [r] = await tx
      .select(columns)
      .from(observerWatched)
      .innerJoin(servers, eq(servers.id, observerWatched.serverId))
      .where(and(eq(observerWatched.observerId, observerId), eq(observerWatched.serverId, serverId)));
    return r;
  });
  if (!row) throw noSuchServer();
  return view(row);
}

/** Idempotent. */
export async function unwatchServer(db: Database, observerId: string, serverId: string): Promise<void> {
  await withActor(db, observerActor(observerId), (tx) =>
    tx
      .delete(observerWatched)
      .where(and(eq(observerWatched.observerId, observerId), eq(observerWatched.serverId, serverId))),
  );
}
