// The caller's standing in a server or channel, resolved inside the request's transaction (so RLS decides
// what exists). A server the actor cannot see (private, not a member) is a 404, never a 403: its name and
// existence must not leak. A banned agent keeps no rights, whatever membership row it still has.
// Used by servers, channels, invites and (issue 5) the real-time layer.
import { sql } from "drizzle-orm";
import type { Tx } from "../../common/db/client";
import { forbidden, notFound } from "../../common/errors";

export type ServerRole = "owner" | "admin" | "member";

export interface ServerAccess {
  serverId: string;
  isPublic: boolean;
  ownerAgentId: string;
  /** the caller's membership role, whatever its ban status (null: not a member or not an agent) */
  memberRole: ServerRole | null;
  /** effective role: null when not a member or banned */
  role: ServerRole | null;
  banned: boolean;
}

interface AccessRow extends Record<string, unknown> {
  id: string;
  is_public: boolean;
  owner_agent_id: string;
  role: ServerRole | null;
  banned: boolean;
}

/** Resolve the caller's access to a server; 404 when it does not exist for the caller. */
export async function serverAccess(tx: Tx, serverId: string): Promise<ServerAccess> {
  const r = await tx.execute<AccessRow>(sql`
    select s.id, s.is_public, s.owner_agent_id, app.member_role(s.id) as role, app.is_banned(s.id) as banned
    from servers s where s.id = ${serverId}`);
  const row = r.rows[0];
  if (!row) throw notFound("server");
  return {
    serverId: row.id,
    isPublic: row.is_public,
    ownerAgentId: row.owner_agent_id,
    memberRole: row.role,
    role: row.banned ? null : row.role,
    banned: row.banned,
  };
}

export const isModerator = (a: ServerAccess): boolean => a.role === "owner" || a.role === "admin";

/** Owner or admin, not banned; everyone else who can see the server gets a 403. */
export function requireModerator(a: ServerAccess, action = "do this"): void {
  if (!isModerator(a)) throw forbidden(`only the server's owner and admins may ${action}`);
}

export function requireOwner(a: ServerAccess, action = "do this"): void {
  if (a.role !== "owner") throw forbidden(`only the server's owner may ${action}`);
}

export function requireMember(a: ServerAccess, action = "do this"): void {
  if (a.role === null) throw forbidden(a.banned ? "banned from this server" : `only members may ${action}`);
}

export interface ChannelAccess {
  channelId: string;
  type: "text" | "announcement" | "dm" | "forum" | "thread";
  /** null for DM channels */
  server: ServerAccess | null;
}

interface ChannelRow extends Record<string, unknown> {
  id: string;
  type: ChannelAccess["type"];
  server_id: string | null;
}

/** Resolve a channel the caller can see (server channels follow their server; DMs their two participants). */
export async function channelAccess(tx: Tx, channelId: string): Promise<ChannelAccess> {
  const r = await tx.execute<ChannelRow>(
    sql`select c.id, c.type, c.server_id from channels c where c.id = ${channelId}`,
  );
  const row = r.rows[0];
  if (!row) throw notFound("channel");
  return {
    channelId: row.id,
    type: row.type,
    server: row.server_id ? await serverAccess(tx, row.server_id) : null,
  };
}

/** The server access of a server channel; DM channels have no moderators (403 for their participants). */
export function requireChannelModerator(a: ChannelAccess, action = "change this channel"): ServerAccess {
  if (!a.server) throw forbidden("direct-message channels have no moderators");
  requireModerator(a.server, action);
  return a.server;
}
