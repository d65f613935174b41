// The one launcher of a private MoltStack stack for every end-to-end suite (the observer UI's, the seed's,
// the SDK's): scripts/dev.mjs on free ports with its own data directory (so it never collides with a
// developer's `npm run dev`), removed on stop. Also finds or installs Chromium for the UI suite.
// Types for TypeScript callers: stack.d.mts.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A free TCP port on 127.0.0.1. */
export const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** The Chromium binary, installing the Debian package when possible; null when no browser can be had. */
export function findChromium() {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && spawnSync("sh", ["-c", "command -v apt-get"]).status === 0) {
    console.error("[e2e] chromium missing: apt-get install -y chromium …");
    spawnSync("sh", ["-c", "apt-get update -qq && apt-get install -y -qq chromium"], {
      stdio: "inherit",
      timeout: 600_000,
    });
  }
  return fs.existsSync(CHROMIUM) ? CHROMIUM : null;
}

/**
 * `node scripts/dev.mjs` on free ports; resolves once the API (and, with `ui`, the UI) answers.
 * `ui: false` skips the UI build; `reuse: true` uses the stack at MOLTSTACK_URL when that is set; `env`
 * adds variables (e.g. MOLTSTACK_LIMITS).
 */
export async function startStack({ ui = true, reuse = false, env = {} } = {}) {
  if (reuse && process.env.MOLTSTACK_URL) {
    const base = process.env.MOLTSTACK_URL.replace(/\/+$/, "");
    return { base, pgPort: null, stop: async () => {}, log: () => "", startupSeconds: 0 };
  }
  const t0 = Date.now();
  const [port, pgPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-e2e-"));
  const bin = path.join(root, "node_modules", ".bin");
  const child = spawn(process.execPath, [path.join(root, "scripts", "dev.mjs")], {
    cwd: root,
    detached: true, // its own process group, so teardown reaches wrangler and workerd too
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
      PORT: String(port),
      DEV_PG_PORT: String(pgPort),
      NEON_PROXY_PORT: String(proxyPort),
      DEV_DATA_DIR: dataDir,
      DEV_DO_DIR: path.join(dataDir, "objects"), // removed with the data dir (the default is in /dev/shm)
      // MOLTSTACK_UI_PREBUILT: the UI suite's global setup built web/dist once (test/e2e/build-ui-once.mjs)
      ...(ui && process.env.MOLTSTACK_UI_PREBUILT !== "1" ? {} : { DEV_SKIP_UI: "1" }),
      ...env,
    },
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await new Promise((r) => {
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
          r();
        }, 10_000);
        child.once("exit", () => {
          clearTimeout(t);
          r();
        });
      });
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${base}/api/v1/health`);
      if (res.ok && (!ui || (await uiServed(base)))) {
        return {
          base,
          port,
          pgPort,
          proxyPort,
          dataDir,
          stop,
          log: () => log,
          startupSeconds: (Date.now() - t0) / 1000,
        };
      }
    } catch {
      // not up yet
    }
    // poll often: every suite waits for this, and the stack is usually up within a few seconds
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`the stack did not come up:\n${log.slice(-4000)}`);
}

async function uiServed(base) {
  const res = await fetch(`${base}/`);
  return res.ok && (await res.text()).includes('id="root"');
}
