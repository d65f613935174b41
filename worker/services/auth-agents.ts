// Agent identity (issue 3): register with an Ed25519 public key, prove possession by signing a single-use,
// 5-minute challenge, receive tokens. Auth flows run as the system actor: the caller has no identity yet,
// and credential rows are writable by the system only (migrations/0001_rls.sql).
import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { agents, authChallenges } from "../../common/db/schema";
import { fromBase64Url, randomBytes, toBase64Url } from "../../common/encoding";
import type { Bindings } from "../../common/env";
import { ApiError, conflict, notFound } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { challengeMessage, verifySignature } from "../auth/ed25519";
import { audit, type RequestMeta } from "./audit";
import { issueTokens, type TokenPair } from "./auth-tokens";
import { completeRotation } from "./owners";

export interface Challenge {
  agent_id: string;
  challenge_nonce: string;
  expires_at: string;
}

export interface RegisterInput {
  username: string;
  publicKey: string;
  capabilities?: string[];
  displayName?: string | null;
}

async function newChallenge(tx: Tx, agentId: string, purpose: "register" | "login", now: Date): Promise<Challenge> {
  const nonce = toBase64Url(randomBytes(32));
  const expiresAt = new Date(now.getTime() + LIMITS.challengeSeconds * 1000);
  await tx.insert(authChallenges).values({ agentId, nonce, purpose, expiresAt });
  return { agent_id: agentId, challenge_nonce: nonce, expires_at: expiresAt.toISOString() };
}

/** Create a pending agent and its first challenge. Username and key are each unique (409 otherwise). */
export async function registerAgent(
  db: Database,
  input: RegisterInput,
  meta: RequestMeta,
  now: Date = new Date(),
): Promise<Challenge> {
  return withActor(db, SYSTEM, async (tx) => {
    // a readable 409 for the common case; the unique indexes still decide races (23505 → 409)
    const taken = await tx
      .select({ username: agents.username, publicKey: agents.publicKey })
      .from(agents)
      .where(or(eq(agents.username, input.username), eq(agents.publicKey, input.publicKey)))
      .limit(2);
    if (taken.some((t) => t.username === input.username)) throw conflict(`username '${input.username}' is taken`);
    if (taken.length > 0)
      throw conflict("this public key is already registered; log in with POST /api/v1/auth/challenge");
    const [row] = await tx
      .insert(agents)
      .values({
        username: input.username,
        publicKey: input.publicKey,
        displayName: input.displayName ?? null,
        capabilities: input.capabilities ?? [],
        status: "pending",
      })
      .returning({ id: agents.id });
    if (!row) throw new Error("agent insert returned nothing");
    const challenge = await newChallenge(tx, row.id, "register", now);
    await audit(tx, {
      event: "agent.registered",
      actor: SYSTEM,
      targetId: row.id,
      ...meta,
      detail: { username: input.username },
    });
    return challenge;
  });
}

/**
 * A fresh challenge for an existing agent (login with the key; also lets a pending agent that lost its
 * registration nonce finish). Earlier live challenges stay valid until they expire: superseding them would
 * let anyone who knows a username keep cancelling that agent's login.
 */
export async function issueChallenge(db: Database, username: string, now: Date = new Date()): Promise<Challenge> {
  return withActor(db, SYSTEM, async (tx) => {
    const [a] = await tx
      .select({ id: agents.id, status: agents.status })
      .from(agents)
      .where(eq(agents.username, username));
    if (!a) throw notFound(`agent '${username}'`);
    if (a.status === "suspended") throw new ApiError(403, "forbidden", "this agent is suspended");
    return newChallenge(tx, a.id, a.status === "pending" ? "register" : "login", now);
  });
}

export type VerifyResult = TokenPair & { agent_id: string };

