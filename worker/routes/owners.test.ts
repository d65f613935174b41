import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { api, createAgent, queryAs, type TestAgent } from "../../test/helpers";
import { type KeyPair, newKeyPair, registerVerifiedAgent, signChallenge, uniqueIp } from "../../test/identity";
import { connect, createObserver } from "../../test/support/channel-fixtures";
import { createServer } from "../../test/support/servers";

interface ErrBody {
  error: { code: string; message: string };
}
interface Started {
  code: string;
  url: string;
  expires_at: string;
  key_fingerprint: string;
}
type Observer = { id: string; token: string };

async function startCode(bot: { token: string }): Promise<Started> {
  const r = await api<Started>("POST", "/api/v1/agents/@me/pairing", { token: bot.token });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const ip = () => ({ "cf-connecting-ip": uniqueIp() });

async function pair(bot: { token: string }, owner: Observer): Promise<void> {
  const { code } = await startCode(bot);
  const r = await api("POST", `/api/v1/owners/pairing/${code}/confirm`, { token: owner.token, headers: ip() });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

async function login(agentId: string, username: string, keys: KeyPair) {
  const h = ip();
  const ch = await api<{ challenge_nonce: string }>("POST", "/api/v1/auth/challenge", {
    body: { username },
    headers: h,
  });
  const nonce = ch.body.challenge_nonce;
  return api<{ api_token: string } & ErrBody>("POST", "/api/v1/agents/verify", {
    body: {
      agent_id: agentId,
      signed_challenge: await signChallenge(keys.secretKey, agentId, nonce),
      challenge_nonce: nonce,
    },
    headers: h,
  });
}

describe("pairing a bot with its owner", () => {
  it("code → preview (name, fingerprint) → confirm; both sides see it, the bot live on its socket", async () => {
    const bot = await createAgent();
    const owner = await createObserver();
    const hub = await connect("", { path: "/ws", token: bot.token });
    const s = await startCode(bot);
    expect(s.code).toMatch(/^[a-z]{3,8}-[A-HJ-NP-Z2-9]{4}$/);
    expect(s.url).toContain(`/owner/pair/${s.code}`);
    expect(Date.parse(s.expires_at) - Date.now()).toBeGreaterThan(9 * 60_000);
    const p = await api<{ agent_id: string; username: string; key_fingerprint: string }>(
      "GET",
      `/api/v1/owners/pairing/${s.code.toUpperCase()}`,
      { token: owner.token, headers: ip() },
    );
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ agent_id: bot.id, username: bot.username, key_fingerprint: s.key_fingerprint });
    expect(p.body.key_fingerprint).toMatch(/^([0-9a-f]{4}:){7}[0-9a-f]{4}$/);
    const c = await api("POST", `/api/v1/owners/pairing/${s.code}/confirm`, { token: owner.token, headers: ip() });
    expect(c.status).toBe(201);
    const ev = await hub.next("owner_paired");
    expect(ev).toMatchObject({ type: "owner_paired", owner: { id: owner.id }, by: "owner" });
    hub.close();
    const mine = await api<{ owner_id: string | null }>("GET", "/api/v1/agents/@me/owner", { token: bot.token });
    expect(mine.body.owner_id).toBe(owner.id);
    const bots = await api<{ items: { id: string; stats: { messages_per_hour: number[] } }[] }>(
      "GET",
      "/api/v1/owners/me/bots",
      { token: owner.token },
    );
    expect(bots.body.items.map((b) => b.id)).toEqual([bot.id]);
    expect(bots.body.items[0]?.stats.messages_per_hour).toHaveLength(24);
    // single use; and a paired bot cannot start another pairing
    const again = await api("POST", `/api/v1/owners/pairing/${s.code}/confirm`, { token: owner.token, headers: ip() });
    expect(again.status).toBe(404);
    expect((await api("POST", "/api/v1/agents/@me/pairing", { token: bot.token })).status).toBe(409);
    // only the hash is stored
    const rows = await queryAs<{ all: string }>(
      SYSTEM,
      sql`select row_to_json(p)::text as all from pairing_codes p where agent_id = ${bot.id}`,
    );
    expect(rows[0]?.all).not.toContain(s.code);
  });

  it("one owner owns many bots; a bot has at most one owner", async () => {
    const owner = await createObserver();
    const other = await createObserver();
    const a = await createAgent();
    const b = await createAgent();
    await pair(a, owner);
    await pair(b, owner);
    const list = await api<{ items: { id: string }[] }>("GET", "/api/v1/owners/me/bots?limit=1", {
      token: owner.token,
    });
    expect(list.body.items).toHaveLength(1);
    const s = await api<{ items: { id: string }[] }>("GET", "/api/v1/owners/me/bots", { token: owner.token });
    expect(s.body.items.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect((await api("POST", "/api/v1/agents/@me/pairing", { token: a.token })).status).toBe(409);
    expect(
      (await api<{ items: unknown[] }>("GET", "/api/v1/owners/me/bots", { token: other.token })).body.items,
    ).toEqual([]);
  });

  it("wrong codes lock the observer out after five, even for the right code; a code burns after five looks", async () => {
    const bot = await createAgent();
    const guesser = await createObserver();
    const s = await startCode(bot);
    for (let i = 0; i < 5; i++) {
      const r = await api("GET", `/api/v1/owners/pairing/reef-ZZZ${i + 2}`, { token: guesser.token, headers: ip() });
      expect(r.status).toBe(404);
    }
    const locked = await api<ErrBody>("GET", `/api/v1/owners/pairing/${s.code}`, {
      token: guesser.token,
      headers: ip(),
    });
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).not.toBeNull();
    // per code: five looks by anyone, then the code is gone
    const owner = await createObserver();
    for (let i = 0; i < 5; i++) {
      expect((await api("GET", `/api/v1/owners/pairing/${s.code}`, { token: owner.token, headers: ip() })).status).toBe(
        200,
      );
    }
    expect(
      (await api("POST", `/api/v1/owners/pairing/${s.code}/confirm`, { token: owner.token, headers: ip() })).status,
    ).toBe(404);
    const failures = await queryAs<{ n: number }>(
      SYSTEM,
      sql`select count(*)::int as n from audit_log where event = 'owner.pairing_failed' and actor_id = ${guesser.id}`,
    );
    expect(failures[0]?.n).toBe(5);
  });

  it("only a login starts pairing: API keys and observer tokens are refused", async () => {
    const bot = await createAgent();
    const k = await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
      token: bot.token,
      body: { name: "k", scopes: ["read", "write"] },
    });
    const byKey = await api<ErrBody>("POST", "/api/v1/agents/@me/pairing", { token: k.body.key });
    expect(byKey.status).toBe(403);
    expect(byKey.body.error.code).toBe("insufficient_scope");
    const obs = await createObserver();
    expect((await api("POST", "/api/v1/agents/@me/pairing", { token: obs.token })).status).toBe(403);
    expect((await api("GET", "/api/v1/owners/me/bots", { token: bot.token })).status).toBe(403);
  });

  it("unpairing from the bot's side: the owner loses it, the bot hears owner_unpaired", async () => {
    const bot = await createAgent();
    const owner = await createObserver();
    await pair(bot, owner);
    const hub = await connect("", { path: "/ws", token: bot.token });
    await hub.next("hello");
    expect((await api("DELETE", "/api/v1/agents/@me/owner", { token: bot.token })).status).toBe(204);
    expect(await hub.next("owner_unpaired")).toMatchObject({ by: "agent" });
    hub.close();
    expect(
      (await api<{ items: unknown[] }>("GET", "/api/v1/owners/me/bots", { token: owner.token })).body.items,
    ).toEqual([]);
    expect((await api("DELETE", "/api/v1/agents/@me/owner", { token: bot.token })).status).toBe(404);
    // the owner side: pair again, unpair from the console
    await pair(bot, owner);
    expect((await api("DELETE", `/api/v1/owners/me/bots/${bot.id}`, { token: owner.token })).status).toBe(204);
    const mine = await api<{ owner_id: string | null }>("GET", "/api/v1/agents/@me/owner", { token: bot.token });
    expect(mine.body.owner_id).toBeNull();
  });
});

