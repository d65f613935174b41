// Issue 15, item 3, as an attacker who stole a login tries it: keep using its access token (REST calls
// that touch the database and the post path that does not) and the sockets it opened, after the login was
// revoked — by refresh-token reuse detection, logout, logout everywhere or suspension. Everything must stop
// within seconds: REST 401, new sockets refused, open channel and hub sockets closed with 4001. Tokens come
// from the real register → verify → refresh flow. See docs/SECURITY.md "Revocation that revokes".
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { CLOSE } from "../../protocol";
import { suspendAgent } from "../../worker/services/auth-tokens";
import { pushRevocation } from "../../worker/services/revocation";
import { api, testEnv } from "../helpers";
import { registerVerifiedAgent, type Tokens, uniqueIp } from "../identity";
import { type Client, connect, join, makeRoom, type Room, upgrade } from "../support/channel-fixtures";

type Login = Awaited<ReturnType<typeof registerVerifiedAgent>>;

async function refresh(refreshToken: string, ip: string) {
  return api<Tokens & { error?: unknown }>("POST", "/api/v1/auth/refresh", {
    body: { refresh_token: refreshToken },
    headers: { "cf-connecting-ip": ip },
  });
}

async function login(username: string): Promise<{ agent: Login; room: Room }> {
  const agent = await registerVerifiedAgent(username);
  const room = await makeRoom();
  await join(room.serverId, agent.id);
  return { agent, room };
}

const me = (token: string) => api("GET", "/api/v1/agents/@me", { token });
const post = (token: string, channelId: string, content: string) =>
  api("POST", `/api/v1/channels/${channelId}/messages`, { token, body: { content } });

/** Open a channel socket and a hub socket, and wait until both are registered where a push can find them. */
async function sockets(token: string, channelId: string): Promise<{ channel: Client; hub: Client }> {
  const channel = await connect(channelId, { token });
  const hub = await connect("", { path: "/ws", token });
  await Promise.all([channel.next("presence"), hub.next("hello")]);
  await new Promise((r) => setTimeout(r, 300)); // the channel reports the connect to the agent's hub
  return { channel, hub };
}

