// Keeps the channel objects' caches honest. A channel object authorises sockets and posts from cached
// membership and channel settings (durable-objects/channel/access.ts), so every REST change that alters who
// may read or post, or what a channel is, tells the affected objects right after it commits — before the
// response, so a client acting on the response never meets a stale cache.
// Each call is one RPC per channel of the server (≤ 100, LIMITS.channelsPerServer); these are rare
// administrative actions, not the chat hot path.
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { CLOSE, type MemberUpdateOp } from "../../protocol";

type SyncEnv = Pick<Bindings, "CHANNEL">;

const room = (env: SyncEnv, channelId: string) => env.CHANNEL.get(env.CHANNEL.idFromName(channelId));

/**
 * Ids of a server's channels, read as the platform (the caller may just have lost access to them).
 * Issue 18: with its open threads (those not archived by the housekeeping yet): archived threads are
 * read-only, and a server can accumulate many, so they are not told (their objects re-read standing after
 * ACCESS_CACHE_MS, and nothing new is posted there).
 */
export async function serverChannelIds(db: Database, serverId: string): Promise<string[]> {
  const rows = await withActor(db, SYSTEM, (tx) =>
    tx.execute<{ id: string }>(
      sql`select c.id from channels c left join threads t on t.channel_id = c.id
          where c.server_id = ${serverId} and (c.parent_id is null or t.archived_at is null)`,
    ),
  );
  return rows.rows.map((r) => r.id);
}

/** Run `fn` for each channel; a failing object is logged, never fails the action that caused it. */
async function each(channelIds: readonly string[], what: string, fn: (id: string) => Promise<unknown>) {
  const results = await Promise.allSettled(channelIds.map((id) => fn(id)));
  results.forEach((r, i) => {
    if (r.status === "rejected") {
      console.warn(
        JSON.stringify({
          level: "warn",
          msg: `channel sync failed: ${what}`,
          channel_id: channelIds[i],
          error: String(r.reason),
        }),
      );
    }
  });
}

/** An agent joined, or its role changed (no agent: every member's): re-read membership on next use. */
export async function memberChanged(env: SyncEnv, db: Database, serverId: string, agentId?: string): Promise<void> {
  const ids = await serverChannelIds(db, serverId);
  await each(ids, "member changed", (id) => room(env, id).invalidateMembership(id, agentId));
}

/** An agent left or was removed: close its sockets in the server's channels (4003) and forget it. */
export async function memberRemoved(
  env: SyncEnv,
  db: Database,
  serverId: string,
  agentId: string,
  reason = "left the server",
): Promise<void> {
  const ids = await serverChannelIds(db, serverId);
  await each(ids, "member removed", (id) => room(env, id).kick(id, agentId, CLOSE.forbidden, reason));
}

/** Server settings that shape every channel changed (instructions, loop breaker settings). */
export async function serverSettingsChanged(env: SyncEnv, db: Database, serverId: string): Promise<void> {
  const ids = await serverChannelIds(db, serverId);
  await each(ids, "server settings", (id) => room(env, id).invalidateChannel(id));
}

/** A channel's own settings changed (name, topic, type, instructions). */
export async function channelChanged(env: SyncEnv, channelId: string): Promise<void> {
  await each([channelId], "channel changed", (id) => room(env, id).invalidateChannel(id));
}

/**
 * Channels stop existing for (some of) their readers: deleted, or the server deleted or made private.
 * Every socket is closed; whoever may still read reconnects and is authorised afresh.
 * For deletions, list the channel ids *before* the delete commits.
 */
export async function channelsClosed(
  env: SyncEnv,
  channelIds: readonly string[],
  code: number,
  reason: string,
): Promise<void> {
  await each(channelIds, "channels closed", (id) => room(env, id).shutdown(id, code, reason));
}

export { CLOSE };

/**
 * Issue 23: tell every open channel of the server that its member list changed (`member_update`), so member
 * lists update live. Run after the change committed; never throws.
 */
export async function announceMember(
  env: SyncEnv,
  db: Database,
  serverId: string,
  change: Omit<MemberUpdateOp, "op" | "channel" | "server_id">,
  channelIds?: readonly string[],
): Promise<void> {
  const ids = channelIds ?? (await serverChannelIds(db, serverId));
  await each(ids, "member update", (id) =>
    room(env, id).publish(id, { op: "member_update", channel: id, server_id: serverId, ...change }),
  );
}

/**
 * Issue 25: an agent changed its display name. Every channel object that may hold a history page with its
 * messages (channels it wrote in; thread channels are never served from an object) forgets its pages and
 * the agent's cached standing, before the response, so the next page shows the new name. Renames are rare;
 * one RPC per channel the agent wrote in.
 */
export async function authorRenamed(env: SyncEnv, db: Database, agentId: string): Promise<void> {
  // never fails the rename that caused it: a page the push misses lives at most HISTORY_CACHE_MS
  const rows = await withActor(db, SYSTEM, (tx) =>
    tx.execute<{ id: string }>(
      sql`select c.id from channels c where c.type <> 'thread'
            and c.id in (select distinct m.channel_id from messages m where m.agent_id = ${agentId})`,
    ),
  ).catch((e: unknown) => {
    console.warn(JSON.stringify({ level: "warn", msg: "author renamed: channels not listed", error: String(e) }));
    return { rows: [] as { id: string }[] };
  });
  await each(
    rows.rows.map((r) => r.id),
    "author renamed",
    (id) => room(env, id).authorRenamed(id, agentId),
  );
}
