// Fault-injection helpers for test/faults (not a test file). Database faults go through the local Neon
// proxy's control hook (scripts/neon-proxy.mjs, started with `control: true` by test/global-setup.ts):
// this file's connections carry a `tag` in their WebSocket URL and every fault touches only that tag,
// so other suites running at the same time never see a cut.
import { neonConfig } from "@neondatabase/serverless";
import { inject } from "vitest";
import { asSystem, testEnv } from "../helpers";

/** "fast" in `npm test`; "full" with FAULTS_PROFILE=full (`npm run test:faults`). */
export const PROFILE: "fast" | "full" = inject("faultsProfile") === "full" ? "full" : "fast";
export const FULL = PROFILE === "full";

/** Print a suite's figures (one JSON line, collected into docs/FAULTS.md). */
export function figures(suite: string, data: Record<string, unknown>): void {
  console.log(`[faults] ${JSON.stringify({ suite, profile: PROFILE, ...data })}`);
}

export interface ProxyStats {
  op: string;
  connections: number;
  paused: boolean;
  /** connections attempted with the tag, refused ones included */
  opened: number;
  held_up_bytes: number;
  held_down_bytes: number;
}

/**
 * Route every database connection this isolate opens from now on through the proxy with `tag`. Each test
 * file runs in its own workerd isolate (channel objects included), so the driver's global setting is
 * this file's alone.
 */
export async function routeThroughFaultTag(tag: string): Promise<void> {
  await asSystem(async () => {}); // the Worker's own driver configuration runs first (common/db/client.ts)
  const proxy = testEnv.NEON_WS_PROXY;
  if (!proxy) throw new Error("NEON_WS_PROXY is not set");
  neonConfig.wsProxy = (host: string, port: number | string) => `${proxy}?address=${host}:${port}&tag=${tag}`;
  // one-shot reads go over the HTTP endpoint (common/db/http.ts): tagged the same way
  neonConfig.fetchEndpoint = () => `http://${proxy.split("/")[0]}/sql?tag=${encodeURIComponent(tag)}`;
}

/** cut: drop the tag's connections · pause: cut and refuse new ones · stall: hold bytes · resume · stats */
export async function control(
  tag: string,
  op: "cut" | "pause" | "stall" | "resume" | "stats",
  params: Record<string, string> = {},
): Promise<ProxyStats> {
  const base = inject("neonControlUrl");
  if (!base) throw new Error("the Neon proxy was started without its control hook");
  const qs = new URLSearchParams({ tag, ...params });
  const res = await fetch(`${base}/${op}?${qs}`, { method: "POST" });
  if (!res.ok) throw new Error(`proxy control ${op}: ${res.status} ${await res.text()}`);
  return (await res.json()) as ProxyStats;
}

/** Poll (bounded) until `pred` holds. */
export async function waitFor<T>(what: string, pred: () => Promise<T | null | undefined | false>, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A seeded PRNG (mulberry32), so a failing run can be replayed with the seed it printed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
