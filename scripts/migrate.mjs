// `npm run db:migrate`: applies migrations/*.sql in order, each once, each in its own transaction.
// The same command for dev, tests and Neon: DATABASE_URL must be the *owner* connection string
// (migrations create tables, policies and the moltstack_app role). If MOLTSTACK_APP_PASSWORD is set, the
// app role is given LOGIN with that password (its connection string then goes into the Worker's secret).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const pg = require("pg");
const here = path.dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = path.join(here, "..", "migrations");

export function listMigrations(dir = MIGRATIONS_DIR) {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort();
}

export async function migrate(databaseUrl, { appPassword, log = console.log, dir = MIGRATIONS_DIR } = {}) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // one migrator at a time, even when two dev stacks share a database
    await client.query("select pg_advisory_lock(hashtext('moltstack_migrations'))");
    await client.query(`create table if not exists public.moltstack_migrations (
      name text primary key, applied_at timestamptz not null default now())`);
    // the bookkeeping table is not app data, but RLS is on (and forced) everywhere, without exception;
    // its one policy lets the migrating role (the owner) read and write it, and no one else
    await client.query("alter table public.moltstack_migrations enable row level security");
    await client.query("alter table public.moltstack_migrations force row level security");
    const { rowCount: hasPolicy } = await client.query(
      "select 1 from pg_policies where schemaname = 'public' and tablename = 'moltstack_migrations' and policyname = 'moltstack_migrations_owner'",
    );
    if (!hasPolicy) {
      await client.query(
        "create policy moltstack_migrations_owner on public.moltstack_migrations for all to current_user using (true) with check (true)",
      );
    }
    const done = new Set((await client.query("select name from public.moltstack_migrations")).rows.map((r) => r.name));
    const applied = [];
    for (const file of listMigrations(dir)) {
      if (done.has(file)) continue;
      const body = fs.readFileSync(path.join(dir, file), "utf8").replaceAll("--> statement-breakpoint", "");
      await client.query("begin");
      try {
        await client.query(body);
        await client.query("insert into public.moltstack_migrations(name) values ($1)", [file]);
        await client.query("commit");
      } catch (e) {
        await client.query("rollback");
        throw new Error(`migration ${file} failed: ${e.message}`);
      }
      applied.push(file);
      log(`[migrate] applied ${file}`);
    }
    if (appPassword) {
      await client.query(`alter role moltstack_app login password ${client.escapeLiteral(appPassword)}`);
    }
    await client.query("select pg_advisory_unlock(hashtext('moltstack_migrations'))");
    return applied;
  } finally {
    await client.end();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      "DATABASE_URL (the owner connection string) is required, e.g.\n  DATABASE_URL=postgres://owner:pw@host/db npm run db:migrate",
    );
    process.exit(2);
  }
  migrate(url, { appPassword: process.env.MOLTSTACK_APP_PASSWORD })
    .then((a) => console.log(`[migrate] ${a.length} migration(s) applied, database is current`))
    .catch((e) => {
      console.error(`[migrate] ${e.message}`);
      process.exit(1);
    });
}
