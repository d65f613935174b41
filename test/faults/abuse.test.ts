// Abuse (issue 10, "Faults and load"): registration floods from many IPs and API floods from one agent
// spread over many IPs stay within their limits (429 with X-RateLimit-* and Retry-After, never a 5xx),
// while a bystander agent calling the API at the same time keeps getting 2xx. The limits are fixed
// windows (common/limits.ts), so every check is per window (X-RateLimit-Reset), never per run.
import { afterAll, describe, expect, it } from "vitest";
import { RATE } from "../../common/limits";
import { type ApiResponse, api, createAgent, type TestAgent, uniqueName } from "../helpers";
import { registerWithKey, uniqueIp } from "../identity";
import { FULL, figures } from "./fault-helpers";

const REG_IPS = FULL ? 40 : 6;
const REG_PER_IP = RATE.registration.limit + 2;
const API_FLOODERS = FULL ? 3 : 1;
const API_PER_FLOODER = RATE.api.limit + (FULL ? 40 : 12);
const CONCURRENCY = 8;

const fig = { requests: 0, ok: 0, limited: 0, s5xx: 0, bystander_requests: 0, bystander_non_2xx: 0 };
afterAll(() => figures("abuse", fig));

function tally(r: ApiResponse<unknown>) {
  fig.requests += 1;
  if (r.status >= 200 && r.status < 300) fig.ok += 1;
  else if (r.status === 429) fig.limited += 1;
  else if (r.status >= 500) fig.s5xx += 1;
}

/** Run tasks with bounded concurrency, in order of submission. */
async function pool<T>(tasks: (() => Promise<T>)[], n = CONCURRENCY): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < tasks.length) {
        const k = i++;
        out[k] = await (tasks[k] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

/** A well-formed refusal: 429, the error shape, every rate header. */
function expectLimited(r: ApiResponse<unknown>, limit: number) {
  expect(r.status).toBe(429);
  expect((r.body as { error?: { code?: string } }).error?.code).toBe("rate_limited");
  expect(r.headers.get("x-ratelimit-limit")).toBe(String(limit));
  expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
  expect(Number(r.headers.get("x-ratelimit-reset"))).toBeGreaterThan(0);
  expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
}

/** Per fixed window (grouped by X-RateLimit-Reset): at most `limit` admitted, and once over, all refused. */
function expectWithinLimit(rs: ApiResponse<unknown>[], limit: number, okStatus: number) {
  const windows = new Map<string, ApiResponse<unknown>[]>();
  for (const r of rs) {
    const k = r.headers.get("x-ratelimit-reset") ?? "none";
    windows.set(k, [...(windows.get(k) ?? []), r]);
  }
  for (const w of windows.values()) {
    const ok = w.filter((r) => r.status === okStatus).length;
    expect(ok).toBeLessThanOrEqual(limit);
    if (w.length > limit) expect(ok).toBe(limit);
    for (const r of w) {
      if (r.status !== okStatus) expectLimited(r, limit);
      else expect(r.headers.get("x-ratelimit-limit")).toBe(String(limit));
    }
  }
}

/** A bystander agent calling the API while the flood runs: every call must be 2xx. */
function bystander(agent: TestAgent, stop: () => boolean) {
  return (async () => {
    for (let i = 0; i < 40 && !stop(); i++) {
      const r = await api("GET", "/api/v1/agents/@me", {
        token: agent.token,
        headers: { "cf-connecting-ip": "10.9.9.9" },
      });
      fig.bystander_requests += 1;
      if (r.status < 200 || r.status >= 300) fig.bystander_non_2xx += 1;
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
}

describe("abuse", () => {
  it(`registration flood: ${REG_IPS} IPs × ${REG_PER_IP} → ≤ ${RATE.registration.limit}/IP admitted, the rest 429; a bystander is unaffected`, async () => {
    const other = await createAgent();
    let done = false;
    const side = bystander(other, () => done);
    const ips = Array.from({ length: REG_IPS }, () => uniqueIp());
    const tasks = ips.flatMap((ip) =>
      Array.from({ length: REG_PER_IP }, () => async () => {
        const { res } = await registerWithKey(uniqueName("flood"), ip);
        tally(res);
        return { ip, res };
      }),
    );
    const results = await pool(tasks);
    done = true;
    await side;
    for (const ip of ips) {
      expectWithinLimit(
        results.filter((r) => r.ip === ip).map((r) => r.res),
        RATE.registration.limit,
        201,
      );
    }
    expect(fig.s5xx).toBe(0);
    expect(fig.bystander_non_2xx).toBe(0);
  });

  it(`API flood: ${API_FLOODERS} agent(s) × ${API_PER_FLOODER} calls from rotating IPs → ≤ ${RATE.api.limit}/min each; a bystander keeps 2xx`, async () => {
    const other = await createAgent();
    const flooders = await Promise.all(Array.from({ length: API_FLOODERS }, () => createAgent()));
    let done = false;
    const side = bystander(other, () => done);
    const tasks = flooders.flatMap((a) =>
      Array.from({ length: API_PER_FLOODER }, () => async () => {
        // a new IP per call: the limit is per authenticated subject, so rotating IPs buys nothing
        const res = await api("GET", "/api/v1/agents/@me", {
          token: a.token,
          headers: { "cf-connecting-ip": uniqueIp() },
        });
        tally(res);
        return { id: a.id, res };
      }),
    );
    const results = await pool(tasks);
    done = true;
    await side;
    for (const a of flooders) {
      expectWithinLimit(
        results.filter((r) => r.id === a.id).map((r) => r.res),
        RATE.api.limit,
        200,
      );
    }
    expect(results.some((r) => r.res.status === 429)).toBe(true);
    expect(fig.s5xx).toBe(0);
    expect(fig.bystander_non_2xx).toBe(0);
    // the bystander's own budget was untouched by the flood
    const mine = await api("GET", "/api/v1/agents/@me", { token: other.token });
    expect(mine.status).toBe(200);
    expect(Number(mine.headers.get("x-ratelimit-remaining"))).toBeGreaterThan(RATE.api.limit - 45);
  });
});
