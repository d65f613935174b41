// Issue 19's security claims, end to end through the real Worker:
// - key material (API key secrets, pairing codes, webhook auth header secrets) appears in no log line, no
//   audit entry and no response after the one that creates it;
// - pairing codes resist brute force: an observer's concurrent guesses stop at the lockout, a network's
//   guesses across many observers stop at its rate limit, and a code burns after a few looks.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { createApp } from "../../worker/app";
import { api, createAgent, queryAs, testEnv } from "../helpers";
import { uniqueIp } from "../identity";
import { createObserver } from "../support/channel-fixtures";
import { agentWithWebhook } from "../support/webhooks";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Capture everything written to the console (the access log included) while `fn` runs. */
async function captureLogs(fn: () => Promise<void>): Promise<string> {
  const out: string[] = [];
  const keep = (...args: unknown[]) => {
    out.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  };
  for (const level of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, level).mockImplementation(keep);
  await fn();
  return out.join("\n");
}

describe("key material stays secret", () => {
  it("API keys, pairing codes and webhook auth secrets never reach logs, audit entries or later responses", async () => {
    // the app itself with its access log on (the test configuration turns it off)
    const app = createApp();
    const env = { ...testEnv, LOG_REQUESTS: "true" };
    const call = async (method: string, path: string, token?: string, body?: unknown) => {
      const res = await app.request(
        path,
        {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
            "cf-connecting-ip": uniqueIp(),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        },
        env,
      );
      const text = await res.text();
      return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
    };
    const bot = await agentWithWebhook();
    const owner = await createObserver();
    const secrets: string[] = [];
    const later: string[] = [];
    const logs = await captureLogs(async () => {
      const minted = await call("POST", "/api/v1/agents/@me/keys", bot.token, { name: "k", scopes: ["read", "write"] });
      expect(minted.status).toBe(201);
      const key = String(minted.json?.key);
      secrets.push(key);
      later.push((await call("GET", "/api/v1/agents/@me/keys", bot.token)).text);
      later.push((await call("GET", "/api/v1/agents/@me", key)).text);
      later.push((await call("GET", "/api/v1/agents/@me", `${key.slice(0, -1)}A`)).text); // a wrong key: 401
      const code = await call("POST", "/api/v1/agents/@me/pairing", bot.token);
      expect(code.status).toBe(201);
      secrets.push(String(code.json?.code));
      later.push((await call("GET", `/api/v1/owners/pairing/${String(code.json?.code)}`, owner.token)).text);
      later.push((await call("POST", `/api/v1/owners/pairing/${String(code.json?.code)}/confirm`, owner.token)).text);
      later.push((await call("POST", `/api/v1/owners/pairing/${String(code.json?.code)}/confirm`, owner.token)).text);
      const header = "webhook-auth-secret-never-logged-7f3a";
      secrets.push(header);
      later.push(
        (
          await call("PATCH", "/api/v1/agents/@me/config", bot.token, {
            webhook_auth_header: { name: "X-Auth", secret: header },
          })
        ).text,
      );
      later.push((await call("GET", "/api/v1/agents/@me/config", bot.token)).text);
      later.push((await call("GET", `/api/v1/owners/me/bots/${bot.id}`, owner.token)).text);
      later.push((await call("GET", `/api/v1/owners/me/bots/${bot.id}/keys`, owner.token)).text);
      later.push((await call("GET", `/api/v1/owners/me/bots/${bot.id}/audit?limit=100`, owner.token)).text);
      expect((await call("DELETE", `/api/v1/agents/@me/keys/${String(minted.json?.id)}`, bot.token)).status).toBe(204);
    });
    expect(logs).toContain('"msg":"request"'); // the access log did run
    const audit = await queryAs<{ t: string }>(
      SYSTEM,
      sql`select coalesce(string_agg(row_to_json(a)::text, ' '), '') as t from audit_log a
           where a.target_id = ${bot.id} or a.actor_id = ${bot.id} or a.actor_id = ${owner.id}`,
    );
    for (const s of secrets) {
      expect(logs).not.toContain(s);
      expect(audit[0]?.t ?? "").not.toContain(s);
      for (const body of later) expect(body).not.toContain(s);
    }
    // the key prefix (ms_sk_ + 4 characters) is all a listing shows
    expect(later[0]).toContain(String(secrets[0]).slice(0, 10));
  });
});

describe("pairing codes resist brute force", () => {
  it("one observer's 20 concurrent guesses: exactly 5 are judged, the rest locked out (429)", async () => {
    const guesser = await createObserver();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api("GET", `/api/v1/owners/pairing/reef-${"ABCDEFGHJKLMNPQRSTUV"[i]}ZZZ`, {
          token: guesser.token,
          headers: { "cf-connecting-ip": uniqueIp() },
        }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 404)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    const bot = await createAgent();
    const code = await api<{ code: string }>("POST", "/api/v1/agents/@me/pairing", { token: bot.token });
    // locked out even for the right code
    const right = await api("GET", `/api/v1/owners/pairing/${code.body.code}`, {
      token: guesser.token,
      headers: { "cf-connecting-ip": uniqueIp() },
    });
    expect(right.status).toBe(429);
  });

  it("one network's guesses across many fresh observers stop at its rate limit", async () => {
    const ip = uniqueIp();
    const observers = await Promise.all(Array.from({ length: 8 }, () => createObserver()));
    let refused = 0;
    let judged = 0;
    for (let i = 0; i < 40; i++) {
      const o = observers[i % observers.length];
      const r = await api("GET", `/api/v1/owners/pairing/kelp-${String(1000 + i).replace(/[01]/g, "Z")}`, {
        token: o?.token,
        headers: { "cf-connecting-ip": ip },
      });
      if (r.status === 429) refused++;
      else judged++;
    }
    expect(judged).toBe(30);
    expect(refused).toBe(10);
  });
});
