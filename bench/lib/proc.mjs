// Process helpers for the bench suite: find the server's processes, pin them, read their CPU time and
// resident memory from /proc (Linux; elsewhere the figures are reported as "-").
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const TICK = 100; // USER_HZ on Linux

export const hasTaskset = () => spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;

function readProc(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return null;
  }
}

function allPids() {
  try {
    return fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
}

function ppidOf(pid) {
  const s = readProc(pid, "stat");
  if (!s) return null;
  return Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]);
}

/** `root` and all its descendants. */
export function tree(root) {
  const kids = new Map();
  for (const p of allPids()) {
    const pp = ppidOf(p);
    if (pp === null) continue;
    if (!kids.has(pp)) kids.set(pp, []);
    kids.get(pp).push(Number(p));
  }
  const out = [];
  const stack = [Number(root)];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(kids.get(p) ?? []));
  }
  return out;
}

/**
 * The `npm run dev` stack serving `port`: the scripts/dev.mjs process (which also runs the Neon proxy and,
 * by default, Miniflare) and everything under it (Postgres, workerd; wrangler with `--wrangler`). Found by
 * its PORT environment variable (8787 when unset). Null when not found.
 */
export function devStack(port) {
  for (const p of allPids()) {
    const cmd = (readProc(p, "cmdline") ?? "").split("\0");
    if (!cmd.some((a) => a.endsWith("scripts/dev.mjs"))) continue;
    const env = (readProc(p, "environ") ?? "").split("\0");
    const envPort = env.find((e) => e.startsWith("PORT="))?.slice(5) || "8787";
    if (envPort !== String(port)) continue;
    const pids = new Set(tree(p));
    // Postgres (the postmaster and its backends, which call setsid and so leave the stack's process
    // group): found by parent pid and, should the postmaster ever be re-parented, by its data dir's
    // postmaster.pid
    const pgDir = pgDataDir(p);
    const postmaster = pgDir ? postmasterPid(pgDir) : null;
    if (postmaster) for (const q of tree(postmaster)) pids.add(q);
    const list = [...pids];
    const workerd = list.filter((q) => (readProc(q, "cmdline") ?? "").includes("workerd"));
    const postgres = list.filter(
      (q) => /(^|\/)postgres(\0|$|:)/.test(readProc(q, "cmdline") ?? "") || q === postmaster,
    );
    return { root: p, pids: list, workerd, postgres, postmaster };
  }
  return null;
}

/** The dev stack's Postgres data dir: $DEV_DATA_DIR/pg of the scripts/dev.mjs process (cwd-relative). */
function pgDataDir(devPid) {
  const env = (readProc(devPid, "environ") ?? "").split("\0");
  const data = env.find((e) => e.startsWith("DEV_DATA_DIR="))?.slice(13) || ".dev";
  let cwd = "";
  try {
    cwd = fs.readlinkSync(`/proc/${devPid}/cwd`);
  } catch {
    return null;
  }
  return data.startsWith("/") ? `${data}/pg` : `${cwd}/${data}/pg`;
}

function postmasterPid(dir) {
  try {
    const pid = Number(fs.readFileSync(`${dir}/postmaster.pid`, "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 && readProc(pid, "stat") ? pid : null;
  } catch {
    return null;
  }
}

/** Pin every thread of `pids` to `cpu` (taskset -a). */
export function pin(pids, cpu) {
  let ok = 0;
  for (const p of pids) {
    if (spawnSync("taskset", ["-a", "-cp", String(cpu), String(p)], { stdio: "ignore" }).status === 0) ok++;
  }
  return ok;
}

export function affinity(pid) {
  const s = readProc(pid, "status");
  return s ? (/Cpus_allowed_list:\s*(\S+)/.exec(s)?.[1] ?? "?") : "?";
}

/**
 * CPU seconds of `pids`, summed: user + system of each, plus the user + system of its children that
 * exited and were reaped (cutime + cstime). With the pid set re-read at both ends of a window, a
 * Postgres backend or worker thread that lived only inside the window is still counted (through its
 * parent's cutime), and one that exited during it is counted up to its exit.
 */
export function cpuSeconds(pids) {
  let t = 0;
  for (const p of pids) {
    const s = readProc(p, "stat");
    if (!s) continue;
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    t += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICK;
  }
  return t;
}

/** A CPU window shorter than this reads as "n/a": /proc counts in 10 ms ticks, so short windows lie. */
export const MIN_CPU_WINDOW_S = 1;

/** Resident set size in MB, summed. */
export function rssMb(pids) {
  let kb = 0;
  for (const p of pids) {
    const m = /VmRSS:\s*(\d+)/.exec(readProc(p, "status") ?? "");
    if (m) kb += Number(m[1]);
  }
  return kb / 1024;
}

export function loadavg() {
  try {
    return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "- - -";
  }
}

/** A CPU meter over an interval: server processes (by /proc) and this generator (process.cpuUsage). */
export function cpuMeter(serverPids) {
  const t0 = performance.now();
  const s0 = cpuSeconds(serverPids());
  const g0 = process.cpuUsage();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const g = process.cpuUsage(g0);
    const serverSec = cpuSeconds(serverPids()) - s0;
    const short = wall < MIN_CPU_WINDOW_S;
    return {
      // NaN (printed "n/a (window < 1 s)") rather than a figure from a handful of 10 ms ticks
      server: short ? Number.NaN : (serverSec / wall) * 100,
      serverSec: short ? Number.NaN : serverSec,
      generator: short ? Number.NaN : ((g.user + g.system) / 1e6 / wall) * 100,
      windowS: wall,
    };
  };
}

/**
 * Wait until the server is idle again (CPU under `idlePct` of a core over a 1 s window), at most
 * `maxMs`: a part then measures itself, not the tail of the previous part (sockets closing, presence
 * going offline, objects being persisted, garbage collection). Returns the ms waited.
 */
export async function settle(serverPids, { idlePct = 15, maxMs = 20_000 } = {}) {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    // a 1 s window (the meter's minimum; 100 ticks, so the idle test is ±1 %)
    const m = cpuMeter(serverPids);
    await new Promise((r) => setTimeout(r, 1000));
    if (m().server < idlePct) break;
  }
  return performance.now() - t0;
}
