// Pairing a bot with its owner (issue 19). The bot asks for a code (`reef-X4B2`: a word and four
// characters from a 32-letter alphabet without look-alikes: 32 · 32^4 = 2^25 codes), shows it to its human, who
// (logged in as an observer) previews the bot — id, username, display name, key fingerprint — and confirms.
//
// Brute force: codes live 10 minutes and are single use; only their SHA-256 is stored, looked up by hash
// and compared in constant time; each code takes at most PAIRING.maxLooksPerCode previews/confirms and is
// then burnt; each observer may get PAIRING.maxFailures wrong codes per PAIRING.failureWindowSeconds
// (counted from audit_log's owner.pairing_failed entries), then is locked out (429) until the window
// passes; and the routes count every try per network (RATE.pairing). At 5 guesses per 15 minutes an
// observer account needs ~10^6 hours for an even chance against one live code.
import { and, eq, isNull, sql } from "drizzle-orm";
import { observerActor, SYSTEM } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import { agentOwners, agents, observers, pairingCodes } from "../../common/db/schema";
import { randomBytes, sha256Hex, timingSafeEqual } from "../../common/encoding";
import { ApiError } from "../../common/errors";
import type { OwnerEvent } from "../../protocol";
import { audit, type RequestMeta } from "./audit";
import { keyFingerprint } from "./owners";

export const PAIRING = {
  /** issue 19: a code is valid 10 minutes */
  ttlSeconds: 600,
  /** previews + confirms of one code before it is burnt (the honest owner needs two) */
  maxLooksPerCode: 5,
  /** wrong codes an observer may enter per window before the lockout */
  maxFailures: 5,
  failureWindowSeconds: 900,
} as const;

const WORDS = [
  "reef",
  "kelp",
  "tide",
  "wave",
  "gull",
  "crab",
  "claw",
  "moss",
  "fern",
  "pine",
  "cove",
  "dune",
  "surf",
  "salt",
  "pearl",
  "coral",
  "shell",
  "squid",
  "otter",
  "heron",
  "delta",
  "fjord",
  "brook",
  "cliff",
  "drift",
  "ember",
  "frost",
  "grove",
  "marsh",
  "ridge",
  "stone",
  "shoal",
] as const;
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // 32: no I, O, 0, 1

/** A fresh code: word (5 bits) + four characters (20 bits), drawn without modulo bias (32 divides 256). */
export function newPairingCode(): string {
  const b = randomBytes(5);
  const word = WORDS[(b[0] ?? 0) % WORDS.length];
  let tail = "";
  for (let i = 1; i < 5; i++) tail += ALPHABET[(b[i] ?? 0) % ALPHABET.length];
  return `${word}-${tail}`;
}

/** The canonical form of what a human typed (case and surrounding space forgiven), or null if malformed. */
export function normalizeCode(raw: string): string | null {
  const m = /^\s*([a-z]{3,8})-([a-z2-9]{4})\s*$/i.exec(raw);
  if (!m?.[1] || !m[2]) return null;
  return `${m[1].toLowerCase()}-${m[2].toUpperCase()}`;
}

const hashCode = (code: string) => sha256Hex(`moltstack-pairing:${code}`);

export interface StartedPairing {
  code: string;
  url: string;
  expires_at: string;
  key_fingerprint: string;
}

/**
 * POST /agents/@me/pairing: a new code for the bot (its earlier unused codes are dropped). 409 when the
 * bot already has an owner (unpair first). `baseUrl`: the console's origin, for `url`.
 */
