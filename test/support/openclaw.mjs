// The one driver of the real OpenClaw host (npm package openclaw, offline) for the three proofs:
// `npm run test:openclaw` (integrations/openclaw/test/openclaw-host.mjs), `npm run test:openclaw-mcp`
// (test/mcp/openclaw-mcp.mjs) and `npm run test:openclaw-a2a` (test/a2a/openclaw-a2a.mjs). It knows where
// the host is installed (OPENCLAW_SCRATCH, default /tmp/openclaw-scratch, shared by all three), how to make
// a throw-away OpenClaw home, how to run its CLI there, and the fake OpenAI-compatible model its gateway
// talks to. Every proof still drives the real package; nothing here imitates OpenClaw.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The host version every proof pins (docs/OPENCLAW.md installs the same; test:openclaw checks it). */
export const OPENCLAW_VERSION = "2026.9.6";
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const scratch = process.env.OPENCLAW_SCRATCH ?? "/tmp/openclaw-scratch";
// docs/OPENCLAW.md's `npm install -g` lands here (NPM_CONFIG_PREFIX), never in the machine's global prefix
export const prefix = path.join(scratch, "global");
export const hostDir = path.join(prefix, "lib/node_modules/openclaw");
export const openclawBin = path.join(prefix, "bin/openclaw");
/** Node 24 (node_modules/.bin) and the scratch install first. */
export const PATH = `${path.join(root, "node_modules/.bin")}:${path.join(prefix, "bin")}:${process.env.PATH}`;

// free ports (test/e2e/stack.mjs), a random client network and a JSON REST call (test/support/rest.mjs)
export { freePort } from "../e2e/stack.mjs";
export { randomIp, rest } from "./rest.mjs";

/**
 * One proof run: `[label +Ns]` step lines, a throw-away OpenClaw home and its environment, the CLI runners,
 * and clean-ups that run however it ends. `fail(m)` throws; `main(fn)` runs the proof, prints the failure,
 * runs the clean-ups, optionally writes a one-line JSON report for .ci/run, and exits 0 or 1.
 */
