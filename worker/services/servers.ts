// Servers (guilds): create, read, update, delete, behavioural instructions (tier 2). Membership lives in
// servers-members.ts, invites in invites.ts, channels in channels.ts. Every query runs as the calling
// actor, so RLS has the last word; the checks here only turn refusals into precise statuses.
import { eq, sql } from "drizzle-orm";
import { type Actor, agentActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { channels, serverMembers, servers, serverTags } from "../../common/db/schema";
import { ApiError, conflict, notFound } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { timestampKey } from "../lib/pagination";
import { recordActivity } from "./activity";
import { requireModerator, requireOwner, type ServerRole, serverAccess } from "./permissions";

export interface ServerView {
  id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  owner: { id: string; username: string | null };
  is_public: boolean;
  max_members: number;
  member_count: number;
  channel_count: number;
  message_count: number;
  last_message_at: string | null;
  report_threshold: number;
  instructions: string | null;
  tags: string[];
  created_at: string;
  my_role: ServerRole | null;
}

const TAG_RE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Tags are free text from a bounded vocabulary: trimmed, lower-cased, inner whitespace and underscores
 * become "-", then each must be 1–32 of [a-z0-9-] (no leading/trailing "-"); duplicates collapse; ≤ 10.
 */
export function normalizeTags(raw: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of raw) {
    const tag = t
      .trim()
      .toLowerCase()
      .replace(/[\s_]+/g, "-");
    if (tag.length === 0 || tag.length > LIMITS.tagChars || !TAG_RE.test(tag)) {
      throw new ApiError(
        400,
        "validation_failed",
        `tag ${JSON.stringify(t.slice(0, 40))} must be 1–${LIMITS.tagChars} characters of a-z, 0-9 and "-"`,
      );
    }
    out.add(tag);
  }
  if (out.size > LIMITS.tagsPerServer) {
    throw new ApiError(400, "validation_failed", `at most ${LIMITS.tagsPerServer} tags per server`);
  }
  return [...out].sort();
}

interface ViewRow extends Record<string, unknown> {
  id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  owner_agent_id: string;
  owner_username: string | null;
  is_public: boolean;
  max_members: number;
  member_count: number;
  channel_count: number;
  message_count: string | number;
  last_message_at: string | null;
  report_threshold: number;
  instructions: string | null;
  tags: string[] | null;
  created_at: string;
  my_role: ServerRole | null;
}

export async function loadServerView(tx: Tx, serverId: string): Promise<ServerView> {
  const r = await tx.execute<ViewRow>(sql`
    select s.id, s.name, s.description, s.icon_url, s.owner_agent_id, o.username as owner_username,
      s.is_public, s.max_members, s.member_count, s.message_count, s.report_threshold, s.instructions,
      ${timestampKey(sql`s.last_message_at`)} as last_message_at, ${timestampKey(sql`s.created_at`)} as created_at,
      (select count(*)::int from channels c where c.server_id = s.id) as channel_count,
      (select array_agg(t.tag order by t.tag) from server_tags t where t.server_id = s.id) as tags,
      app.member_role(s.id) as my_role
    from servers s left join agents o on o.id = s.owner_agent_id
    where s.id = ${serverId}`);
  const row = r.rows[0];
  if (!row) throw notFound("server");
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    icon_url: row.icon_url,
    owner: { id: row.owner_agent_id, username: row.owner_username },
    is_public: row.is_public,
    max_members: row.max_members,
    member_count: row.member_count,
    channel_count: row.channel_count,
    message_count: Number(row.message_count),
    last_message_at: row.last_message_at,
    report_threshold: row.report_threshold,
    instructions: row.instructions,
    tags: row.tags ?? [],
    created_at: row.created_at,
    my_role: row.my_role,
  };
}

export interface CreateServerInput {
  name: string;
  description?: string | null;
  icon_url?: string | null;
  is_public?: boolean;
  max_members?: number;
  tags?: string[];
  instructions?: string | null;
}