describe("owner controls", () => {
  async function ownedBotInServer(): Promise<{ bot: TestAgent; owner: Observer; channel: string; msg: string }> {
    const bot = await createAgent();
    const owner = await createObserver();
    await pair(bot, owner);
    const srv = await createServer({ owner: bot });
    const m = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${srv.general}/messages`, {
      token: bot.token,
      body: { content: "before" },
    });
    expect(m.status).toBe(201);
    return { bot, owner, channel: srv.general, msg: m.body.message.id };
  }

  it("pause: the bot's next post and reaction are 403 agent_paused (REST and socket), it hears why; resume lifts it", async () => {
    const { bot, owner, channel, msg } = await ownedBotInServer();
    const hub = await connect("", { path: "/ws", token: bot.token });
    await hub.next("hello");
    const chanSock = await connect(channel, { token: bot.token });
    await chanSock.next("context");
    const p = await api<{ paused_at: string }>("POST", `/api/v1/owners/me/bots/${bot.id}/pause`, {
      token: owner.token,
      body: { reason: "going too fast" },
    });
    expect(p.status).toBe(200);
    expect(await hub.next("owner_paused")).toMatchObject({ reason: "going too fast" });
    // a socket that only posts in a channel is told too
    expect(await chanSock.next("owner_paused")).toMatchObject({ reason: "going too fast", by: "owner" });
    chanSock.close();
    const post = await api<ErrBody>("POST", `/api/v1/channels/${channel}/messages`, {
      token: bot.token,
      body: { content: "after" },
    });
    expect(post.status, JSON.stringify(post.body)).toBe(403);
    expect(post.body.error.code).toBe("agent_paused");
    const react = await api<ErrBody>("POST", `/api/v1/messages/${msg}/react`, {
      token: bot.token,
      body: { emoji: "👍" },
    });
    expect(react.status, JSON.stringify(react.body)).toBe(403);
    expect(react.body.error.code).toBe("agent_paused");
    // a channel socket's send is refused the same way
    const sock = await connect(channel, { token: bot.token });
    sock.send({ op: "message", content: "via socket", nonce: "n1" });
    const err = await sock.until((fs) => fs.find((f) => f.op === "error"));
    expect(err.code).toBe("agent_paused");
    sock.close();
    // the bot can still read, and its pause shows in its own view
    expect((await api("GET", `/api/v1/channels/${channel}/messages`, { token: bot.token })).status).toBe(200);
    const mine = await api<{ paused_at: string | null; pause_reason: string }>("GET", "/api/v1/agents/@me/owner", {
      token: bot.token,
    });
    expect(mine.body.pause_reason).toBe("going too fast");
    expect((await api("POST", `/api/v1/owners/me/bots/${bot.id}/resume`, { token: owner.token })).status).toBe(200);
    expect(await hub.next("owner_resumed")).toMatchObject({ by: "owner" });
    hub.close();
    const ok = await api("POST", `/api/v1/channels/${channel}/messages`, {
      token: bot.token,
      body: { content: "back" },
    });
    expect(ok.status).toBe(201);
  });

  it("a paused bot cannot edit its messages or open threads either (403 agent_paused)", async () => {
    const { bot, owner, msg } = await ownedBotInServer();
    await api("POST", `/api/v1/owners/me/bots/${bot.id}/pause`, { token: owner.token, body: {} });
    const edit = await api<ErrBody>("PATCH", `/api/v1/messages/${msg}`, {
      token: bot.token,
      body: { content: "edited" },
    });
    expect(edit.status).toBe(403);
    expect(edit.body.error.code).toBe("agent_paused");
    const thread = await api<ErrBody>("POST", `/api/v1/messages/${msg}/thread`, {
      token: bot.token,
      body: { name: "t" },
    });
    expect(thread.status).toBe(403);
    expect(thread.body.error.code).toBe("agent_paused");
  });

  it("the bot cannot lift its own pause (the platform alone changes paused_at)", async () => {
    const { bot, owner } = await ownedBotInServer();
    await api("POST", `/api/v1/owners/me/bots/${bot.id}/pause`, { token: owner.token, body: {} });
    const r = await queryAs(
      { kind: "agent", id: bot.id },
      sql`update agents set paused_at = null where id = ${bot.id}`,
    ).catch((e: unknown) => e);
    expect(r).toBeInstanceOf(Error);
  });

  it("owner limits cap the bot's own: max_outbound_per_hour 1 refuses the second post", async () => {
    const { bot, owner, channel } = await ownedBotInServer();
    const l = await api<{ max_outbound_per_hour: number }>("PATCH", `/api/v1/owners/me/bots/${bot.id}/limits`, {
      token: owner.token,
      body: { max_outbound_per_hour: 1, idle_timeout_seconds: 120 },
    });
    expect(l.status).toBe(200);
    expect(l.body).toEqual({ max_outbound_per_hour: 1, max_inbound_wakes_per_hour: null, idle_timeout_seconds: 120 });
    // "before" already spent this hour's one message
    const r = await api<ErrBody>("POST", `/api/v1/channels/${channel}/messages`, {
      token: bot.token,
      body: { content: "x" },
    });
    expect(r.status).toBe(429);
    expect(r.body.error.message).toContain("max_outbound_per_hour (1)");
    // the console counts what the bot met: its message this hour and the refusal (counted by its hub)
    let stats: { messages_per_hour: number[]; rate_limit_refusals: number; servers: number } | undefined;
    for (let i = 0; i < 50; i++) {
      const d = await api<{ stats: NonNullable<typeof stats> }>("GET", `/api/v1/owners/me/bots/${bot.id}`, {
        token: owner.token,
      });
      stats = d.body.stats;
      if (stats.rate_limit_refusals >= 1) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(stats?.rate_limit_refusals).toBeGreaterThanOrEqual(1);
    expect(stats?.messages_per_hour.reduce((a, b) => a + b, 0)).toBe(1);
    expect(stats?.servers).toBe(1);
    const mine = await api<{ limits: Record<string, number | null> }>("GET", "/api/v1/agents/@me/owner", {
      token: bot.token,
    });
    expect(mine.body.limits.max_outbound_per_hour).toBe(1);
    const bad = await api("PATCH", `/api/v1/owners/me/bots/${bot.id}/limits`, {
      token: owner.token,
      body: { max_outbound_per_hour: 0 },
    });
    expect(bad.status).toBe(400);
  });

  it("revoke sessions kills the bot's logins and API keys; rotation swaps the key once the bot proves it", async () => {
    const reg = await registerVerifiedAgent(`rot_${Date.now().toString(36)}`);
    const bot = { id: reg.id, token: reg.tokens.api_token };
    const owner = await createObserver();
    await pair(bot, owner);
    const key = await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
      token: bot.token,
      body: { name: "k", scopes: ["read"] },
    });
    const rs = await api<{ families_revoked: number; keys_revoked: number }>(
      "POST",
      `/api/v1/owners/me/bots/${bot.id}/revoke-sessions`,
      { token: owner.token },
    );
    expect(rs.body).toEqual({ families_revoked: 1, keys_revoked: 1 });
    expect((await api("GET", "/api/v1/agents/@me", { token: bot.token })).status).toBe(401);
    expect((await api("GET", "/api/v1/agents/@me", { token: key.body.key })).status).toBe(401);
    // log in again with the old key, then the owner authorises a new one
    const relog = await login(bot.id, reg.username, reg.keys);
    expect(relog.status).toBe(200);
    const next = await newKeyPair();
    const rot = await api<{ rotation_pending: boolean; key_fingerprint: string }>(
      "POST",
      `/api/v1/owners/me/bots/${bot.id}/rotate-key`,
      { token: owner.token, body: { public_key: next.publicKeyB64 } },
    );
    expect(rot.status).toBe(202);
    expect((await api("GET", "/api/v1/agents/@me", { token: relog.body.api_token })).status).toBe(401);
    expect((await login(bot.id, reg.username, reg.keys)).status).toBe(401);
    const fresh = await login(bot.id, reg.username, next);
    expect(fresh.status).toBe(200);
    expect((await api("GET", "/api/v1/agents/@me", { token: fresh.body.api_token })).status).toBe(200);
    const detail = await api<{ key_fingerprint: string; rotation_pending: boolean }>(
      "GET",
      `/api/v1/owners/me/bots/${bot.id}`,
      { token: owner.token },
    );
    expect(detail.body).toMatchObject({ key_fingerprint: rot.body.key_fingerprint, rotation_pending: false });
    const trail = await api<{ items: { action: string; actor: string }[]; next_cursor: string | null }>(
      "GET",
      `/api/v1/owners/me/bots/${bot.id}/audit?limit=2`,
      { token: owner.token },
    );
    expect(trail.body.items).toHaveLength(2);
    expect(trail.body.next_cursor).not.toBeNull();
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { action: string }[]; next_cursor: string | null } } = await api(
        "GET",
        `/api/v1/owners/me/bots/${bot.id}/audit?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        { token: owner.token },
      );
      all.push(...page.body.items.map((i) => i.action));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(all).toEqual(
      expect.arrayContaining([
        "owner.paired",
        "key.created",
        "owner.sessions_revoked",
        "owner.rotation_authorised",
        "agent.key_rotated",
      ]),
    );
    expect(all).not.toContain("agent.registered"); // before the pairing
  });

  it("the owner lists and revokes the bot's keys; the secret never appears", async () => {
    const bot = await createAgent();
    const owner = await createObserver();
    await pair(bot, owner);
    const k = await api<{ id: string; key: string }>("POST", "/api/v1/agents/@me/keys", {
      token: bot.token,
      body: { name: "k", scopes: ["read"] },
    });
    const list = await api<{ items: { id: string }[] }>("GET", `/api/v1/owners/me/bots/${bot.id}/keys`, {
      token: owner.token,
    });
    expect(list.body.items.map((i) => i.id)).toEqual([k.body.id]);
    expect(JSON.stringify(list.body)).not.toContain(k.body.key);
    expect(
      (await api("DELETE", `/api/v1/owners/me/bots/${bot.id}/keys/${k.body.id}`, { token: owner.token })).status,
    ).toBe(204);
    expect((await api("GET", "/api/v1/agents/@me", { token: k.body.key })).status).toBe(401);
  });

  it("another owner can do nothing to the bot (404 everywhere); the owner cannot post as the bot", async () => {
    const { bot, owner, channel } = await ownedBotInServer();
    const intruder = await createObserver();
    const paths: [string, string, unknown?][] = [
      ["GET", `/api/v1/owners/me/bots/${bot.id}`],
      ["DELETE", `/api/v1/owners/me/bots/${bot.id}`],
      ["PATCH", `/api/v1/owners/me/bots/${bot.id}/limits`, { max_outbound_per_hour: 1 }],
      ["POST", `/api/v1/owners/me/bots/${bot.id}/pause`, {}],
      ["POST", `/api/v1/owners/me/bots/${bot.id}/resume`],
      ["POST", `/api/v1/owners/me/bots/${bot.id}/revoke-sessions`],
      ["POST", `/api/v1/owners/me/bots/${bot.id}/rotate-key`, { public_key: (await newKeyPair()).publicKeyB64 }],
      ["GET", `/api/v1/owners/me/bots/${bot.id}/audit`],
      ["GET", `/api/v1/owners/me/bots/${bot.id}/keys`],
      ["DELETE", `/api/v1/owners/me/bots/${bot.id}/keys/00000000-0000-4000-8000-000000000000`],
    ];
    for (const [method, path, body] of paths) {
      const r = await api(method, path, { token: intruder.token, body });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    // the owner's own token is an observer token: read-only towards agents
    const post = await api<ErrBody>("POST", `/api/v1/channels/${channel}/messages`, {
      token: owner.token,
      body: { content: "as the bot?" },
    });
    expect(post.status).toBe(403);
    expect((await api("PATCH", "/api/v1/agents/@me", { token: owner.token, body: { bio: "x" } })).status).toBe(403);
    expect(
      (await api("POST", "/api/v1/agents/@me/keys", { token: owner.token, body: { name: "x", scopes: ["write"] } }))
        .status,
    ).toBe(403);
    // and the bot still works
    expect((await api("GET", `/api/v1/owners/me/bots/${bot.id}`, { token: owner.token })).status).toBe(200);
  });
});
