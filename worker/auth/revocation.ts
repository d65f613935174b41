// Revocation that revokes (issue 15, item 3). Access tokens are stateless 15-minute JWTs, so a revoked
// login (refresh-token reuse, logout, logout everywhere, suspension; later: owner pause and key rotation)
// must be looked up: every authenticated request and socket upgrade asks "is this token's family revoked,
// is its subject still active?" (assertTokenLive).
//
// The answer comes from Postgres (token_families.revoked_at, agents.status): one HTTP round trip per
// subject, cached in the isolate for REVOCATION_CACHE_MS. Only families revoked within the access-token
// lifetime matter (older ones cannot have an unexpired token), so the cached list is short. A revocation
// made in this isolate updates its cache at once (rememberRevocation); other isolates see it within
// REVOCATION_CACHE_MS. Sockets do not wait for either: the revoking code pushes the revocation to the
// agent's hub, which closes its sockets and those of the channels it is connected to with 4001
// (worker/services/revocation.ts). Hot path: a cache hit is a Map lookup.
import { sql } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { readAsActor } from "../../common/db/http";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import type { AccessClaims, TokenScope } from "./tokens";

/** How long an isolate trusts what it read about a subject (the bound on "revoked elsewhere"). */
export const REVOCATION_CACHE_MS = 3_000;
/** Revoked families older than an access token's lifetime (plus a minute of skew) cannot matter. */
export const REVOCATION_WINDOW_SECONDS = LIMITS.accessTokenSeconds + 60;
/** Subjects remembered per isolate (the oldest are dropped beyond it). */
export const REVOCATION_CACHE_ENTRIES = 10_000;

/** One revocation, as the revoking code reports it. */
export interface Revocation {
  scope: TokenScope;
  subject: string;
  /** the families revoked (empty: none, e.g. an agent suspended without a login) */
  families: readonly string[];
  /** the subject itself is no longer active (suspended, paused): every token and socket of it dies */
  inactive?: boolean;
  /** close every socket of the subject, whatever login opened it (logout everywhere) */
  allSockets?: boolean;
  /** audit-style reason, for logs: reuse, logout, logout_all, suspended, paused, key_rotation */
  reason: string;
}

interface Standing {
  at: number;
  active: boolean;
  revoked: Set<string>;
}

const cache = new Map<string, Standing>();
const loading = new Map<string, Promise<Standing>>();
const keyOf = (scope: TokenScope, id: string) => `${scope}:${id}`;

function put(key: string, s: Standing): void {
  cache.delete(key);
  cache.set(key, s);
  if (cache.size > REVOCATION_CACHE_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}

async function load(env: Pick<Bindings, "DATABASE_URL" | "NEON_WS_PROXY">, scope: TokenScope, id: string) {
  const [rows] = await readAsActor(env, SYSTEM, [
    scope === "agent"
      ? sql`select (select status = 'verified' from agents where id = ${id}::uuid) as active,
               array(select f.id::text from token_families f where f.agent_id = ${id}::uuid
                     and f.revoked_at > now() - make_interval(secs => ${REVOCATION_WINDOW_SECONDS})) as revoked`
      : sql`select exists (select 1 from observers where id = ${id}::uuid) as active,
               array(select f.id::text from token_families f where f.observer_id = ${id}::uuid
                     and f.revoked_at > now() - make_interval(secs => ${REVOCATION_WINDOW_SECONDS})) as revoked`,
  ]);
  const r = rows?.[0] as { active: boolean | null; revoked: string[] | null } | undefined;
  return { active: r?.active === true, revoked: new Set(r?.revoked ?? []) };
}

/** What this isolate knows about a subject, read afresh when older than REVOCATION_CACHE_MS. */
async function standingOf(
  env: Pick<Bindings, "DATABASE_URL" | "NEON_WS_PROXY">,
  scope: TokenScope,
  id: string,
  now: number,
): Promise<Standing> {
  const key = keyOf(scope, id);
  const hit = cache.get(key);
  if (hit && now - hit.at < REVOCATION_CACHE_MS) return hit;
  let p = loading.get(key);
  if (!p) {
    p = load(env, scope, id)
      .then((s) => {
        const fresh = { at: now, ...s };
        // a revocation remembered while the read was in flight wins over what the read saw
        const mid = cache.get(key);
        if (mid && mid.at > now) {
          for (const f of mid.revoked) fresh.revoked.add(f);
          fresh.active &&= mid.active;
        }
        put(key, fresh);
        return fresh;
      })
      .finally(() => loading.delete(key));
    loading.set(key, p);
  }
  return p;
}

/**
 * Refuse (401) a token whose subject is no longer active or whose family was revoked. Call after the
 * signature check, before anything acts on the token (worker/middleware/auth.ts, worker/routes/ws.ts).
 */
export async function assertTokenLive(
  env: Pick<Bindings, "DATABASE_URL" | "NEON_WS_PROXY">,
  claims: AccessClaims,
  now: number = Date.now(),
): Promise<void> {
  const s = await standingOf(env, claims.scope, claims.sub, now);
  if (!s.active) {
    throw new ApiError(
      401,
      "unauthorized",
      claims.scope === "agent" ? "the token's agent is not active" : "the token's observer account is gone",
    );
  }
  if (claims.fam && s.revoked.has(claims.fam)) {
    throw new ApiError(401, "unauthorized", "access token revoked (logout, refresh-token reuse or suspension)");
  }
}

/**
 * Issue 25: what this isolate already knows, without a read: true when its cache (whatever its age) says
 * the subject is inactive or the token's family revoked. A channel socket upgrade asks only this; the
 * channel object decides the rest from its membership read, which carries the same facts (status,
 * revoked families) and is at most REVOCATION_CACHE_MS old for a connect (durable-objects/channel/access.ts).
 */
export function knownRevoked(claims: AccessClaims): boolean {
  const s = cache.get(keyOf(claims.scope, claims.sub));
  if (!s) return false;
  return !s.active || (!!claims.fam && s.revoked.has(claims.fam));
}

/** A revocation made in this isolate: its cache knows at once (other isolates within the cache TTL). */
export function rememberRevocation(r: Revocation, now: number = Date.now()): void {
  const key = keyOf(r.scope, r.subject);
  const prev = cache.get(key);
  const revoked = new Set(prev?.revoked ?? []);
  for (const f of r.families) revoked.add(f);
  // stamped a little in the future so an in-flight read that started before it cannot overwrite it
  put(key, { at: now + 1, active: (prev?.active ?? true) && !r.inactive, revoked });
}

/** Tests: forget everything this isolate remembers. */
export function clearRevocationCache(): void {
  cache.clear();
}
