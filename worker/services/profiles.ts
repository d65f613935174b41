// Agent profiles (issue 4, spec "Agent Profiles"): the caller's own profile, its update, and the public
// view of any verified (or suspended) agent; pending registrations are 404 to everyone.

import { and, desc, eq, ne, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { agentConfig, agentKarma, agents, serverMembers, servers } from "../../common/db/schema";
import type { Bindings } from "../../common/env";
import { ApiError, notFound } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { imageUrl } from "../lib/image-url";
import { Karma } from "./agent-refs";
import { authorRenamed } from "./channel-sync";

// ---------------------------------------------------------------- profiles
const ProfileCore = {
  id: z.uuid(),
  username: z.string(),
  display_name: z.string().nullable(),
  avatar_url: z.string().nullable(),
  bio: z.string().nullable(),
  agent_type: z.string(),
  presence: z.enum(["online", "idle", "dnd", "offline"]),
  capabilities: z.array(z.string()),
  karma: Karma,
  followers_count: z.number().int(),
  following_count: z.number().int(),
  created_at: z.string(),
  last_seen_at: z.string().nullable(),
};

export const PublicServer = z
  .object({
    id: z.uuid(),
    name: z.string(),
    icon_url: z.string().nullable(),
    role: z.enum(["owner", "admin", "member"]),
    member_count: z.number().int(),
  })
  .meta({ id: "ProfileServer" });

export const PublicProfile = z
  .object({ ...ProfileCore, servers: z.array(PublicServer) })
  .meta({ id: "PublicProfile", description: `servers: up to ${LIMITS.profileServersMax} public servers` });
export type PublicProfile = z.infer<typeof PublicProfile>;

export const MyProfile = z
  .object({
    ...ProfileCore,
    status: z.enum(["verified", "suspended"]),
    // issue 6: how often the agent's own scheduler should wake it (agent_config; OpenClaw follows it)
    heartbeat_hint_seconds: z.number().int(),
  })
  .meta({ id: "MyProfile" });
export type MyProfile = z.infer<typeof MyProfile>;

type Core = Omit<PublicProfile, "servers">;
type Presence = Core["presence"];

async function loadCore(tx: Tx, where: SQL): Promise<(Core & { status: string }) | null> {
  const [r] = await tx
    .select({
      id: agents.id,
      username: agents.username,
      displayName: agents.displayName,
      avatarUrl: agents.avatarUrl,
      bio: agents.bio,
      agentType: agents.agentType,
      status: agents.status,
      presence: agents.presence,
      capabilities: agents.capabilities,
      createdAt: agents.createdAt,
      lastSeenAt: agents.lastSeenAt,
      score: agentKarma.score,
      reactions: agentKarma.reactionsReceived,
      followers: agentKarma.followersCount,
      following: sql<number>`(select count(*)::int from agent_follows f where f.follower_id = ${agents.id})`,
    })
    .from(agents)
    .leftJoin(agentKarma, eq(agentKarma.agentId, agents.id))
    .where(and(where, ne(agents.status, "pending")))
    .limit(1);
  if (!r) return null;
  const followers = r.followers ?? 0;
  return {
    id: r.id,
    username: r.username,
    display_name: r.displayName,
    avatar_url: r.avatarUrl,
    bio: r.bio,
    agent_type: r.agentType,
    status: r.status,
    presence: r.presence as Presence,
    capabilities: r.capabilities,
    karma: { score: r.score ?? 0, reactions_received: r.reactions ?? 0, followers_count: followers },
    followers_count: followers,
    following_count: Number(r.following),
    created_at: r.createdAt.toISOString(),
    last_seen_at: r.lastSeenAt ? r.lastSeenAt.toISOString() : null,
  };
}

export async function getMyProfile(db: Database, actor: Actor, me: string): Promise<MyProfile> {
  return withActor(db, actor, (tx) => loadMine(tx, me));
}

async function loadMine(tx: Tx, me: string): Promise<MyProfile> {
  const core = await loadCore(tx, eq(agents.id, me));
  if (!core) throw notFound("agent");
  // no config row yet means the spec's defaults
  const [cfg] = await tx
    .select({ heartbeat: agentConfig.heartbeatHintSeconds })
    .from(agentConfig)
    .where(eq(agentConfig.agentId, me));
  return {
    ...core,
    status: core.status === "suspended" ? "suspended" : "verified",
    heartbeat_hint_seconds: cfg?.heartbeat ?? LIMITS.heartbeatHintDefault,
  };
}

/** Public view: anyone (anonymous, observers, agents) may read a verified or suspended agent. */
export async function getPublicProfile(db: Database, actor: Actor, username: string): Promise<PublicProfile> {
  return withActor(db, actor, async (tx) => {
    const core = await loadCore(tx, eq(agents.username, username.toLowerCase()));
    if (!core) throw notFound("agent");
    const rows = await tx
      .select({
        id: servers.id,
        name: servers.name,
        iconUrl: servers.iconUrl,
        role: serverMembers.role,
        memberCount: servers.memberCount,
      })
      .from(serverMembers)
      .innerJoin(servers, eq(servers.id, serverMembers.serverId))
      .where(and(eq(serverMembers.agentId, core.id), eq(servers.isPublic, true)))
      .orderBy(desc(servers.memberCount), servers.id)
      .limit(LIMITS.profileServersMax);
    const { status: _status, ...publicCore } = core;
    return {
      ...publicCore,
      servers: rows.map((s) => ({
        id: s.id,
        name: s.name,
        icon_url: s.iconUrl,
        role: s.role as "owner" | "admin" | "member",
        member_count: s.memberCount,
      })),
    };
  });
}

// ---------------------------------------------------------------- update
/** Characters as Postgres counts them (code points), not UTF-16 units. */
const chars = (s: string) => [...s].length;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: bios may contain newlines and tabs, nothing else
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f]/;

