#!/usr/bin/env node
// `npm run deploy` (issue 24): one command from a clean clone to a running platform, in this order, each
// step stopping the deploy when it fails:
//   1. build the observer UI (web/dist is git-ignored: without this step wrangler ships no or a stale UI);
//   2. check the production configuration: wrangler.toml declares every binding (Queue + DLQ, Durable
//      Object migrations, Analytics Engine, assets, cron), the required secrets are present (names from
//      `wrangler secret list`; in --dry-run from --secrets-file), no secret holds a development value (the
//      Worker's own rule, worker/lib/config.ts, bundled on the fly so there is one rule), and the app's
//      database role is not the owner and cannot bypass RLS (pg_roles, read over the owner connection);
//   3. apply migrations with the `db:migrate` code (scripts/migrate.mjs) over the owner connection;
//   4. `wrangler deploy` (--dry-run: `wrangler deploy --dry-run --outdir`, which builds and checks the
//      bundle and bindings but uploads nothing).
// In --dry-run every step runs but the upload and the migrations (pending ones are listed instead); a
// check that needs something not given (no owner URL, no secrets file) is reported as skipped, never as
// passed. See docs/DEPLOY.md.
//
// Usage: npm run deploy -- [--dry-run] [--owner-url URL] [--secrets-file FILE] [--app-role NAME]
//                          [--outdir DIR] [--skip-build]
// The owner URL may also come from MIGRATION_DATABASE_URL (or OWNER_DATABASE_URL).
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { listMigrations, migrate } from "./migrate.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Secrets the Worker cannot serve without (common/env.ts Secrets). */
export const REQUIRED_SECRETS = ["DATABASE_URL", "JWT_SECRET", "WEBHOOK_AUTH_KEY"];
/** Secrets the ops dashboard's production query adapter needs (docs/OPERATIONS.md); warned about, not required. */
export const OPTIONAL_SECRETS = ["CF_ACCOUNT_ID", "CF_ANALYTICS_TOKEN"];
/** Secrets that must never be set in production (local-stack settings). */
export const FORBIDDEN_SECRETS = ["NEON_WS_PROXY", "ALLOW_LOOPBACK_WEBHOOKS"];

