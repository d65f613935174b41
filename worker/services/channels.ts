// Channels: create, list (grouped by category, ordered by position), read, update, delete and tier-3
// behavioural instructions. Server channels follow their server's visibility (RLS); DM channels exist only
// for their two participants and are created by the friends flow, never here.
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { type Actor, agentActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { channels } from "../../common/db/schema";
import { ApiError, conflict } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { timestampKey } from "../lib/pagination";
import { channelAccess, requireChannelModerator, requireModerator, serverAccess } from "./permissions";

export type ChannelType = "text" | "announcement" | "dm" | "forum" | "thread";

export interface ChannelView {
  id: string;
  server_id: string | null;
  name: string | null;
  type: ChannelType;
  category: string | null;
  topic: string | null;
  instructions: string | null;
  position: number;
  last_seq: number;
  created_at: string;
  /** DM channels only: the two participants */
  participants?: string[];
  /** threads only (issue 18): the text or forum channel it lives under */
  parent_id?: string;
}

const NAME_RE = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$/;

/**
 * Channel names are slugs: trimmed, lower-cased, whitespace runs become "-"; then 1–100 of [a-z0-9_-],
 * starting and ending with a letter or digit. Unique within a server.
 */
export function normalizeChannelName(raw: string): string {
  const name = raw.trim().toLowerCase().replace(/\s+/g, "-");
  if (!name || name.length > LIMITS.channelNameChars || !NAME_RE.test(name)) {
    throw new ApiError(
      400,
      "validation_failed",
      `body.name: channel names are 1–${LIMITS.channelNameChars} of a-z, 0-9, "-" and "_", starting and ending with a letter or digit`,
    );
  }
  return name;
}

const cleanCategory = (c: string | null | undefined) => (c === undefined ? undefined : c?.trim() || null);

const viewColumns = {
  id: channels.id,
  serverId: channels.serverId,
  name: channels.name,
  type: channels.type,
  category: channels.category,
  topic: channels.topic,
  instructions: channels.instructions,
  position: channels.position,
  lastSeq: channels.lastSeq,
  createdAt: timestampKey(channels.createdAt),
  dmA: channels.dmAgentAId,
  dmB: channels.dmAgentBId,
  parentId: channels.parentId,
};

type Row = {
  id: string;
  serverId: string | null;
  name: string | null;
  type: string;
  category: string | null;
  topic: string | null;
  instructions: string | null;
  position: number;
  lastSeq: number;
  createdAt: string;
  dmA: string | null;
  dmB: string | null;
  parentId: string | null;
};

function toView(r: Row): ChannelView {
  const v: ChannelView = {
    id: r.id,
    server_id: r.serverId,
    name: r.name,
    type: r.type as ChannelType,
    category: r.category,
    topic: r.topic,
    instructions: r.instructions,
    position: r.position,
    last_seq: Number(r.lastSeq),
    created_at: r.createdAt,
  };
  if (r.type === "dm" && r.dmA && r.dmB) v.participants = [r.dmA, r.dmB];
  if (r.parentId) v.parent_id = r.parentId;
  return v;
}

async function loadChannel(tx: Tx, id: string): Promise<ChannelView> {
  const [row] = await tx.select(viewColumns).from(channels).where(eq(channels.id, id));
  if (!row) throw new ApiError(404, "not_found", "channel not found");
  return toView(row);
}

async function assertNameFree(tx: Tx, serverId: string, name: string, exceptId?: string) {
  const [dup] = await tx
    .select({ id: channels.id })
    .from(channels)
    .where(
      and(eq(channels.serverId, serverId), eq(channels.name, name), exceptId ? ne(channels.id, exceptId) : undefined),
    );
  if (dup) throw conflict(`a channel named "${name}" already exists in this server`);
}

export interface CreateChannelInput {
  name: string;
  type?: "text" | "announcement" | "forum";
  category?: string | null;
  topic?: string | null;
  position?: number;
}

/** Moderators only; the 101st channel of a server is a 409 limit_reached. */
export async function createChannel(
  db: Database,
  agentId: string,
  serverId: string,
  input: CreateChannelInput,
): Promise<ChannelView> {
  const name = normalizeChannelName(input.name);
  return withActor(db, agentActor(agentId), async (tx) => {
    requireModerator(await serverAccess(tx, serverId), "create channels");
    // serialise channel creation per server so the cap and name uniqueness hold under concurrency
    await tx.execute(sql`select app.lock_server(${serverId}::uuid, 'channels')`);
    const [stat] = await tx
      .select({ n: sql<number>`count(*)::int`, top: sql<number | null>`max(${channels.position})` })
      .from(channels)
      // threads are channels too, but the 100-channel cap is about the server's own channels (issue 18)
      .where(and(eq(channels.serverId, serverId), isNull(channels.parentId)));
    if ((stat?.n ?? 0) >= LIMITS.channelsPerServer) {
      throw new ApiError(409, "limit_reached", `a server has at most ${LIMITS.channelsPerServer} channels`);
    }
    await assertNameFree(tx, serverId, name);
    const [row] = await tx
      .insert(channels)
      .values({
        serverId,
        name,
        type: input.type ?? "text",
        category: cleanCategory(input.category) ?? null,
        topic: input.topic?.trim() || null,
        position: input.position ?? Math.min((stat?.top ?? -1) + 1, LIMITS.channelPositionMax),
      })
      .returning({ id: channels.id });
    if (!row) throw new Error("channel insert returned nothing");
    return loadChannel(tx, row.id);
  });
}

export interface CategoryGroup {
  name: string | null;
  channels: ChannelView[];
}

/**
 * All channels of a server (≤ 100 by the per-server cap, so one bounded page): uncategorised first, then
 * categories in the order of their lowest channel position; channels by position, then creation.
 */
export async function listChannels(
  db: Database,
  actor: Actor,
  serverId: string,
): Promise<{ server_id: string; categories: CategoryGroup[] }> {
  return withActor(db, actor, async (tx) => {
    await serverAccess(tx, serverId);
    const rows = await tx
      .select(viewColumns)
      .from(channels)
      .where(and(eq(channels.serverId, serverId), isNull(channels.parentId)))
      .orderBy(channels.position, channels.createdAt, channels.id)
      .limit(LIMITS.channelsPerServer);
    const groups = new Map<string | null, ChannelView[]>([[null, []]]);
    for (const r of rows) {
      const list = groups.get(r.category) ?? [];
      list.push(toView(r));
      groups.set(r.category, list);
    }
    const categories = [...groups].map(([name, list]) => ({ name, channels: list }));
    return { server_id: serverId, categories: categories.filter((g) => g.channels.length > 0) };
  });
}

export async function getChannel(db: Database, actor: Actor, channelId: string): Promise<ChannelView> {
  return withActor(db, actor, async (tx) => {
    await channelAccess(tx, channelId);
    return loadChannel(tx, channelId);
  });
}

export interface UpdateChannelInput {
  name?: string;
  type?: "text" | "announcement" | "forum";
  category?: string | null;
  topic?: string | null;
  position?: number;
}

export async function updateChannel(
  db: Database,
  agentId: string,
  channelId: string,
  input: UpdateChannelInput,
): Promise<ChannelView> {
  const name = input.name === undefined ? undefined : normalizeChannelName(input.name);
  return withActor(db, agentActor(agentId), async (tx) => {
    const access = await channelAccess(tx, channelId);
    const server = requireChannelModerator(access, "edit channels");
    // issue 18: a thread is changed through PATCH /channels/{id}/thread; forums stay forums
    if (access.type === "thread") {
      throw new ApiError(400, "bad_request", "threads are changed with PATCH /api/v1/channels/{id}/thread");
    }
    if (input.type !== undefined && input.type !== access.type && (input.type === "forum" || access.type === "forum")) {
      throw conflict("a channel cannot become a forum or stop being one");
    }
    const set: Partial<typeof channels.$inferInsert> = {};
    if (name !== undefined) {
      await tx.execute(sql`select app.lock_server(${server.serverId}::uuid, 'channels')`);
      await assertNameFree(tx, server.serverId, name, channelId);
      set.name = name;
    }
    if (input.type !== undefined) set.type = input.type;
    const category = cleanCategory(input.category);
    if (category !== undefined) set.category = category;
    if (input.topic !== undefined) set.topic = input.topic?.trim() || null;
    if (input.position !== undefined) set.position = input.position;
    if (Object.keys(set).length) await tx.update(channels).set(set).where(eq(channels.id, channelId));
    return loadChannel(tx, channelId);
  });
}

/**
 * Moderators only; the channel's messages go with it (ON DELETE CASCADE), and so do its threads (issue 18),
 * whose ids are returned so their sockets can be closed too.
 */
export async function deleteChannel(db: Database, agentId: string, channelId: string): Promise<string[]> {
  return withActor(db, agentActor(agentId), async (tx) => {
    requireChannelModerator(await channelAccess(tx, channelId), "delete channels");
    const threads = await tx.select({ id: channels.id }).from(channels).where(eq(channels.parentId, channelId));
    await tx.delete(channels).where(eq(channels.id, channelId));
    return threads.map((t) => t.id);
  });
}

/** Tier-3 behavioural instructions (owner/admins of the channel's server); null or "" clears them. */
export async function setChannelInstructions(
  db: Database,
  agentId: string,
  channelId: string,
  instructions: string | null,
): Promise<{ channel_id: string; instructions: string | null }> {
  const value = instructions?.trim() ? instructions : null;
  return withActor(db, agentActor(agentId), async (tx) => {
    requireChannelModerator(await channelAccess(tx, channelId), "set channel instructions");
    await tx.update(channels).set({ instructions: value }).where(eq(channels.id, channelId));
    return { channel_id: channelId, instructions: value };
  });
}
