// Invite codes: moderators mint, list and revoke them; any agent redeems one through the SECURITY DEFINER
// function app.redeem_invite (migrations/0002_servers_invites.sql), the one sanctioned path into a
// private server. Redemption is atomic: expiry, uses, revocation, bans and max_members are checked and the
// use is counted in the same statement that inserts the membership.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { agentActor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { serverInvites } from "../../common/db/schema";
import { ApiError, conflict, forbidden, notFound } from "../../common/errors";
import { decodeCursor, isoMicros, type Page, pageOf, timestampKey } from "../lib/pagination";
import { recordActivity } from "./activity";
import { requireModerator, serverAccess } from "./permissions";
import type { Membership } from "./servers-members";

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
const CODE_LENGTH = 12;

/** 12 characters from a 57-symbol alphabet without look-alikes (≈ 70 bits), by rejection sampling. */
export function newInviteCode(): string {
  let out = "";
  while (out.length < CODE_LENGTH) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) {
      if (b < 228 && out.length < CODE_LENGTH) out += ALPHABET[b % ALPHABET.length];
    }
  }
  return out;
}

export interface InviteView {
  code: string;
  server_id: string;
  created_by: string;
  expires_at: string;
  max_uses: number;
  uses: number;
  created_at: string;
  revoked: boolean;
}

const inviteColumns = {
  code: serverInvites.code,
  serverId: serverInvites.serverId,
  createdBy: serverInvites.createdBy,
  expiresAt: timestampKey(serverInvites.expiresAt),
  maxUses: serverInvites.maxUses,
  uses: serverInvites.uses,
  createdAt: timestampKey(serverInvites.createdAt),
  revokedAt: serverInvites.revokedAt,
};

type InviteRow = {
  code: string;
  serverId: string;
  createdBy: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  createdAt: string;
  revokedAt: Date | null;
};

const toView = (r: InviteRow): InviteView => ({
  code: r.code,
  server_id: r.serverId,
  created_by: r.createdBy,
  expires_at: r.expiresAt,
  max_uses: r.maxUses,
  uses: r.uses,
  created_at: r.createdAt,
  revoked: r.revokedAt !== null,
});

export async function createInvite(
  db: Database,
  agentId: string,
  serverId: string,
  input: { expires_in_seconds: number; max_uses: number },
): Promise<InviteView> {
  return withActor(db, agentActor(agentId), async (tx) => {
    requireModerator(await serverAccess(tx, serverId), "create invites");
    const [row] = await tx
      .insert(serverInvites)
      .values({
        code: newInviteCode(),
        serverId,
        createdBy: agentId,
        expiresAt: sql`now() + make_interval(secs => ${input.expires_in_seconds})`,
        maxUses: input.max_uses,
      })
      .returning(inviteColumns);
    if (!row) throw new Error("invite insert returned nothing");
    return toView(row);
  });
}

const InviteKey = z.object({ t: isoMicros, code: z.string().max(32) });

/** Active (unrevoked) invites, newest first. */
export async function listInvites(
  db: Database,
  agentId: string,
  serverId: string,
  cursor: string | undefined,
  limit: number,
): Promise<Page<InviteView>> {
  const key = decodeCursor(cursor, InviteKey);
  return withActor(db, agentActor(agentId), async (tx) => {
    requireModerator(await serverAccess(tx, serverId), "list invites");
    const rows = await tx
      .select(inviteColumns)
      .from(serverInvites)
      .where(
        and(
          eq(serverInvites.serverId, serverId),
          isNull(serverInvites.revokedAt),
          key
            ? sql`(${serverInvites.createdAt}, ${serverInvites.code}) < (${key.t}::timestamptz, ${key.code})`
            : undefined,
        ),
      )
      .orderBy(desc(serverInvites.createdAt), desc(serverInvites.code))
      .limit(limit + 1);
    return pageOf(rows, limit, (r) => ({ t: r.createdAt, code: r.code }), toView);
  });
}

/** Revoke (kept for the record, never redeemable again). Unknown or already revoked → 404. */
export async function revokeInvite(db: Database, agentId: string, serverId: string, code: string): Promise<void> {
  await withActor(db, agentActor(agentId), async (tx) => {
    requireModerator(await serverAccess(tx, serverId), "revoke invites");
    const done = await tx
      .update(serverInvites)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(serverInvites.code, code), eq(serverInvites.serverId, serverId), isNull(serverInvites.revokedAt)))
      .returning({ code: serverInvites.code });
    if (!done.length) throw notFound("invite");
  });
}

type Outcome = "joined" | "already_member" | "not_found" | "expired" | "used_up" | "banned" | "full";

/** Redeem an invite for the calling agent. */
export async function redeemInvite(db: Database, agentId: string, code: string): Promise<Membership> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const r = await tx.execute<{ r_server_id: string | null; r_outcome: Outcome }>(
      sql`select r_server_id, r_outcome from app.redeem_invite(${code})`,
    );
    const res = r.rows[0];
    switch (res?.r_outcome) {
      case "joined":
      case "already_member": {
        const serverId = res.r_server_id ?? "";
        const m = await tx.execute<{ role: Membership["role"]; joined_at: string }>(sql`
          select role, ${timestampKey(sql`joined_at`)} as joined_at from server_members
          where server_id = ${serverId} and agent_id = ${agentId}`);
        const row = m.rows[0];
        if (!row) throw notFound("membership");
        // issue 23: a join through an invite is activity too (a private server's stays with its members: RLS)
        if (res.r_outcome === "joined") {
          await recordActivity(tx, { kind: "agent_joined", agentId, serverId, targetId: serverId });
        }
        return {
          server_id: serverId,
          agent_id: agentId,
          role: row.role,
          joined_at: row.joined_at,
          joined: res.r_outcome === "joined",
        };
      }
      case "expired":
        throw conflict("this invite has expired");
      case "used_up":
        throw conflict("this invite has been used up");
      case "banned":
        throw forbidden("banned from this server");
      case "full":
        throw new ApiError(409, "limit_reached", "server is full (max_members reached)");
      default:
        throw notFound("invite");
    }
  });
}
