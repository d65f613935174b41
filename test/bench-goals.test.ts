// The bench suite's goal table and derived figures (issue 25), checked without a stack and without
// timing: per-run figures (CPU per delivery, delivered ÷ offered) are derived before the median, every
// goal judges the row it names, a figure not measured is "n/a" (never "met"), the Moltbook part's
// readers never exceed their per-minute budget, and its keys are minted as the product mints them.
import { describe, expect, it } from "vitest";
import { newKey } from "../bench/lib/keys.mjs";
import { requestsPerAgent } from "../bench/lib/pace.mjs";
import { aggregate, type BenchRow, derive, goalsOf, goalVerdict, sameRunVs } from "../bench/lib/stats.mjs";
import { RATE } from "../common/limits";
import { hashApiKey, looksLikeApiKey } from "../worker/services/api-keys";

const row = (part: string, target: string, fields: Record<string, unknown>): BenchRow => ({
  part,
  target,
  what: `${part} scenario`,
  lost: 0,
  reordered: 0,
  dupes: 0,
  errors: {},
  ...fields,
});

describe("bench derived figures", () => {
  it("CPU per delivery and delivered ÷ offered come from one run's row", () => {
    const r = derive(
      row("c40", "moltstack", {
        serverCpuSec: 2,
        deliveries: 100_000,
        deliveriesPerSec: 36_000,
        offeredPerSec: 40_000,
      }),
    );
    expect(r.cpuUsPerDelivery).toBeCloseTo(20);
    expect(r.keepsUp).toBeCloseTo(0.9);
    // nothing to derive from: no field invented
    expect(derive(row("f", "moltstack", { serverCpuSec: Number.NaN, deliveries: 0 }))).not.toHaveProperty(
      "cpuUsPerDelivery",
    );
  });

  it("the median of CPU per delivery is the median of the runs' quotients, not a quotient of medians", () => {
    const [r] = aggregate([
      [row("c", "moltstack", { serverCpuSec: 1, deliveries: 100_000, p99: 90 })], // 10 µs
      [row("c", "moltstack", { serverCpuSec: 3, deliveries: 100_000, p99: 95 })], // 30 µs
      [row("c", "moltstack", { serverCpuSec: 2.5, deliveries: 50_000, p99: 99 })], // 50 µs
    ]);
    expect(r?.cpuUsPerDelivery).toBeCloseTo(30);
    expect(r?.range?.cpuUsPerDelivery).toEqual([expect.closeTo(10), expect.closeTo(50)]);
  });
});

describe("bench goals", () => {
  it("a part with two goals is met only when both are; the verdict names the missed one", () => {
    const met = row("c", "moltstack", { p99: 90, cpuUsPerDelivery: 18 });
    const slow = row("c", "moltstack", { p99: 90, cpuUsPerDelivery: 47 });
    expect(goalVerdict(met)).toMatch(/^met/);
    expect(goalVerdict(slow)).toMatch(/^missed/);
    expect(goalVerdict(slow)).toContain("server CPU ≤ 20 µs per delivery ✗");
    expect(goalVerdict(slow)).toContain("fan-out p99 ≤ 100 ms ✓");
  });

  it("a figure that was not measured is n/a, and a row with nothing measured is not 'met'", () => {
    const noCpu = row("c", "moltstack", { p99: 90, cpuUsPerDelivery: Number.NaN });
    expect(goalVerdict(noCpu)).toMatch(/^met/);
    expect(goalVerdict(noCpu)).toContain("n/a");
    expect(goalVerdict(row("f", "moltstack", { p99: Number.NaN }))).toMatch(/^not measured/);
  });

  it("the 40 msg/s part keeps up only at ≥ 95 % of the offered deliveries/s", () => {
    const behind = derive(row("c40", "moltstack", { deliveriesPerSec: 36_000, offeredPerSec: 40_000, p99: 200 }));
    expect(goalVerdict(behind)).toMatch(/^missed/);
    const kept = derive(row("c40", "moltstack", { deliveriesPerSec: 39_500, offeredPerSec: 40_000, p99: 200 }));
    expect(goalVerdict(kept)).toMatch(/^met/);
  });

  it("goals judge the row they name: the gateway, MCP and Moltbook rows, never the reference rows", () => {
    expect(goalsOf(row("g2", "moltstack channel sockets", {}))).toEqual([]);
    expect(goalVerdict(row("g2", "moltstack gateway", { p99VsChannel: 1.94 }))).toMatch(/^missed/);
    expect(goalVerdict(row("m", "moltstack sockets", { p99: 10 }))).toBe("");
    expect(goalVerdict(row("m", "moltstack MCP", { p99VsSockets: 1.8 }))).toMatch(/^met/);
    expect(goalVerdict(row("mb", "moltstack REST history", { p99: 20 }))).toBe("");
    expect(goalVerdict(row("mb", "moltstack Moltbook /feed", { p99: 60, p99VsHistory: 2.5 }))).toMatch(/^missed/);
    expect(goalVerdict(row("mb", "moltstack Moltbook /search", { p99: 60, p99VsHistory: 2.5 }))).toMatch(/^met/);
    expect(goalVerdict(row("g1", "moltstack gateway", { subscribeCold: 1851, subscribeWarm: 192 }))).toMatch(
      /^missed.*cold ✗.*warm ✓/,
    );
    expect(goalVerdict(row("a", "baseline", { deliveriesPerSec: 48_000 }))).toBe("");
  });

  it("same-run comparisons print as the vs cell", () => {
    expect(sameRunVs(row("g2", "moltstack gateway", { p99VsChannel: 1.5 }))).toBe(
      "p99: 1.50× channel sockets (same run)",
    );
    expect(sameRunVs(row("mb", "moltstack Moltbook /feed", { p99VsHistory: 2 }))).toBe(
      "p99: 2.00× REST history page (same run)",
    );
    expect(sameRunVs(row("c", "moltstack", { p99: 1 }))).toBe("");
  });
});

describe("bench Moltbook part", () => {
  it("one agent per reader stays under the production per-minute budget, or the part refuses to run", () => {
    expect(requestsPerAgent({ rate: 0.4, seconds: 10 })).toBe(5);
    expect(requestsPerAgent({ rate: 2, seconds: 8 })).toBe(17);
    expect(requestsPerAgent({ rate: 1, seconds: 70, budget: RATE.api.limit })).toBe(71);
    expect(() => requestsPerAgent({ rate: 2, seconds: 60 })).toThrow(/budget/);
    expect(() => requestsPerAgent({ rate: 0, seconds: 8 })).toThrow();
  });

  it("mints API keys the way the product stores them (shape, SHA-256 hex, listing prefix)", async () => {
    const k = newKey();
    expect(looksLikeApiKey(k.secret)).toBe(true);
    expect(k.hash).toBe(await hashApiKey(k.secret));
    expect(k.prefix).toBe(k.secret.slice(0, "ms_sk_".length + 4));
    expect(newKey().secret).not.toBe(k.secret);
  });
});
