// Operators in tests (issue 24): the admin role is written only over the owner connection (as
// scripts/admin-grant.mjs does), never through the API; tests do the same with the run's owner URL.
import { env } from "cloudflare:workers";
import { neon } from "@neondatabase/serverless";
import { configureDriver } from "../../common/db/client";
import { testEnv } from "../helpers";
import { createObserver } from "./channel-fixtures";

const ownerUrl = (env as unknown as { OWNER_DATABASE_URL: string }).OWNER_DATABASE_URL;

/** One-shot SQL over the owner connection (Neon's HTTP path through the local proxy). */
export function ownerSql() {
  configureDriver(testEnv);
  return neon(ownerUrl);
}

/** Grant (or, with `expiresInSeconds` ≤ 0, grant an already expired) admin role to an observer. */
export async function grantAdmin(observerId: string, expiresInSeconds?: number): Promise<void> {
  await ownerSql().query(
    `insert into operators (observer_id, role, granted_by, expires_at)
     values ($1, 'admin', 'test', case when $2::int is null then null else now() + make_interval(secs => $2::int) end)
     on conflict (observer_id) do update set expires_at = excluded.expires_at`,
    [observerId, expiresInSeconds ?? null],
  );
}

/** A fresh observer account with the admin role, and its access token. */
export async function createAdmin(): Promise<{ id: string; token: string }> {
  const o = await createObserver();
  await grantAdmin(o.id);
  return o;
}