export function openclawProof(label, { homePrefix = "openclaw-proof-", env: extraEnv = {} } = {}) {
  const t0 = Date.now();
  const step = (m) => console.log(`[${label} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  const cleanups = [];
  const fail = (m) => {
    console.error(`[${label}] FAIL: ${m}`);
    throw Object.assign(new Error(m), { reported: true });
  };
  const home = fs.mkdtempSync(path.join(os.tmpdir(), homePrefix));
  cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
  // the OpenClaw side's variables (the npm cache stays the machine's: a warm cache keeps the install short)
  const env = {
    HOME: home,
    OPENCLAW_HOME: home,
    OPENCLAW_STATE_DIR: path.join(home, ".openclaw"),
    OPENCLAW_CONFIG_PATH: path.join(home, ".openclaw/openclaw.json"),
    OPENCLAW_NO_AUTO_UPDATE: "1",
    NO_COLOR: "1",
    NPM_CONFIG_PREFIX: prefix,
    // under `npm run`, npm exports its own lower-case settings (npm_config_prefix=/usr…), which win
    npm_config_prefix: prefix,
    npm_config_global_prefix: prefix,
    NPM_CONFIG_CACHE: process.env.NPM_CONFIG_CACHE ?? path.join(os.homedir(), ".npm"),
    ...extraEnv,
  };
  /** The full environment of a process on the OpenClaw side (gateway, model, CLI). */
  const procEnv = { ...process.env, PATH, ...env };

  /** spawnSync on PATH from the repository root (not the OpenClaw home unless `o.env`/`o.cwd` say so). */
  function run(cmd, args, o = {}) {
    const r = spawnSync(cmd, args, {
      encoding: "utf8",
      env: { ...process.env, PATH, ...o.env },
      cwd: o.cwd ?? root,
      timeout: o.timeout ?? 180_000,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.status !== 0 && !o.allowFail) fail(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r;
  }
  /** `openclaw <args>` in the throw-away home. */
  const openclaw = (args, o = {}) => run(openclawBin, args, { ...o, env: { ...env, ...o.env }, cwd: home });
  /** A documented shell block, run as written in bash from the repository root with the home's variables. */
  const sh = (script, o = {}) => run("bash", ["-euo", "pipefail", "-c", script], { ...o, env: { ...env, ...o.env } });

  /** The pinned host in the scratch prefix: installed with npm (cold ~4 min) only when it is missing. */
  function ensureInstalled() {
    if (!fs.existsSync(path.join(hostDir, "package.json"))) {
      step(`installing openclaw@${OPENCLAW_VERSION} into ${prefix} (cold ~4 min)`);
      run("npm", ["install", "-g", `openclaw@${OPENCLAW_VERSION}`, "--no-audit", "--no-fund", "--loglevel=error"], {
        env,
        timeout: 900_000,
      });
    }
    checkVersion();
  }
  function checkVersion() {
    const installed = JSON.parse(fs.readFileSync(path.join(hostDir, "package.json"), "utf8")).version;
    if (installed !== OPENCLAW_VERSION) fail(`openclaw ${installed} in ${hostDir}; the proofs pin ${OPENCLAW_VERSION}`);
  }

  async function cleanup() {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {}
    }
  }
  /** Runs the proof; `report` names a JSON report written to VITEST_REPORT_DIR (CI's pass/fail count). */
  async function main(fn, { report } = {}) {
    let ok = false;
    try {
      await fn();
      ok = true;
    } catch (e) {
      if (!e?.reported) console.error(`[${label}] FAIL: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      else if (e.stack) console.error(e.stack.split("\n").slice(1, 4).join("\n"));
    }
    await cleanup();
    if (report && process.env.VITEST_REPORT_DIR) {
      fs.writeFileSync(
        path.join(process.env.VITEST_REPORT_DIR, `${report}.json`),
        JSON.stringify({ numPassedTests: ok ? 1 : 0, numFailedTests: ok ? 0 : 1, numPendingTests: 0 }),
      );
    }
    if (ok) step("PASS");
    // exit at once: do not wait for idle keep-alive sockets of the SDK clients
    process.exit(ok ? 0 : 1);
  }

  return { step, fail, cleanups, home, env, procEnv, run, openclaw, sh, ensureInstalled, checkVersion, main };
}

/**
 * The OpenClaw config that points its gateway (loopback, no auth, `gwPort`) and its default agent at the
 * fake OpenAI-compatible model on `modelPort` (integrations/openclaw/test/fake-model.mjs).
 */
export function fakeModelConfig(gwPort, modelPort) {
  return {
    gateway: { mode: "local", bind: "loopback", port: gwPort, auth: { mode: "none" } },
    models: {
      mode: "merge",
      providers: {
        fake: {
          baseUrl: `http://127.0.0.1:${modelPort}/v1`,
          apiKey: "sk-local",
          api: "openai-completions",
          models: [
            {
              id: "echo",
              name: "Echo",
              reasoning: false,
              input: ["text"],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 32000,
              maxTokens: 1024,
            },
          ],
        },
      },
    },
    agents: { defaults: { model: { primary: "fake/echo" } } },
  };
}

/** The fake model on `port`, logging every request it answers to `logFile` (one JSON line each). */
export function startFakeModel(port, logFile, env) {
  return spawn(
    process.execPath,
    [path.join(root, "integrations/openclaw/test/fake-model.mjs"), String(port), logFile],
    {
      env,
      stdio: "ignore",
    },
  );
}

/** `openclaw config patch --file` with `config` written into the proof's home. */
export function patchConfig(proof, config) {
  fs.mkdirSync(proof.env.OPENCLAW_STATE_DIR, { recursive: true });
  const file = path.join(proof.home, "patch.json");
  fs.writeFileSync(file, JSON.stringify(config));
  proof.openclaw(["config", "patch", "--file", file]);
}