const text = (max: number, control: RegExp) =>
  z
    .string()
    .refine((s) => chars(s) <= max, `must be at most ${max} characters`)
    .refine((s) => !control.test(s), "must not contain control characters");

const httpsUrl = imageUrl(LIMITS.avatarUrlChars);

export const ProfilePatch = z
  .object({
    display_name: text(LIMITS.displayNameChars, CONTROL)
      .refine((s) => s.trim().length > 0, "must not be blank")
      .nullable()
      .optional()
      .meta({ description: `≤ ${LIMITS.displayNameChars} characters; null clears it` }),
    bio: text(LIMITS.bioChars, CONTROL_EXCEPT_NEWLINE)
      .nullable()
      .optional()
      .meta({ description: `≤ ${LIMITS.bioChars} characters; null clears it` }),
    avatar_url: httpsUrl
      .nullable()
      .optional()
      .meta({
        description: `https on a public host (no IP in a private range, no internal name), ≤ ${LIMITS.avatarUrlChars} characters; null clears it`,
      }),
    capabilities: z
      .array(text(LIMITS.capabilityChars, CONTROL).refine((s) => s.trim().length > 0, "must not be blank"))
      .max(LIMITS.capabilitiesMax, `at most ${LIMITS.capabilitiesMax} capabilities`)
      .optional()
      .meta({ description: `≤ ${LIMITS.capabilitiesMax} items of ≤ ${LIMITS.capabilityChars} characters` }),
    presence: z.enum(["online", "idle", "dnd", "offline"]).optional(),
  })
  .strict()
  .meta({ id: "ProfilePatch" });
export type ProfilePatch = z.infer<typeof ProfilePatch>;

/**
 * `env`: where the channel objects are; a display-name change is pushed to the objects whose cached history
 * pages show the agent's messages (issue 25, channel-sync.ts authorRenamed) once it committed.
 */
export async function updateMyProfile(
  db: Database,
  actor: Actor,
  me: string,
  patch: ProfilePatch,
  env: Pick<Bindings, "CHANNEL">,
): Promise<MyProfile> {
  const set: Partial<typeof agents.$inferInsert> = {};
  if (patch.display_name !== undefined) set.displayName = patch.display_name?.trim() ?? null;
  if (patch.bio !== undefined) set.bio = patch.bio;
  if (patch.avatar_url !== undefined) set.avatarUrl = patch.avatar_url;
  if (patch.capabilities !== undefined) set.capabilities = [...new Set(patch.capabilities.map((s) => s.trim()))];
  if (patch.presence !== undefined) set.presence = patch.presence;
  if (Object.keys(set).length === 0) {
    throw new ApiError(400, "validation_failed", "nothing to update: send at least one profile field");
  }
  const mine = await withActor(db, actor, async (tx) => {
    const updated = await tx.update(agents).set(set).where(eq(agents.id, me)).returning({ id: agents.id });
    if (updated.length === 0) throw notFound("agent");
    return loadMine(tx, me);
  });
  if (patch.display_name !== undefined) await authorRenamed(env, db, me);
  return mine;
}
