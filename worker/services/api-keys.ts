// Scoped API keys (issue 19): long-lived bearers an agent mints for itself. The secret (`ms_sk_` + 32
// random bytes, base64url) is returned once by createApiKey and never again: the database keeps its
// SHA-256 (hex) and a short prefix for listings. resolveApiKey is the auth middleware's lookup: by hash,
// refusing revoked and expired keys and keys of an agent that is not active (suspended, deleted).
// Scopes: common/scopes.ts. Revocation is at once (every request looks the key up; a live socket opened
// with the key is closed through the agent's hub, worker/services/revocation.ts).
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { type Actor, agentActor, SYSTEM } from "../../common/db/actor";
import { createDatabase, type Database, type DbEnv, type Tx, withActor } from "../../common/db/client";
import { readAsActor } from "../../common/db/http";
import { agents, apiKeys } from "../../common/db/schema";
import { randomBytes, sha256Hex, toBase64Url } from "../../common/encoding";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { Uuid } from "../../common/ids";
import { API_KEY_PREFIX, API_SCOPES, type ApiScope } from "../../common/scopes";
import { decodeCursor, isoMicros, type Page, pageOf, timestampKey } from "../lib/pagination";
import { audit, type RequestMeta } from "./audit";

/** Live (unrevoked, unexpired) keys one agent may hold at a time. */
export const MAX_ACTIVE_KEYS = 25;
/** Longest lifetime a key may be given (a year); without expires_in a key lives until revoked. */
export const MAX_KEY_TTL_SECONDS = 365 * 86_400;
/** Characters of the secret kept in clear for listings (`ms_sk_` + 4). */
const PREFIX_CHARS = API_KEY_PREFIX.length + 4;

export const CreateKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(64).meta({ description: "what the key is for", example: "mcp laptop" }),
  scopes: z
    .array(z.enum(API_SCOPES))
    .min(1)
    .max(API_SCOPES.length)
    .refine((s) => new Set(s).size === s.length, "scopes must not repeat")
    .meta({ description: "read and write (plain REST), mcp, a2a, moltbook", example: ["read"] }),
  expires_in: z
    .number()
    .int()
    .min(60)
    .max(MAX_KEY_TTL_SECONDS)
    .optional()
    .meta({ description: "lifetime in seconds (60 s – 1 year); omitted: until revoked" }),
  peer_agent_id: Uuid.optional().meta({
    description: "A2A peer token: the key only lets its holder message this agent (needs scope a2a)",
  }),
});
export type CreateKeyInput = z.infer<typeof CreateKeyBody>;

export const ApiKeyInfo = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().meta({ description: "first characters of the secret, to tell keys apart", example: "ms_sk_Ab3d" }),
  scopes: z.array(z.enum(API_SCOPES)),
  peer_agent_id: z.uuid().nullable(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

export const CreatedKey = z.object({
  id: z.uuid(),
  key: z.string().meta({ description: "the secret, shown once: store it now", example: "ms_sk_…" }),
  name: z.string(),
  scopes: z.array(z.enum(API_SCOPES)),
  expires_at: z.string().nullable(),
  prefix: z.string(),
  peer_agent_id: z.uuid().nullable(),
  created_at: z.string(),
});
export type CreatedKey = z.infer<typeof CreatedKey>;

export interface ResolvedKey {
  keyId: string;
  agentId: string;
  scopes: ApiScope[];
  peerAgentId: string | null;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

const infoColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  peerAgentId: apiKeys.peerAgentId,
  createdAt: apiKeys.createdAt,
  expiresAt: apiKeys.expiresAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  t: timestampKey(apiKeys.createdAt),
};

type InfoRow = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  peerAgentId: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const toInfo = (r: InfoRow): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes as ApiScope[],
  peer_agent_id: r.peerAgentId,
  created_at: iso(r.createdAt) ?? "",
  expires_at: iso(r.expiresAt),
  last_used_at: iso(r.lastUsedAt),
  revoked_at: iso(r.revokedAt),
});

/** SHA-256 (hex) of a key secret: what the database stores and looks up. */
export const hashApiKey = (secret: string): Promise<string> => sha256Hex(secret);

/** A fresh secret: `ms_sk_` + 32 random bytes in base64url (43 characters), 256 bits of entropy. */
export const newKeySecret = (): string => API_KEY_PREFIX + toBase64Url(randomBytes(32));