/** The close code the socket saw within `ms` (null: still open). */
async function closedWith(c: Client, ms = 3000) {
  const deadline = Date.now() + ms;
  while (!c.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return c.closed?.code ?? null;
}

describe("attack: using a login after it was revoked", () => {
  it("refresh-token reuse: the stolen family's access tokens and sockets die at once; other logins live", async () => {
    const { agent, room } = await login(`rv_reuse_${Date.now().toString(36)}`);
    const stolen = agent.tokens; // the attacker copied the first pair
    const ip = uniqueIp();
    const victim = await refresh(stolen.refresh_token, ip); // the victim rotates: R0 → R1
    expect(victim.status).toBe(200);
    // a second, independent login of the same agent (another device)
    const other = await registerVerifiedAgentLogin(agent);
    const attacker = await sockets(stolen.api_token, room.channelId);
    const victimSockets = await sockets(victim.body.api_token, room.channelId);
    const otherSockets = await sockets(other.api_token, room.channelId);
    expect((await me(stolen.api_token)).status).toBe(200);

    // the attacker replays R0: reuse detected, the whole family (R0, R1 and their access tokens) revoked
    expect((await refresh(stolen.refresh_token, uniqueIp())).status).toBe(401);

    for (const t of [stolen.api_token, victim.body.api_token]) {
      expect((await me(t)).status).toBe(401);
      expect((await post(t, room.channelId, "still in?")).status).toBe(401);
      expect((await upgrade(room.channelId, { token: t })).status).toBe(401);
      expect((await upgrade("", { path: "/ws", token: t })).status).toBe(401);
    }
    for (const s of [attacker, victimSockets]) {
      expect(await closedWith(s.channel)).toBe(CLOSE.unauthorized);
      expect(await closedWith(s.hub)).toBe(CLOSE.unauthorized);
    }
    // the other login is untouched
    expect((await me(other.api_token)).status).toBe(200);
    expect((await post(other.api_token, room.channelId, "other device")).status).toBe(201);
    expect(otherSockets.channel.closed).toBeNull();
    expect(otherSockets.hub.closed).toBeNull();
    for (const c of [otherSockets.channel, otherSockets.hub]) c.close();
  });

  it("logout kills the calling access token and its sockets at once; logout everywhere kills every login", async () => {
    const { agent, room } = await login(`rv_logout_${Date.now().toString(36)}`);
    const second = await registerVerifiedAgentLogin(agent);
    const third = await registerVerifiedAgentLogin(agent);
    const first = await sockets(agent.tokens.api_token, room.channelId);
    const secondSockets = await sockets(second.api_token, room.channelId);
    expect((await api("POST", "/api/v1/auth/logout", { token: agent.tokens.api_token })).status).toBe(204);
    expect((await me(agent.tokens.api_token)).status).toBe(401);
    expect((await post(agent.tokens.api_token, room.channelId, "after logout")).status).toBe(401);
    expect(await closedWith(first.channel)).toBe(CLOSE.unauthorized);
    expect(await closedWith(first.hub)).toBe(CLOSE.unauthorized);
    expect(secondSockets.channel.closed).toBeNull();
    expect((await me(second.api_token)).status).toBe(200);

    expect((await api("POST", "/api/v1/auth/logout-all", { token: third.api_token })).status).toBe(204);
    for (const t of [second.api_token, third.api_token]) {
      expect((await me(t)).status).toBe(401);
      expect((await post(t, room.channelId, "after logout-all")).status).toBe(401);
    }
    expect((await refresh(second.refresh_token, uniqueIp())).status).toBe(401);
    expect(await closedWith(secondSockets.channel)).toBe(CLOSE.unauthorized);
    expect(await closedWith(secondSockets.hub)).toBe(CLOSE.unauthorized);
  });

  it("suspension: every token and socket of the agent stops, the post path included", async () => {
    const { agent, room } = await login(`rv_susp_${Date.now().toString(36)}`);
    const s = await sockets(agent.tokens.api_token, room.channelId);
    // warm every cache that could let a post through: the channel's standing and the token check
    expect((await post(agent.tokens.api_token, room.channelId, "warm")).status).toBe(201);
    const db = createDatabase(testEnv);
    try {
      expect(await suspendAgent(db, agent.id, "hardening", { onRevoked: (r) => pushRevocation(testEnv, r) })).toBe(
        true,
      );
    } finally {
      await db.close();
    }
    expect((await post(agent.tokens.api_token, room.channelId, "after suspension")).status).toBe(401);
    expect((await me(agent.tokens.api_token)).status).toBe(401);
    expect(await closedWith(s.channel)).toBe(CLOSE.unauthorized);
    expect(await closedWith(s.hub)).toBe(CLOSE.unauthorized);
  });
});

describe("attack: an observer's login after logout", () => {
  it("the observer's access token stops at once after logout, and after a refresh-token reuse", async () => {
    const ip = uniqueIp();
    const email = `rv_obs_${Date.now().toString(36)}@example.com`;
    const password = "correct horse battery staple";
    const reg = await api("POST", "/api/v1/observers/register", {
      body: { email, password, display_name: "rv" },
      headers: { "cf-connecting-ip": ip },
    });
    expect(reg.status).toBe(201);
    const loginOnce = async () => {
      const r = await api<Tokens>("POST", "/api/v1/observers/login", {
        body: { email, password },
        headers: { "cf-connecting-ip": ip },
      });
      expect(r.status).toBe(200);
      return r.body;
    };
    const a = await loginOnce();
    expect((await api("GET", "/api/v1/observers/me", { token: a.api_token })).status).toBe(200);
    expect((await api("POST", "/api/v1/auth/logout", { token: a.api_token })).status).toBe(204);
    expect((await api("GET", "/api/v1/observers/me", { token: a.api_token })).status).toBe(401);
    const b = await loginOnce();
    expect((await refresh(b.refresh_token, uniqueIp())).status).toBe(200);
    expect((await refresh(b.refresh_token, uniqueIp())).status).toBe(401); // reuse: the family is revoked
    expect((await api("GET", "/api/v1/observers/me", { token: b.api_token })).status).toBe(401);
  });
});

/** Another login (token family) of an agent that went through register → verify: challenge → verify. */
async function registerVerifiedAgentLogin(agent: Login): Promise<Tokens> {
  const { signChallenge } = await import("../identity");
  const ch = await api<{ challenge_nonce: string }>("POST", "/api/v1/auth/challenge", {
    body: { username: agent.username },
    headers: { "cf-connecting-ip": agent.ip },
  });
  expect(ch.status).toBe(200);
  const v = await api<Tokens>("POST", "/api/v1/agents/verify", {
    body: {
      agent_id: agent.id,
      signed_challenge: await signChallenge(agent.keys.secretKey, agent.id, ch.body.challenge_nonce),
      challenge_nonce: ch.body.challenge_nonce,
    },
    headers: { "cf-connecting-ip": agent.ip },
  });
  expect(v.status).toBe(200);
  return v.body;
}
