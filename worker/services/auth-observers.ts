// Human observers (issue 3): read-only accounts with email + password. Passwords are PBKDF2-SHA256
// (worker/auth/passwords.ts). Login answers the same 401 for an unknown email and a wrong password, after
// the same KDF work, so neither the message nor the timing says whether an account exists.
import { eq } from "drizzle-orm";
import { observerActor, SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { observers } from "../../common/db/schema";
import { sha256Hex } from "../../common/encoding";
import type { Bindings } from "../../common/env";
import { ApiError, conflict, notFound } from "../../common/errors";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../auth/passwords";
import { audit, type RequestMeta } from "./audit";
import { issueTokens, type TokenPair } from "./auth-tokens";
import { loginGuard } from "./login-guard";

export interface ObserverProfile {
  observer_id: string;
  email: string;
  display_name: string | null;
  created_at: string;
}

const profile = (o: { id: string; email: string; displayName: string | null; createdAt: Date }): ObserverProfile => ({
  observer_id: o.id,
  email: o.email,
  display_name: o.displayName,
  created_at: o.createdAt.toISOString(),
});

const LOGIN_FAILED = "invalid email or password";

export async function registerObserver(
  db: Database,
  input: { email: string; password: string; displayName: string },
  meta: RequestMeta,
): Promise<ObserverProfile> {
  const email = input.email.toLowerCase();
  // hash before opening the transaction: ~100 ms of KDF should not hold a database connection
  const passwordHash = await hashPassword(input.password);
  return withActor(db, SYSTEM, async (tx) => {
    const [existing] = await tx.select({ id: observers.id }).from(observers).where(eq(observers.email, email));
    if (existing) throw conflict("an observer account with this email already exists");
    const [row] = await tx.insert(observers).values({ email, passwordHash, displayName: input.displayName }).returning({
      id: observers.id,
      email: observers.email,
      displayName: observers.displayName,
      createdAt: observers.createdAt,
    });
    if (!row) throw new Error("observer insert returned nothing");
    await audit(tx, { event: "observer.registered", actor: SYSTEM, targetId: row.id, ...meta });
    return profile(row);
  });
}

export type ObserverLogin = TokenPair & { observer_id: string; scope: "observer" };

export async function loginObserver(
  db: Database,
  env: Pick<Bindings, "JWT_SECRET" | "JWT_ISSUER" | "RATE_LIMITER">,
  input: { email: string; password: string },
  meta: RequestMeta,
): Promise<ObserverLogin> {
  const email = input.email.toLowerCase();
  // per account, whatever the IP (issue 15): a locked account answers 429 before any KDF or query,
  // identically whether or not it exists
  const guard = await loginGuard(env, email, meta.ip);
  await guard.check();
  const [found] = await withActor(db, SYSTEM, (tx) =>
    tx
      .select({ id: observers.id, passwordHash: observers.passwordHash })
      .from(observers)
      .where(eq(observers.email, email)),
  );
  // the KDF runs either way (against a hash no password matches when the email is unknown)
  const ok = await verifyPassword(input.password, found?.passwordHash ?? DUMMY_PASSWORD_HASH);
  const outcome = await withActor(db, SYSTEM, async (tx) => {
    if (!found || !ok) {
      await audit(tx, {
        event: "observer.login_failed",
        actor: SYSTEM,
        targetId: found?.id ?? null,
        ...meta,
        // the address is kept as a hash: enough to correlate attempts, not a list of who tried what
        detail: { reason: found ? "bad_password" : "unknown_email", email_sha256: await sha256Hex(email) },
      });
      return null;
    }
    return issueTokens(tx, env, { scope: "observer", id: found.id });
  });
  await guard.record(outcome !== null && found !== undefined);
  if (!outcome || !found) throw new ApiError(401, "unauthorized", LOGIN_FAILED);
  return { observer_id: found.id, ...outcome, scope: "observer" };
}

export async function observerProfile(db: Database, observerId: string): Promise<ObserverProfile> {
  const [row] = await withActor(db, observerActor(observerId), (tx) =>
    tx
      .select({
        id: observers.id,
        email: observers.email,
        displayName: observers.displayName,
        createdAt: observers.createdAt,
      })
      .from(observers)
      .where(eq(observers.id, observerId)),
  );
  if (!row) throw notFound("observer");
  return profile(row);
}