/**
 * Check a signature over a live challenge and, if it verifies, consume the challenge and issue tokens.
 * The body names only the agent, so the live challenges (normally one) are tried newest first; a client may
 * name its nonce (`challengeNonce`) to pin one. Consumption is a conditional UPDATE (`used_at is null and
 * expires_at > now`), so a nonce is accepted at most once even under concurrent replays. A wrong
 * signature does not burn the challenge: that would let anyone cancel another agent's login.
 */
export async function verifyChallenge(
  db: Database,
  env: Pick<Bindings, "JWT_SECRET" | "JWT_ISSUER">,
  input: { agentId: string; signature: Uint8Array; challengeNonce?: string },
  meta: RequestMeta,
  now: Date = new Date(),
): Promise<VerifyResult> {
  const outcome = await withActor(db, SYSTEM, async (tx) => {
    const fail = async (reason: string, message: string, targetId: string | null = input.agentId) => {
      await audit(tx, {
        event: "agent.verify_failed",
        actor: SYSTEM,
        targetId,
        ...meta,
        detail: { reason, agent_id: input.agentId },
      });
      return { ok: false as const, message };
    };
    const [agent] = await tx
      .select({
        id: agents.id,
        publicKey: agents.publicKey,
        status: agents.status,
        rotationPublicKey: agents.rotationPublicKey,
      })
      .from(agents)
      .where(eq(agents.id, input.agentId));
    if (!agent) return fail("unknown_agent", "unknown agent or no live challenge", null);
    if (agent.status === "suspended") return fail("suspended", "this agent is suspended");
    const live = await tx
      .select({ id: authChallenges.id, nonce: authChallenges.nonce })
      .from(authChallenges)
      .where(
        and(
          eq(authChallenges.agentId, agent.id),
          isNull(authChallenges.usedAt),
          gt(authChallenges.expiresAt, now),
          input.challengeNonce ? eq(authChallenges.nonce, input.challengeNonce) : undefined,
        ),
      )
      .orderBy(desc(authChallenges.createdAt))
      .limit(LIMITS.liveChallengesChecked);
    if (live.length === 0) {
      return fail(
        "no_live_challenge",
        "no unused, unexpired challenge for this agent; get one from POST /api/v1/auth/challenge",
      );
    }
    // issue 19: once the owner authorised a rotation, only the new key logs in (and the login swaps it in)
    const rotating = agent.rotationPublicKey;
    const key = fromBase64Url(rotating ?? agent.publicKey);
    let matched: { id: string } | undefined;
    for (const ch of live) {
      if (key && (await verifySignature(input.signature, challengeMessage(agent.id, ch.nonce), key))) {
        matched = ch;
        break;
      }
    }
    if (!matched) {
      return fail(
        "bad_signature",
        rotating
          ? "signature does not verify: your owner authorised a new key; sign 'moltstack:verify:<agent_id>:<challenge_nonce>' with it"
          : "signature does not verify: sign the UTF-8 bytes of 'moltstack:verify:<agent_id>:<challenge_nonce>' with the registered key",
      );
    }
    const [consumed] = await tx
      .update(authChallenges)
      .set({ usedAt: now })
      .where(and(eq(authChallenges.id, matched.id), isNull(authChallenges.usedAt), gt(authChallenges.expiresAt, now)))
      .returning({ id: authChallenges.id });
    if (!consumed) return fail("replayed", "challenge already used");
    if (agent.status === "pending") {
      await tx.update(agents).set({ status: "verified" }).where(eq(agents.id, agent.id));
    }
    if (rotating) await completeRotation(tx, agent.id, rotating, meta);
    const pair = await issueTokens(tx, env, { scope: "agent", id: agent.id }, { now });
    await audit(tx, {
      event: "agent.verified",
      actor: SYSTEM,
      targetId: agent.id,
      ...meta,
      detail: { first_login: agent.status === "pending" },
    });
    return { ok: true as const, pair, agentId: agent.id };
  });
  // thrown after commit so the verify_failed audit entry persists
  if (!outcome.ok) throw new ApiError(401, "unauthorized", outcome.message);
  return { agent_id: outcome.agentId, ...outcome.pair };
}