/** What wrangler.toml must declare, as [label, regex]. */
export const REQUIRED_DECLARATIONS = [
  ["webhooks Queue producer", /\[\[queues\.producers\]\][^[]*queue\s*=\s*"moltstack-webhooks"/],
  [
    "webhooks Queue consumer with its dead-letter queue",
    /\[\[queues\.consumers\]\][^[]*dead_letter_queue\s*=\s*"moltstack-webhooks-dlq"/,
  ],
  ["dead-letter Queue consumer", /\[\[queues\.consumers\]\][^[]*queue\s*=\s*"moltstack-webhooks-dlq"/],
  ["Durable Object migrations", /\[\[migrations\]\][^[]*new_sqlite_classes\s*=\s*\[[^\]]*"ChannelRoom"/],
  [
    "relay tier Durable Object migration (issue 25)",
    /\[\[migrations\]\][^[]*new_sqlite_classes\s*=\s*\[[^\]]*"ChannelRelay"/,
  ],
  ["Analytics Engine dataset binding METRICS", /\[\[analytics_engine_datasets\]\][^[]*binding\s*=\s*"METRICS"/],
  ["static assets (web/dist)", /\[assets\][^[]*directory\s*=\s*"\.\/web\/dist"/],
  ["cron triggers", /\[triggers\][^[]*crons\s*=\s*\[/],
  ['ENVIRONMENT = "production"', /\[vars\][^[]*ENVIRONMENT\s*=\s*"production"/],
];

export function parseArgs(argv) {
  const opts = { dryRun: false, skipBuild: false, appRole: "moltstack_app" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--dry-run") opts.dryRun = true;
    else if (a === "--skip-build") opts.skipBuild = true;
    else if (a === "--owner-url") opts.ownerUrl = val();
    else if (a === "--secrets-file") opts.secretsFile = val();
    else if (a === "--app-role") opts.appRole = val();
    else if (a === "--outdir") opts.outdir = val();
    else throw new Error(`unknown option ${a}`);
  }
  opts.ownerUrl ??= process.env.MIGRATION_DATABASE_URL || process.env.OWNER_DATABASE_URL || undefined;
  return opts;
}

/** KEY=VALUE lines (the .dev.vars format); # comments and blank lines ignored, optional quotes removed. */
export function parseSecretsFile(text) {
  const out = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith("#")) continue;
    out[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

/** Problems with wrangler.toml's declarations (pure). */
export function tomlProblems(toml) {
  return REQUIRED_DECLARATIONS.filter(([, re]) => !re.test(toml)).map(([label]) => `wrangler.toml lacks ${label}`);
}

/** Problems with the set of secret names (pure). */
export function secretNameProblems(names) {
  const have = new Set(names);
  const problems = REQUIRED_SECRETS.filter((n) => !have.has(n)).map((n) => `secret ${n} is not set`);
  for (const n of FORBIDDEN_SECRETS) if (have.has(n)) problems.push(`secret ${n} is a local-stack setting: delete it`);
  return problems;
}

/** The Worker's own production rule (worker/lib/config.ts), bundled with esbuild so this script cannot drift. */
async function loadConfigProblems() {
  const esbuild = require("esbuild");
  const out = await esbuild.build({
    entryPoints: [path.join(root, "worker/lib/config.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    logLevel: "silent",
  });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-deploy-")), "config.mjs");
  fs.writeFileSync(file, out.outputFiles[0].text);
  return (await import(pathToFileURL(file).href)).configProblems;
}

/** The app role's safety, read over the owner connection (pg_roles, table ownership). */
export async function roleProblems(ownerUrl, appRole) {
  const pg = require("pg");
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const problems = [];
    const { rows: me } = await client.query("select current_user as name");
    if (me[0].name === appRole) problems.push(`the owner URL connects as the app role ${appRole}`);
    const { rows } = await client.query("select rolsuper, rolbypassrls, rolcanlogin from pg_roles where rolname = $1", [
      appRole,
    ]);
    if (rows.length === 0) {
      problems.push(`role ${appRole} does not exist yet (the first migration creates it; run without --dry-run)`);
      return problems;
    }
    if (rows[0].rolsuper) problems.push(`${appRole} is a superuser`);
    if (rows[0].rolbypassrls) problems.push(`${appRole} has BYPASSRLS`);
    const { rows: owned } = await client.query(
      "select count(*)::int as n from pg_tables where schemaname = 'public' and tableowner = $1",
      [appRole],
    );
    if (owned[0].n > 0) problems.push(`${appRole} owns ${owned[0].n} table(s): RLS would not bind it`);
    const { rows: member } = await client.query(
      "select count(*)::int as n from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = $1 and (r.rolsuper or r.rolbypassrls or r.rolname = 'moltstack_definer')",
      [appRole],
    );
    if (member[0].n > 0) problems.push(`${appRole} is a member of a privileged role`);
    return problems;
  } finally {
    await client.end();
  }
}

async function pendingMigrations(ownerUrl) {
  const pg = require("pg");
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query("select to_regclass('public.moltstack_migrations') is not null as has");
    const done = rows[0].has
      ? new Set((await client.query("select name from public.moltstack_migrations")).rows.map((r) => r.name))
      : new Set();
    return listMigrations().filter((f) => !done.has(f));
  } finally {
    await client.end();
  }
}

function wranglerBin() {
  const local = path.join(root, "node_modules", ".bin", "wrangler");
  return fs.existsSync(local) ? local : "wrangler";
}

function run(cmd, args, label) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status ?? r.signal})`);
}

export async function deploy(opts, log = console.log) {
  const skipped = [];
  const step = (n, s) => log(`[deploy] ${n}. ${s}`);

  step(1, "build the observer UI (web/dist)");
  if (opts.skipBuild) skipped.push("UI build (--skip-build)");
  else run(path.join(root, "node_modules", ".bin", "vite"), ["build", "--config", "web/vite.config.ts"], "UI build");
  if (!opts.skipBuild && !fs.existsSync(path.join(root, "web/dist/index.html"))) {
    throw new Error("the UI build produced no web/dist/index.html");
  }

  step(2, "check the production configuration");
  const problems = tomlProblems(fs.readFileSync(path.join(root, "wrangler.toml"), "utf8"));
  let secrets = null;
  if (opts.secretsFile) {
    secrets = parseSecretsFile(fs.readFileSync(path.resolve(opts.secretsFile), "utf8"));
    problems.push(...secretNameProblems(Object.keys(secrets)));
  } else if (!opts.dryRun) {
    const out = execFileSync(wranglerBin(), ["secret", "list", "--format", "json"], { cwd: root, encoding: "utf8" });
    const names = JSON.parse(out).map((s) => s.name);
    problems.push(...secretNameProblems(names));
    for (const n of OPTIONAL_SECRETS)
      if (!names.includes(n)) log(`[deploy]    note: ${n} not set (the ops dashboard's production metrics need it)`);
  } else {
    skipped.push("secret presence (dry-run without --secrets-file)");
  }
  if (secrets) {
    const configProblems = await loadConfigProblems();
    // production vars from wrangler.toml + the given secrets: the same check the Worker runs on its first request
    problems.push(...configProblems({ ...secrets, ENVIRONMENT: "production" }).map((p) => `config: ${p}`));
  } else {
    skipped.push(
      "secret values (no dev values): wrangler cannot read secret values back; give --secrets-file to check them",
    );
  }
  if (opts.ownerUrl) {
    problems.push(
      ...(await roleProblems(opts.ownerUrl, opts.appRole)).filter(
        (p) => !(opts.dryRun && /does not exist yet/.test(p)),
      ),
    );
  } else if (opts.dryRun) {
    skipped.push("database role (app role not owner, no BYPASSRLS): no owner URL");
  } else {
    throw new Error("the owner connection string is required: --owner-url or MIGRATION_DATABASE_URL");
  }
  if (problems.length > 0) {
    for (const p of problems) log(`[deploy]    ✗ ${p}`);
    throw new Error(`${problems.length} configuration problem(s); nothing was deployed`);
  }
  log("[deploy]    configuration ok");

  step(3, "apply migrations (db:migrate) over the owner connection");
  if (!opts.ownerUrl) skipped.push("migrations: no owner URL");
  else if (opts.dryRun) {
    const pending = await pendingMigrations(opts.ownerUrl);
    log(
      `[deploy]    dry-run: ${pending.length} pending migration(s)${pending.length ? `: ${pending.join(", ")}` : ""}`,
    );
  } else {
    const applied = await migrate(opts.ownerUrl, { log });
    log(`[deploy]    ${applied.length} migration(s) applied`);
    // the role check again: a first deploy creates the role in the migrations above
    const after = await roleProblems(opts.ownerUrl, opts.appRole);
    if (after.length > 0) throw new Error(`after migrating: ${after.join("; ")}`);
  }

  step(4, opts.dryRun ? "wrangler deploy --dry-run (no upload)" : "wrangler deploy");
  const outdir = opts.outdir ?? path.join(os.tmpdir(), "moltstack-deploy-dry-run");
  run(wranglerBin(), opts.dryRun ? ["deploy", "--dry-run", "--outdir", outdir] : ["deploy"], "wrangler deploy");

  for (const s of skipped) log(`[deploy]    skipped: ${s}`);
  log(opts.dryRun ? "[deploy] dry-run complete: nothing uploaded, no migration applied" : "[deploy] deployed");
  return { skipped };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`[deploy] ${e.message}`);
    process.exit(2);
  }
  deploy(opts).catch((e) => {
    console.error(`[deploy] ${e.message}`);
    process.exit(1);
  });
}
