// A private `npm run dev` stack for the SDK end-to-end test (free ports, its own data dir, no UI build),
// or an already running one when MOLTSTACK_URL is set.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });

export interface Stack {
  base: string;
  stop(): Promise<void>;
  /** seconds from spawn to healthy (0 when reusing MOLTSTACK_URL) */
  startupSeconds: number;
}

export async function startStack(): Promise<Stack> {
  if (process.env.MOLTSTACK_URL)
    return { base: process.env.MOLTSTACK_URL.replace(/\/+$/, ""), stop: async () => {}, startupSeconds: 0 };
  const t0 = Date.now();
  const [port, pgPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-sdk-e2e-"));
  const bin = path.join(root, "node_modules", ".bin");
  const child = spawn(process.execPath, [path.join(root, "scripts", "dev.mjs")], {
    cwd: root,
    detached: true, // own process group: teardown reaches wrangler and workerd
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
      PORT: String(port),
      DEV_PG_PORT: String(pgPort),
      NEON_PROXY_PORT: String(proxyPort),
      DEV_DATA_DIR: dataDir,
      DEV_DO_DIR: path.join(dataDir, "objects"), // removed with the data dir (the default is in /dev/shm)
      DEV_SKIP_UI: "1",
    },
  });
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const pid = child.pid;
    if (child.exitCode === null && pid) {
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        // gone
      }
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          try {
            process.kill(-pid, "SIGKILL");
          } catch {
            // gone
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
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) return { base, stop, startupSeconds: (Date.now() - t0) / 1000 };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`the stack did not come up:\n${log.slice(-4000)}`);
}
