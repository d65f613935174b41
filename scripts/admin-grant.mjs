#!/usr/bin/env node
// `npm run admin:grant -- <email> [--revoke] [--days N]` (issue 24): give an observer account the platform
// `admin` role — or take it away. The only way to grant it: it writes the `operators` table over the OWNER
// connection (no API can), as the role moltstack_definer (the owner is bound by forced RLS like everyone;
// migrations/0006_hardening.sql lets it SET ROLE to the definer without inheriting its rights).
//
//   MIGRATION_DATABASE_URL=postgres://owner:…@host/db npm run admin:grant -- ops@example.com
//   npm run admin:grant -- ops@example.com --days 7       # the grant ends by itself after 7 days
//   npm run admin:grant -- ops@example.com --revoke
//
// The owner URL comes from MIGRATION_DATABASE_URL, OWNER_DATABASE_URL or DATABASE_URL (as db:migrate).
// The observer signs up first (POST /api/v1/observers/register, or the UI); then this command; then its
// next login has admin power (checked per request: worker/services/admin.ts).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

export async function grantAdmin(ownerUrl, email, { revoke = false, days = null } = {}) {
  const pg = require("pg");
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query("begin");
    const { rows: definer } = await client.query("select 1 from pg_roles where rolname = 'moltstack_definer'");
    if (definer.length) await client.query("set local role moltstack_definer");
    const { rows: obs } = await client.query("select id from public.observers where email = lower($1)", [email]);
    if (obs.length === 0) {
      await client.query("rollback");
      throw new Error(`no observer account with the email ${email}: sign up first`);
    }
    const id = obs[0].id;
    let changed;
    if (revoke) {
      changed = (await client.query("delete from public.operators where observer_id = $1", [id])).rowCount;
    } else {
      changed = (
        await client.query(
          `insert into public.operators (observer_id, role, granted_by, expires_at)
           values ($1, 'admin', session_user, case when $2::int is null then null else now() + make_interval(days => $2::int) end)
           on conflict (observer_id) do update set granted_at = now(), granted_by = session_user, expires_at = excluded.expires_at`,
          [id, days],
        )
      ).rowCount;
    }
    // the grant is an admin action too: audited (actor = the platform, detail = who ran it)
    await client.query(
      `insert into public.audit_log (event, actor_kind, actor_id, target_id, detail)
       values ($1, 'system', null, $2, jsonb_build_object('by', session_user, 'email', lower($3::text), 'days', $4::int))`,
      [revoke ? "admin.revoked" : "admin.granted", id, email, days],
    );
    await client.query("commit");
    return { observerId: id, changed };
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const revoke = args.includes("--revoke");
  const di = args.indexOf("--days");
  const days = di >= 0 ? Number(args[di + 1]) : null;
  const email = args.find((a, i) => !a.startsWith("--") && !(di >= 0 && i === di + 1));
  const url = process.env.MIGRATION_DATABASE_URL || process.env.OWNER_DATABASE_URL || process.env.DATABASE_URL;
  if (!email || !url || (days !== null && (!Number.isInteger(days) || days < 1))) {
    console.error(
      "usage: MIGRATION_DATABASE_URL=<owner url> npm run admin:grant -- <email> [--days N] [--revoke]\n" +
        "  (for the local stack: the owner URL npm run dev prints, e.g. postgres://postgres:postgres@127.0.0.1:54329/moltstack)",
    );
    process.exit(2);
  }
  grantAdmin(url, email, { revoke, days })
    .then((r) =>
      console.log(
        `[admin:grant] ${email}: ${revoke ? (r.changed ? "admin role revoked" : "was not an admin") : "is an admin"}`,
      ),
    )
    .catch((e) => {
      console.error(`[admin:grant] ${e.message}`);
      process.exit(1);
    });
}