export async function startPairing(
  db: Database,
  agentId: string,
  meta: RequestMeta,
  baseUrl = "",
): Promise<StartedPairing> {
  return withActor(db, SYSTEM, async (tx) => {
    const [agent] = await tx
      .select({ publicKey: agents.publicKey, owner: agentOwners.ownerId })
      .from(agents)
      .leftJoin(agentOwners, eq(agentOwners.agentId, agents.id))
      .where(eq(agents.id, agentId))
      .for("update", { of: agents });
    if (!agent) throw new ApiError(404, "not_found", "no such agent");
    if (agent.owner) throw new ApiError(409, "conflict", "this agent already has an owner: unpair first");
    await tx.delete(pairingCodes).where(and(eq(pairingCodes.agentId, agentId), isNull(pairingCodes.usedAt)));
    let code = newPairingCode();
    // a live code with the same hash is astronomically rare; draw again rather than fail
    for (let i = 0; i < 3; i++) {
      const [taken] = await tx
        .select({ id: pairingCodes.id })
        .from(pairingCodes)
        .where(eq(pairingCodes.codeHash, await hashCode(code)));
      if (!taken) break;
      code = newPairingCode();
    }
    const [row] = await tx
      .insert(pairingCodes)
      .values({
        agentId,
        codeHash: await hashCode(code),
        expiresAt: sql`now() + make_interval(secs => ${PAIRING.ttlSeconds})`,
      })
      .returning({ expiresAt: pairingCodes.expiresAt });
    await audit(tx, {
      event: "owner.pairing_started",
      actor: { kind: "agent", id: agentId },
      targetId: agentId,
      ...meta,
    });
    return {
      code,
      url: `${baseUrl}/owner/pair/${code}`,
      expires_at: new Date(row?.expiresAt ?? Date.now()).toISOString(),
      key_fingerprint: await keyFingerprint(agent.publicKey),
    };
  });
}

export interface PairingPreview {
  agent_id: string;
  username: string;
  display_name: string | null;
  key_fingerprint: string;
  expires_at: string;
}

/** 429 while the observer is locked out (too many wrong codes in the window). */
async function assertNotLockedOut(tx: Tx, observerId: string): Promise<void> {
  const r = await tx.execute<{ n: number; oldest: string | null }>(
    sql`select count(*)::int as n, min(created_at) as oldest from audit_log
         where actor_id = ${observerId}::uuid and event = 'owner.pairing_failed'
           and created_at > now() - make_interval(secs => ${PAIRING.failureWindowSeconds})`,
  );
  const row = r.rows[0];
  if ((row?.n ?? 0) >= PAIRING.maxFailures) {
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : Date.now();
    const retry = Math.max(1, Math.ceil((oldest + PAIRING.failureWindowSeconds * 1000 - Date.now()) / 1000));
    throw new ApiError(
      429,
      "rate_limited",
      `too many wrong pairing codes; retry in ${retry}s`,
      { retry_after: retry },
      { "Retry-After": String(retry) },
    );
  }
}

type Looked =
  | { ok: true; codeId: string; agentId: string; expiresAt: Date }
  | { ok: false; reason: "malformed" | "unknown" | "expired" | "used" | "burnt" };

/**
 * Find a live code (as the platform) and count this look against it. Every miss is recorded as an
 * owner.pairing_failed audit entry of the observer (the lockout counts them); the caller throws after the
 * transaction commits so the entry persists.
 */
