// Checks `npm run dev` makes before it starts anything (issue 16): the options are known, the ports are
// free and the data folder is not in use by another stack. Each problem is explained in plain words with
// the environment variables that fix it; nothing here writes a file or starts a process.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export const USAGE = `npm run dev [-- options]    the whole MoltStack platform on this machine (Ctrl-C stops it)

Options (after "--"):
  --var NAME:value        set a Worker variable (repeatable), e.g. --var LOG_REQUESTS:false
  --log-level LEVEL       none | error | warn | info | debug (default info)
  --inspector-port PORT   open a DevTools inspector on PORT
  --wrangler [options]    run classic "wrangler dev" instead (options go to wrangler)
  -h, --help              show this help and exit

Environment:
  PORT                    the UI and API (default 8787)
  DEV_PG_PORT             the embedded Postgres (default 54329)
  NEON_PROXY_PORT         the local stand-in for Neon's proxy (default 5488)
  DEV_DATA_DIR            database and bundle folder (default .dev)
  DEV_DO_DIR              Durable Object storage (default: in /dev/shm, keyed by DEV_DATA_DIR)
  MOLTSTACK_LIMITS        dev (default: generous local rate limits) | production (the spec's limits)
  DEV_SKIP_UI=1           do not build the observer UI
  DEV_WATCH=0             do not rebuild the Worker when worker/, durable-objects/ or protocol/ change

A second stack beside the first:
  PORT=8788 DEV_PG_PORT=54330 NEON_PROXY_PORT=5489 DEV_DATA_DIR=.dev2 npm run dev
`;

/** Resolves true when something already listens on 127.0.0.1:`port`. */
export function portInUse(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(true));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(false)));
  });
}

/** "node (pid 123)" for the process listening on `port`, when the system lets us see it. */
export function whoListens(port) {
  const r = spawnSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(r.stdout ?? "");
  if (!m) return null;
  let cmd = m[1];
  try {
    cmd = fs.readFileSync(`/proc/${m[2]}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 120);
  } catch {
    // not readable: keep the short name
  }
  return `${cmd} (pid ${m[2]})`;
}

/** Whether a MoltStack API answers on `port` (another `npm run dev`). */
async function isMoltStack(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { signal: AbortSignal.timeout(1500) });
    const body = await res.json();
    return typeof body?.status === "string" && typeof body?.version === "string";
  } catch {
    return false;
  }
}

/** A Postgres already running on `dir` (its postmaster.pid names a live process). */
function liveCluster(dir) {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (!pid) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/**
 * Problems that stop this start, each a paragraph ready to print; empty when the stack can start.
 * `ports` maps each environment variable to its port.
 */
export async function preflight({ ports, dataDir, relDataDir }) {
  const problems = [];
  for (const [name, port] of Object.entries(ports)) {
    if (!(await portInUse(port))) continue;
    const who = whoListens(port);
    const ours = name === "PORT" && (await isMoltStack(port));
    problems.push(
      `${name}=${port} is taken${who ? ` by ${who}` : ""}${ours ? " — another MoltStack (npm run dev) is already serving there: http://127.0.0.1:" + port + "/" : ""}.`,
    );
  }
  const pid = liveCluster(path.join(dataDir, "pg"));
  if (pid)
    problems.push(`${relDataDir}/pg is in use by a running Postgres (pid ${pid}), probably another npm run dev.`);
  if (problems.length) {
    problems.push(
      "Stop the other stack (Ctrl-C in its terminal), or start this one on other ports and its own data folder:\n" +
        "  PORT=8788 DEV_PG_PORT=54330 NEON_PROXY_PORT=5489 DEV_DATA_DIR=.dev2 npm run dev",
    );
  }
  return problems;
}
