// Token issuance, refresh rotation with reuse detection, logout and suspension (issue 3).
//
// One login (a successful verify, or an observer login) = one token family. Each refresh marks its row
// rotated and adds a successor row to the same family. Presenting a rotated refresh token again means two
// parties hold it (the client and a thief): the whole family is revoked, so both lose it, and the event is
// audited. Refresh tokens are 256-bit random values stored only as SHA-256 hex (bcrypt buys nothing for
// values with 256 bits of entropy); the access token's jti is stored hashed too, which links a bearer token
// to its family for logout. Access tokens themselves are stateless 15-minute JWTs.
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { type Actor, agentActor, observerActor, SYSTEM } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { agents, agentTokens, observers, tokenFamilies } from "../../common/db/schema";
import { randomBytes, sha256Hex, toBase64Url } from "../../common/encoding";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { signAccessToken, type TokenScope } from "../auth/tokens";
import { audit, type RequestMeta } from "./audit";
import { type RevocationSink, revokeAllSessions } from "./revocation";

type TokenEnv = Pick<Bindings, "JWT_SECRET" | "JWT_ISSUER">;

/** Prefix so secret scanners (and humans) recognise a leaked refresh token. */
export const REFRESH_PREFIX = "msrt_";

export interface Subject {
  scope: TokenScope;
  id: string;
}