async function lookCode(tx: Tx, observerId: string, raw: string, meta: RequestMeta): Promise<Looked> {
  // one look at a time per observer: concurrent guesses cannot all pass the lockout check together
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`pairing:${observerId}`}, 0))`);
  await assertNotLockedOut(tx, observerId);
  const code = normalizeCode(raw);
  const fail = async (reason: "malformed" | "unknown" | "expired" | "used" | "burnt"): Promise<Looked> => {
    await audit(tx, {
      event: "owner.pairing_failed",
      actor: observerActor(observerId),
      ...meta,
      detail: { reason },
    });
    return { ok: false, reason };
  };
  if (!code) return fail("malformed");
  const hash = await hashCode(code);
  const [row] = await tx
    .select({
      id: pairingCodes.id,
      agentId: pairingCodes.agentId,
      codeHash: pairingCodes.codeHash,
      expiresAt: pairingCodes.expiresAt,
      usedAt: pairingCodes.usedAt,
      attempts: pairingCodes.attempts,
      live: sql<boolean>`${pairingCodes.expiresAt} > now()`,
    })
    .from(pairingCodes)
    .where(eq(pairingCodes.codeHash, hash))
    .for("update");
  if (!row || !timingSafeEqual(row.codeHash, hash)) return fail("unknown");
  if (row.usedAt) return fail("used");
  if (!row.live) return fail("expired");
  if (row.attempts >= PAIRING.maxLooksPerCode) return fail("burnt");
  await tx
    .update(pairingCodes)
    .set({ attempts: sql`${pairingCodes.attempts} + 1` })
    .where(eq(pairingCodes.id, row.id));
  return { ok: true, codeId: row.id, agentId: row.agentId, expiresAt: row.expiresAt };
}

const notFound = () =>
  new ApiError(
    404,
    "not_found",
    "no such pairing code (unknown, expired, already used or locked): ask the bot for a new one",
  );

/** GET /owners/pairing/:code: which bot this code would pair (the owner checks name and fingerprint). */
export async function previewPairing(
  db: Database,
  observerId: string,
  code: string,
  meta: RequestMeta,
): Promise<PairingPreview> {
  const out = await withActor(db, SYSTEM, async (tx) => {
    const look = await lookCode(tx, observerId, code, meta);
    if (!look.ok) return null;
    const [a] = await tx
      .select({
        id: agents.id,
        username: agents.username,
        displayName: agents.displayName,
        publicKey: agents.publicKey,
        owner: agentOwners.ownerId,
      })
      .from(agents)
      .leftJoin(agentOwners, eq(agentOwners.agentId, agents.id))
      .where(eq(agents.id, look.agentId));
    if (!a) return null;
    if (a.owner) throw new ApiError(409, "conflict", "this bot already has an owner");
    return {
      agent_id: a.id,
      username: a.username,
      display_name: a.displayName,
      key_fingerprint: await keyFingerprint(a.publicKey),
      expires_at: look.expiresAt.toISOString(),
    };
  });
  if (!out) throw notFound();
  return out;
}

export interface ConfirmedPairing {
  agent_id: string;
  username: string;
  display_name: string | null;
  owner_id: string;
  paired_at: string;
  /** for the bot's hub (the route announces it after commit) */
  event: OwnerEvent;
}

/** POST /owners/pairing/:code/confirm: the observer becomes the bot's owner; the code is spent. */
export async function confirmPairing(
  db: Database,
  observerId: string,
  code: string,
  meta: RequestMeta,
): Promise<ConfirmedPairing> {
  const out = await withActor(db, SYSTEM, async (tx) => {
    const look = await lookCode(tx, observerId, code, meta);
    if (!look.ok) return null;
    await tx
      .update(pairingCodes)
      .set({ usedAt: sql`now()`, usedBy: observerId })
      .where(eq(pairingCodes.id, look.codeId));
    const [a] = await tx
      .select({ id: agents.id, username: agents.username, displayName: agents.displayName, status: agents.status })
      .from(agents)
      .where(eq(agents.id, look.agentId))
      .for("update");
    if (a?.status !== "verified") return null;
    const [link] = await tx
      .insert(agentOwners)
      .values({ agentId: a.id, ownerId: observerId })
      .onConflictDoNothing()
      .returning({ pairedAt: agentOwners.pairedAt });
    if (!link) throw new ApiError(409, "conflict", "this bot already has an owner");
    const [o] = await tx.select({ n: observers.displayName }).from(observers).where(eq(observers.id, observerId));
    await audit(tx, {
      event: "owner.paired",
      actor: observerActor(observerId),
      targetId: a.id,
      ...meta,
      detail: { owner_id: observerId },
    });
    const pairedAt = new Date(link.pairedAt).toISOString();
    return {
      agent_id: a.id,
      username: a.username,
      display_name: a.displayName,
      owner_id: observerId,
      paired_at: pairedAt,
      event: {
        type: "owner_paired" as const,
        owner: { id: observerId, display_name: o?.n ?? null },
        by: "owner" as const,
        reason: null,
        created_at: pairedAt,
      },
    };
  });
  if (!out) throw notFound();
  return out;
}