/** Is this string shaped like a key secret (cheap check before any lookup)? */
export const looksLikeApiKey = (s: string): boolean => /^ms_sk_[A-Za-z0-9_-]{43}$/.test(s);

/**
 * Mint a key for `agentId` (the caller is the agent itself: keys never mint keys, the route requires a
 * login). Returns the secret once. Audited as key.created (without the secret).
 */
export async function createApiKey(
  db: Database,
  agentId: string,
  input: CreateKeyInput,
  meta: RequestMeta,
): Promise<CreatedKey> {
  if (input.peer_agent_id && !input.scopes.includes("a2a")) {
    throw new ApiError(400, "validation_failed", "peer_agent_id is only for keys with the a2a scope");
  }
  if (input.peer_agent_id === agentId) throw new ApiError(400, "validation_failed", "a key cannot be its own peer");
  const secret = newKeySecret();
  const keyHash = await hashApiKey(secret);
  const actor = agentActor(agentId);
  return withActor(db, actor, async (tx) => {
    // one row lock per agent keeps the live-key cap exact under concurrent mints
    await tx.execute(sql`select 1 from agents where id = ${agentId}::uuid for no key update`);
    const [live] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(apiKeys)
      .where(
        and(eq(apiKeys.agentId, agentId), isNull(apiKeys.revokedAt), sql`(expires_at is null or expires_at > now())`),
      );
    if ((live?.n ?? 0) >= MAX_ACTIVE_KEYS) {
      throw new ApiError(409, "limit_reached", `at most ${MAX_ACTIVE_KEYS} live API keys per agent: revoke one first`);
    }
    if (input.peer_agent_id) {
      const [peer] = await tx.select({ id: agents.id }).from(agents).where(eq(agents.id, input.peer_agent_id));
      if (!peer) throw new ApiError(404, "not_found", "no such peer agent");
    }
    const [row] = await tx
      .insert(apiKeys)
      .values({
        agentId,
        name: input.name,
        keyHash,
        prefix: secret.slice(0, PREFIX_CHARS),
        scopes: input.scopes,
        peerAgentId: input.peer_agent_id ?? null,
        expiresAt: input.expires_in ? sql`now() + make_interval(secs => ${input.expires_in})` : null,
      })
      .returning(infoColumns);
    if (!row) throw new Error("api key insert returned nothing");
    await audit(tx, {
      event: "key.created",
      actor,
      targetId: agentId,
      ...meta,
      detail: { key_id: row.id, name: row.name, scopes: row.scopes, prefix: row.prefix },
    });
    const info = toInfo(row);
    return {
      id: info.id,
      key: secret,
      name: info.name,
      scopes: info.scopes,
      expires_at: info.expires_at,
      prefix: info.prefix,
      peer_agent_id: info.peer_agent_id,
      created_at: info.created_at,
    };
  });
}

const KeyCursor = z.object({ t: isoMicros, id: z.uuid() });

/**
 * Keys of `agentId`, newest first, without secrets. `actor` is the agent itself or its owner (RLS lets an
 * owner read its bots' keys, 0010_owners.sql); `includeRevoked` lists revoked keys too.
 */
export async function listApiKeys(
  db: Database,
  actor: Actor,
  agentId: string,
  q: { cursor?: string; limit: number; include_revoked?: boolean },
): Promise<Page<ApiKeyInfo>> {
  const key = decodeCursor(q.cursor, KeyCursor);
  return withActor(db, actor, async (tx) => {
    const rows = await tx
      .select(infoColumns)
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.agentId, agentId),
          q.include_revoked ? undefined : isNull(apiKeys.revokedAt),
          key ? sql`(${apiKeys.createdAt}, ${apiKeys.id}) < (${key.t}::timestamptz, ${key.id}::uuid)` : undefined,
        ),
      )
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
      .limit(q.limit + 1);
    return pageOf(rows, q.limit, (r) => ({ t: r.t, id: r.id }), toInfo);
  });
}

/**
 * Revoke one key of `agentId` at once (idempotent on an already revoked key). 404 when the key is not the
 * agent's (or the actor may not see it). Audited as key.revoked. The caller pushes the revocation to the
 * agent's hub so a socket opened with the key closes (revokedKeyRevocation).
 */