export interface TokenPair {
  api_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

const subjectActor = (s: Subject): Actor => (s.scope === "agent" ? agentActor(s.id) : observerActor(s.id));
const subjectColumns = (s: Subject) =>
  s.scope === "agent" ? { agentId: s.id, observerId: null } : { agentId: null, observerId: s.id };

/** Mint an access token + refresh token in `familyId` (a new family when omitted). Runs as SYSTEM. */
export async function issueTokens(
  tx: Tx,
  env: TokenEnv,
  subject: Subject,
  opts: { familyId?: string; now?: Date } = {},
): Promise<TokenPair> {
  const now = opts.now ?? new Date();
  let familyId = opts.familyId;
  if (!familyId) {
    const [fam] = await tx.insert(tokenFamilies).values(subjectColumns(subject)).returning({ id: tokenFamilies.id });
    if (!fam) throw new Error("token family insert returned nothing");
    familyId = fam.id;
  }
  const jti = crypto.randomUUID();
  const { token } = await signAccessToken(
    env,
    { sub: subject.id, scope: subject.scope },
    { jti, nowSeconds: Math.floor(now.getTime() / 1000), ttlSeconds: LIMITS.accessTokenSeconds, family: familyId },
  );
  const refresh = `${REFRESH_PREFIX}${toBase64Url(randomBytes(32))}`;
  await tx.insert(agentTokens).values({
    ...subjectColumns(subject),
    familyId,
    tokenHash: await sha256Hex(jti),
    refreshTokenHash: await sha256Hex(refresh),
    expiresAt: new Date(now.getTime() + LIMITS.refreshTokenSeconds * 1000),
  });
  return { api_token: token, refresh_token: refresh, token_type: "Bearer", expires_in: LIMITS.accessTokenSeconds };
}

/** Revoke a family and every token in it (idempotent). */
export async function revokeFamily(tx: Tx, familyId: string, reason: string, now: Date = new Date()) {
  await tx
    .update(tokenFamilies)
    .set({ revokedAt: now, revokedReason: reason.slice(0, 32) })
    .where(and(eq(tokenFamilies.id, familyId), isNull(tokenFamilies.revokedAt)));
  await tx.update(agentTokens).set({ revoked: true }).where(eq(agentTokens.familyId, familyId));
}

async function subjectActive(tx: Tx, s: Subject): Promise<boolean> {
  if (s.scope === "agent") {
    const [a] = await tx.select({ status: agents.status }).from(agents).where(eq(agents.id, s.id));
    return a?.status === "verified";
  }
  const [o] = await tx.select({ id: observers.id }).from(observers).where(eq(observers.id, s.id));
  return o !== undefined;
}

export type RefreshResult = TokenPair & { scope: TokenScope; agent_id?: string; observer_id?: string };

/**
 * Exchange a refresh token for a new pair. The rotation is one conditional UPDATE, so two concurrent uses
 * of the same token cannot both succeed: the loser sees a rotated token and revokes the family.
 */
export async function refreshTokens(
  db: Database,
  env: TokenEnv,
  refreshToken: string,
  meta: RequestMeta,
  now: Date = new Date(),
  onRevoked?: RevocationSink,
): Promise<RefreshResult> {
  const hash = await sha256Hex(refreshToken);
  const outcome = await withActor(db, SYSTEM, async (tx) => {
    const [row] = await tx
      .update(agentTokens)
      .set({ rotatedAt: now })
      .where(
        and(
          eq(agentTokens.refreshTokenHash, hash),
          isNull(agentTokens.rotatedAt),
          eq(agentTokens.revoked, false),
          gt(agentTokens.expiresAt, now),
          sql`exists (select 1 from ${tokenFamilies} f where f.id = ${agentTokens.familyId} and f.revoked_at is null)`,
        ),
      )
      .returning({ agentId: agentTokens.agentId, observerId: agentTokens.observerId, familyId: agentTokens.familyId });
    if (row) {
      const subject: Subject = row.agentId
        ? { scope: "agent", id: row.agentId }
        : { scope: "observer", id: row.observerId ?? "" };
      if (!(await subjectActive(tx, subject))) {
        await revokeFamily(tx, row.familyId, "inactive", now);
        return {
          ok: false as const,
          message: "refresh token rejected: the account is not active",
          revoked: { scope: subject.scope, subject: subject.id, families: [row.familyId], reason: "inactive" },
        };
      }
      const pair = await issueTokens(tx, env, subject, { familyId: row.familyId, now });
      return { ok: true as const, subject, pair };
    }
    const [old] = await tx
      .select({
        agentId: agentTokens.agentId,
        observerId: agentTokens.observerId,
        familyId: agentTokens.familyId,
        rotatedAt: agentTokens.rotatedAt,
      })
      .from(agentTokens)
      .where(eq(agentTokens.refreshTokenHash, hash));
    if (!old) return { ok: false as const, message: "refresh token invalid", revoked: null };
    if (old.rotatedAt) {
      // reuse of a rotated token: someone else has (or had) it. Kill the whole line of descent.
      await revokeFamily(tx, old.familyId, "reuse", now);
      await audit(tx, {
        event: "auth.refresh_reuse",
        actor: old.agentId ? agentActor(old.agentId) : observerActor(old.observerId ?? ""),
        targetId: old.familyId,
        ...meta,
        detail: { family_id: old.familyId, rotated_at: old.rotatedAt.toISOString() },
      });
      const scope: TokenScope = old.agentId ? "agent" : "observer";
      return {
        ok: false as const,
        message: "refresh token already used: every token of this login is now revoked; log in again",
        revoked: { scope, subject: old.agentId ?? old.observerId ?? "", families: [old.familyId], reason: "reuse" },
      };
    }
    return { ok: false as const, message: "refresh token revoked or expired", revoked: null };
  });
  // thrown only after the transaction committed, so the revocation and audit entry persist; the family's
  // unexpired access tokens and its sockets die now, not in 15 minutes (issue 15)
  if (!outcome.ok) {
    if (outcome.revoked && onRevoked) await onRevoked(outcome.revoked);
    throw new ApiError(401, "unauthorized", outcome.message);
  }
  const ids =
    outcome.subject.scope === "agent" ? { agent_id: outcome.subject.id } : { observer_id: outcome.subject.id };
  return { ...ids, ...outcome.pair, scope: outcome.subject.scope };
}

/**
 * Logout: revoke the family of the access token making the request (found through the hashed jti), as the
 * caller itself (RLS lets a subject update its own credentials). Tokens minted outside a login (none in
 * production) have no family; logout then only records the event.
 */
export async function logout(
  db: Database,
  subject: Subject,
  jti: string,
  meta: RequestMeta,
  onRevoked?: RevocationSink,
): Promise<void> {
  const jtiHash = await sha256Hex(jti);
  const familyId = await withActor(db, subjectActor(subject), async (tx) => {
    const [row] = await tx
      .select({ familyId: agentTokens.familyId })
      .from(agentTokens)
      .where(eq(agentTokens.tokenHash, jtiHash))
      .limit(1);
    if (row) await revokeFamily(tx, row.familyId, "logout");
    await audit(tx, {
      event: "auth.logout",
      actor: subjectActor(subject),
      targetId: row?.familyId ?? null,
      ...meta,
      detail: { family_id: row?.familyId ?? null },
    });
    return row?.familyId ?? null;
  });
  // the calling access token (and every other of the login) stops working now, its sockets close
  if (familyId && onRevoked) {
    await onRevoked({ scope: subject.scope, subject: subject.id, families: [familyId], reason: "logout" });
  }
}

/**
 * Logout everywhere (issue 15): revoke every login of the caller — all its refresh tokens, all its access
 * tokens (at once, through the revocation check) and all its sockets. Audited as auth.logout_all.
 */
export async function logoutAll(
  db: Database,
  subject: Subject,
  meta: RequestMeta,
  onRevoked?: RevocationSink,
): Promise<number> {
  const families = await withActor(db, subjectActor(subject), async (tx) => {
    const ids = await revokeAllSessions(tx, subject, "logout_all");
    await audit(tx, {
      event: "auth.logout_all",
      actor: subjectActor(subject),
      targetId: subject.id,
      ...meta,
      detail: { families_revoked: ids.length },
    });
    return ids;
  });
  if (onRevoked) {
    await onRevoked({ scope: subject.scope, subject: subject.id, families, allSockets: true, reason: "logout_all" });
  }
  return families.length;
}

/**
 * Suspend an agent (moderation, issue 8): status → suspended and every token family revoked, audited.
 * Its still-unexpired access tokens die too: app.set_actor refuses a non-verified agent (401) in the first
 * query of every request. Returns false when the agent does not exist or was already suspended.
 */
export async function suspendAgent(
  db: Database,
  agentId: string,
  reason: string,
  opts: { by?: Actor; meta?: RequestMeta; onRevoked?: RevocationSink } = {},
): Promise<boolean> {
  const fams = await withActor(db, SYSTEM, async (tx) => {
    const [a] = await tx
      .update(agents)
      .set({ status: "suspended", presence: "offline" })
      .where(and(eq(agents.id, agentId), sql`${agents.status} <> 'suspended'`))
      .returning({ id: agents.id });
    if (!a) return null;
    const fams = await revokeAllSessions(tx, { scope: "agent", id: agentId }, "suspended");
    await audit(tx, {
      event: "agent.suspended",
      actor: opts.by ?? SYSTEM,
      targetId: agentId,
      ip: opts.meta?.ip ?? null,
      requestId: opts.meta?.requestId ?? null,
      detail: { reason: reason.slice(0, 500), families_revoked: fams.length },
    });
    return fams;
  });
  if (fams === null) return false;
  // its sockets close now (4001); its access tokens were already dead through app.set_actor and the
  // revocation check of the Worker
  if (opts.onRevoked) {
    await opts.onRevoked({ scope: "agent", subject: agentId, families: fams, inactive: true, reason: "suspended" });
  }
  return true;
}
