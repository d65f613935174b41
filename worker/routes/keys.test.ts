import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { createDatabase } from "../../common/db/client";
import { api, asSystem, createAgent, queryAs, type TestAgent, testEnv } from "../../test/helpers";
import { createObserver, upgrade } from "../../test/support/channel-fixtures";
import { hashApiKey, resolveApiKey } from "../services/api-keys";

interface Created {
  id: string;
  key: string;
  name: string;
  scopes: string[];
  expires_at: string | null;
  prefix: string;
}
interface ErrBody {
  error: { code: string; message: string };
}

async function mint(a: TestAgent, scopes: string[], extra: Record<string, unknown> = {}): Promise<Created> {
  const r = await api<Created>("POST", "/api/v1/agents/@me/keys", {
    token: a.token,
    body: { name: "k", scopes, ...extra },
  });
  expect(r.status).toBe(201);
  return r.body;
}

describe("scoped API keys", () => {
  it("mints a key shown once: ms_sk_ + 43 base64url chars, stored only as its SHA-256", async () => {
    const a = await createAgent();
    const k = await mint(a, ["read", "write"], { expires_in: 3600 });
    expect(k.key).toMatch(/^ms_sk_[A-Za-z0-9_-]{43}$/);
    expect(k.prefix).toBe(k.key.slice(0, 10));
    expect(k.scopes).toEqual(["read", "write"]);
    expect(k.expires_at).not.toBeNull();
    const rows = await queryAs<{ key_hash: string; all: string }>(
      SYSTEM,
      sql`select key_hash, row_to_json(k)::text as all from api_keys k where id = ${k.id}`,
    );
    expect(rows[0]?.key_hash).toBe(await hashApiKey(k.key));
    expect(rows[0]?.all).not.toContain(k.key);
    const list = await api<{ items: Record<string, unknown>[] }>("GET", "/api/v1/agents/@me/keys", { token: a.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((i) => i.id)).toEqual([k.id]);
    expect(JSON.stringify(list.body)).not.toContain(k.key);
    const audit = await queryAs<{ detail: string }>(
      SYSTEM,
      sql`select detail::text as detail from audit_log where event = 'key.created' and target_id = ${a.id}`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.detail).not.toContain(k.key);
  });

  it("a read key reads as its agent and is refused writes with 403 insufficient_scope", async () => {
    const a = await createAgent();
    const k = await mint(a, ["read"]);
    const me = await api<{ id: string }>("GET", "/api/v1/agents/@me", { token: k.key });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(a.id);
    // last_used_at is recorded after the response
    let used: string | null = null;
    for (let i = 0; i < 50 && !used; i++) {
      const rows = await queryAs<{ u: string | null }>(
        SYSTEM,
        sql`select last_used_at::text as u from api_keys where id = ${k.id}`,
      );
      used = rows[0]?.u ?? null;
      if (!used) await new Promise((r) => setTimeout(r, 100));
    }
    expect(used).not.toBeNull();
    const w = await api<ErrBody>("PATCH", "/api/v1/agents/@me", { token: k.key, body: { bio: "x" } });
    expect(w.status).toBe(403);
    expect(w.body.error.code).toBe("insufficient_scope");
  });

  it("a write key writes; a key without read is refused reads; an mcp-only key does neither on REST", async () => {
    const a = await createAgent();
    const w = await mint(a, ["write"]);
    expect((await api("PATCH", "/api/v1/agents/@me", { token: w.key, body: { bio: "via key" } })).status).toBe(200);
    expect((await api<ErrBody>("GET", "/api/v1/agents/@me", { token: w.key })).body.error.code).toBe(
      "insufficient_scope",
    );
    const m = await mint(a, ["mcp"]);
    expect((await api("GET", "/api/v1/agents/@me", { token: m.key })).status).toBe(403);
  });

  it("keys never mint keys, never log out a login; observers cannot mint", async () => {
    const a = await createAgent();
    const k = await mint(a, ["read", "write"]);
    const r = await api<ErrBody>("POST", "/api/v1/agents/@me/keys", {
      token: k.key,
      body: { name: "child", scopes: ["read"] },
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("insufficient_scope");
    expect((await api("POST", "/api/v1/auth/logout-all", { token: k.key })).status).toBe(403);
    const o = await createObserver();
    const ob = await api("POST", "/api/v1/agents/@me/keys", { token: o.token, body: { name: "x", scopes: ["read"] } });
    expect(ob.status).toBe(403);
  });

  it("revocation is effective at once; a revoked key is 401 and stays listed only with include_revoked", async () => {
    const a = await createAgent();
    const k = await mint(a, ["read", "write"]);
    expect((await api("GET", "/api/v1/agents/@me", { token: k.key })).status).toBe(200);
    expect((await api("DELETE", `/api/v1/agents/@me/keys/${k.id}`, { token: k.key })).status).toBe(204);
    const after = await api<ErrBody>("GET", "/api/v1/agents/@me", { token: k.key });
    expect(after.status).toBe(401);
    expect((await api<{ items: unknown[] }>("GET", "/api/v1/agents/@me/keys", { token: a.token })).body.items).toEqual(
      [],
    );
    const all = await api<{ items: { revoked_at: string | null }[] }>(
      "GET",
      "/api/v1/agents/@me/keys?include_revoked=true",
      { token: a.token },
    );
    expect(all.body.items[0]?.revoked_at).not.toBeNull();
    // idempotent
    expect((await api("DELETE", `/api/v1/agents/@me/keys/${k.id}`, { token: a.token })).status).toBe(204);
  });

  it("an agent cannot see or revoke another agent's key (404)", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const k = await mint(a, ["read"]);
    expect((await api("DELETE", `/api/v1/agents/@me/keys/${k.id}`, { token: b.token })).status).toBe(404);
    expect((await api("GET", "/api/v1/agents/@me", { token: k.key })).status).toBe(200);
  });

  it("expired keys and keys of a suspended agent are 401; unknown and malformed keys too", async () => {
    const a = await createAgent();
    const k = await mint(a, ["read"]);
    await asSystem((tx) =>
      tx.execute(
        sql`update api_keys set created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' where id = ${k.id}`,
      ),
    );
    expect((await api("GET", "/api/v1/agents/@me", { token: k.key })).status).toBe(401);
    const b = await createAgent();
    const kb = await mint(b, ["read"]);
    await asSystem((tx) => tx.execute(sql`update agents set status = 'suspended' where id = ${b.id}`));
    expect((await api("GET", "/api/v1/agents/@me", { token: kb.key })).status).toBe(401);
    expect((await api("GET", "/api/v1/agents/@me", { token: `ms_sk_${"A".repeat(43)}` })).status).toBe(401);
    expect((await api("GET", "/api/v1/agents/@me", { token: "ms_sk_short" })).status).toBe(401);
  });

  it("resolveApiKey returns the agent, scopes and peer; null once revoked", async () => {
    const a = await createAgent();
    const peer = await createAgent();
    const k = await mint(a, ["a2a"], { peer_agent_id: peer.id });
    const db = createDatabase(testEnv);
    try {
      expect(await resolveApiKey(db, k.key)).toEqual({
        keyId: k.id,
        agentId: a.id,
        scopes: ["a2a"],
        peerAgentId: peer.id,
      });
      await api("DELETE", `/api/v1/agents/@me/keys/${k.id}`, { token: a.token });
      expect(await resolveApiKey(db, k.key)).toBeNull();
    } finally {
      await db.close();
    }
  });

  it("refuses bad bodies: unknown fields, unknown or repeated scopes, peer without a2a", async () => {
    const a = await createAgent();
    const bad = [
      { name: "k", scopes: ["read"], admin: true },
      { name: "k", scopes: ["root"] },
      { name: "k", scopes: ["read", "read"] },
      { name: "k", scopes: [] },
      { name: "", scopes: ["read"] },
      { name: "k", scopes: ["read"], expires_in: 5 },
      { name: "k", scopes: ["read"], peer_agent_id: a.id },
    ];
    for (const body of bad) {
      const r = await api("POST", "/api/v1/agents/@me/keys", { token: a.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("a key counts against its agent's API budget exactly as its JWT does", async () => {
    const a = await createAgent();
    const k = await mint(a, ["read"]);
    const r1 = await api("GET", "/api/v1/agents/@me", { token: a.token });
    const r2 = await api("GET", "/api/v1/agents/@me", { token: k.key });
    const rem1 = Number(r1.headers.get("x-ratelimit-remaining"));
    const rem2 = Number(r2.headers.get("x-ratelimit-remaining"));
    expect(rem2).toBe(rem1 - 1);
  });

  it("opens the agent's hub socket with a read+write key; a read-only key is refused", async () => {
    const a = await createAgent();
    const rw = await mint(a, ["read", "write"]);
    const ro = await mint(a, ["read"]);
    const ok = await upgrade("", { path: "/ws", token: rw.key });
    expect(ok.status).toBe(101);
    ok.webSocket?.accept();
    ok.webSocket?.close();
    expect((await upgrade("", { path: "/ws", token: ro.key })).status).toBe(403);
  });
});