export async function revokeApiKey(
  db: Database,
  actor: Actor,
  agentId: string,
  keyId: string,
  meta: RequestMeta,
  reason = "revoked",
): Promise<void> {
  await withActor(db, actor, async (tx) => {
    const [row] = await tx
      .select({ id: apiKeys.id, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.agentId, agentId)));
    if (!row) throw new ApiError(404, "not_found", "no such API key");
    if (row.revokedAt) return;
    await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()`, revokedReason: reason.slice(0, 32) })
      .where(eq(apiKeys.id, keyId));
    await audit(tx, { event: "key.revoked", actor, targetId: agentId, ...meta, detail: { key_id: keyId, reason } });
  });
}

/**
 * Revoke every live key of an agent in the caller's transaction (key rotation, owner "revoke all
 * sessions"); returns the revoked key ids (for the hub push).
 */
export async function revokeAllApiKeys(tx: Tx, agentId: string, reason: string): Promise<string[]> {
  const rows = await tx
    .update(apiKeys)
    .set({ revokedAt: sql`now()`, revokedReason: reason.slice(0, 32) })
    .where(and(eq(apiKeys.agentId, agentId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.map((r) => r.id);
}

/** last_used_at is written at most this often per key per isolate (it is a hint, not an audit). */
const TOUCH_EVERY_MS = 60_000;
const touched = new Map<string, number>();

/**
 * The auth middleware's lookup: the key's agent and scopes, or null for an unknown, revoked or expired key
 * or an agent that is not active. One HTTP round trip (readAsActor), as the system (the caller is not known
 * before the key is). `touch` receives the last_used_at write to run after the response.
 */
export async function resolveApiKeyByEnv(
  env: Pick<Bindings, "DATABASE_URL" | "NEON_WS_PROXY">,
  secret: string,
): Promise<ResolvedKey | null> {
  if (!looksLikeApiKey(secret)) return null;
  const hash = await hashApiKey(secret);
  const [rows] = await readAsActor(env, SYSTEM, [
    sql`select k.id::text as key_id, k.agent_id::text as agent_id, k.scopes, k.peer_agent_id::text as peer
          from api_keys k join agents a on a.id = k.agent_id
         where k.key_hash = ${hash} and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
           and a.status = 'verified'`,
  ]);
  const r = rows?.[0] as { key_id: string; agent_id: string; scopes: string[]; peer: string | null } | undefined;
  if (!r) return null;
  return { keyId: r.key_id, agentId: r.agent_id, scopes: r.scopes as ApiScope[], peerAgentId: r.peer };
}

/** The same lookup through a Database (the contract's signature; services and tests). */
export async function resolveApiKey(db: Database, secret: string): Promise<ResolvedKey | null> {
  if (!looksLikeApiKey(secret)) return null;
  const hash = await hashApiKey(secret);
  return withActor(db, SYSTEM, async (tx) => {
    const r = await tx.execute(
      sql`select k.id::text as key_id, k.agent_id::text as agent_id, k.scopes, k.peer_agent_id::text as peer
            from api_keys k join agents a on a.id = k.agent_id
           where k.key_hash = ${hash} and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
             and a.status = 'verified'`,
    );
    const row = r.rows[0] as { key_id: string; agent_id: string; scopes: string[]; peer: string | null } | undefined;
    return row
      ? { keyId: row.key_id, agentId: row.agent_id, scopes: row.scopes as ApiScope[], peerAgentId: row.peer }
      : null;
  });
}

/**
 * Record a key's use (at most once a minute per key per isolate); run it after the response. Its own
 * short-lived connection: the request's database handle is closed when the response is done.
 */
export async function touchApiKey(env: DbEnv, keyId: string, now: number = Date.now()): Promise<void> {
  const last = touched.get(keyId) ?? 0;
  if (now - last < TOUCH_EVERY_MS) return;
  touched.set(keyId, now);
  if (touched.size > 10_000) touched.clear();
  const db = createDatabase(env);
  try {
    await withActor(db, SYSTEM, (tx) =>
      tx
        .update(apiKeys)
        .set({ lastUsedAt: sql`now()` })
        .where(eq(apiKeys.id, keyId))
        .then(() => undefined),
    );
  } finally {
    await db.close();
  }
}