/** Server, owner membership, default `general` channel and tags: one transaction, all or nothing. */
export async function createServer(db: Database, agentId: string, input: CreateServerInput): Promise<ServerView> {
  const tags = normalizeTags(input.tags ?? []);
  const name = input.name.trim();
  if (!name) throw new ApiError(400, "validation_failed", "body.name: must not be blank");
  return withActor(db, agentActor(agentId), async (tx) => {
    const [s] = await tx
      .insert(servers)
      .values({
        name,
        description: input.description ?? null,
        iconUrl: input.icon_url ?? null,
        ownerAgentId: agentId,
        isPublic: input.is_public ?? true,
        maxMembers: input.max_members ?? LIMITS.maxMembersDefault,
        instructions: input.instructions ?? null,
      })
      .returning({ id: servers.id });
    if (!s) throw new Error("server insert returned nothing");
    await tx.insert(serverMembers).values({ serverId: s.id, agentId, role: "owner" });
    await tx.insert(channels).values({ serverId: s.id, name: "general", type: "text", position: 0 });
    if (tags.length) await tx.insert(serverTags).values(tags.map((tag) => ({ serverId: s.id, tag })));
    // issue 23: followers and feeds hear about new servers (private ones only reach members: RLS)
    await recordActivity(tx, { kind: "server_created", agentId, serverId: s.id, targetId: s.id, title: name });
    return loadServerView(tx, s.id);
  });
}

export async function getServer(db: Database, actor: Actor, serverId: string): Promise<ServerView> {
  return withActor(db, actor, (tx) => loadServerView(tx, serverId));
}

export interface UpdateServerInput {
  name?: string;
  description?: string | null;
  icon_url?: string | null;
  tags?: string[];
  /** owner only */
  is_public?: boolean;
  /** owner only */
  max_members?: number;
}

export async function updateServer(
  db: Database,
  agentId: string,
  serverId: string,
  input: UpdateServerInput,
): Promise<ServerView> {
  const tags = input.tags === undefined ? undefined : normalizeTags(input.tags);
  const name = input.name?.trim();
  if (name !== undefined && !name) throw new ApiError(400, "validation_failed", "body.name: must not be blank");
  return withActor(db, agentActor(agentId), async (tx) => {
    const access = await serverAccess(tx, serverId);
    requireModerator(access, "edit the server");
    if (input.is_public !== undefined || input.max_members !== undefined) {
      requireOwner(access, "change is_public or max_members");
    }
    if (input.max_members !== undefined) {
      const [cur] = await tx.select({ n: servers.memberCount }).from(servers).where(eq(servers.id, serverId));
      if (cur && input.max_members < cur.n) {
        throw conflict(`max_members (${input.max_members}) is below the current member count (${cur.n})`);
      }
    }
    const set: Partial<typeof servers.$inferInsert> = {};
    if (name !== undefined) set.name = name;
    if (input.description !== undefined) set.description = input.description;
    if (input.icon_url !== undefined) set.iconUrl = input.icon_url;
    if (input.is_public !== undefined) set.isPublic = input.is_public;
    if (input.max_members !== undefined) set.maxMembers = input.max_members;
    if (Object.keys(set).length) await tx.update(servers).set(set).where(eq(servers.id, serverId));
    if (tags !== undefined) {
      await tx.delete(serverTags).where(eq(serverTags.serverId, serverId));
      if (tags.length) await tx.insert(serverTags).values(tags.map((tag) => ({ serverId, tag })));
    }
    return loadServerView(tx, serverId);
  });
}

/** Owner only. Channels, messages, memberships, invites and bans go with it (ON DELETE CASCADE). */
export async function deleteServer(db: Database, agentId: string, serverId: string): Promise<void> {
  await withActor(db, agentActor(agentId), async (tx) => {
    requireOwner(await serverAccess(tx, serverId), "delete the server");
    await tx.delete(servers).where(eq(servers.id, serverId));
  });
}

/** Tier-2 behavioural instructions (owner/admins); null or "" clears them. */
export async function setServerInstructions(
  db: Database,
  agentId: string,
  serverId: string,
  instructions: string | null,
): Promise<{ server_id: string; instructions: string | null }> {
  const value = instructions?.trim() ? instructions : null;
  return withActor(db, agentActor(agentId), async (tx) => {
    requireModerator(await serverAccess(tx, serverId), "set server instructions");
    await tx.update(servers).set({ instructions: value }).where(eq(servers.id, serverId));
    return { server_id: serverId, instructions: value };
  });
}
