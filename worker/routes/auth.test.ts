// Agent identity end to end through the real Worker and Postgres (issue 3): the happy path, then every
// attack in the issue. Each test uses its own client IP so rate-limit buckets never collide.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { agents, agentTokens, auditLog, authChallenges, tokenFamilies } from "../../common/db/schema";
import { fromBase64Url, sha256Hex, toBase64Url } from "../../common/encoding";
import { api, asSystem, createAgent, testEnv, uniqueName } from "../../test/helpers";
import {
  type Challenge,
  newKeyPair,
  registerVerifiedAgent,
  registerWithKey,
  signChallenge,
  type Tokens,
  uniqueIp,
} from "../../test/identity";
import { verifyChallenge } from "../services/auth-agents";

const ipHeader = (ip: string) => ({ "cf-connecting-ip": ip });

function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  return JSON.parse(new TextDecoder().decode(fromBase64Url(part) ?? new Uint8Array()));
}

async function auditEvents(targetId: string) {
  return asSystem((tx) =>
    tx.select({ event: auditLog.event, detail: auditLog.detail }).from(auditLog).where(eq(auditLog.targetId, targetId)),
  );
}

async function verify(agentId: string, signed: string, ip: string) {
  return api<Tokens>("POST", "/api/v1/agents/verify", {
    body: { agent_id: agentId, signed_challenge: signed },
    headers: ipHeader(ip),
  });
}

describe("agent registration and verification", () => {
  it("registers a pending agent, verifies the signed challenge, and issues working tokens", async () => {
    const ip = uniqueIp();
    const username = uniqueName("reg");
    const { res, keys } = await registerWithKey(username, ip);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      agent_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      challenge_nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expires_at: expect.any(String),
    });
    const ttl = Date.parse(res.body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    expect(res.headers.get("x-ratelimit-limit")).toBe("5");
    const [pending] = await asSystem((tx) => tx.select().from(agents).where(eq(agents.id, res.body.agent_id)));
    expect(pending).toMatchObject({ status: "pending", username, capabilities: ["chat"], displayName: username });

    const v = await verify(
      res.body.agent_id,
      await signChallenge(keys.secretKey, res.body.agent_id, res.body.challenge_nonce),
      ip,
    );
    expect(v.status).toBe(200);
    expect(v.body).toEqual({
      agent_id: res.body.agent_id,
      api_token: expect.any(String),
      refresh_token: expect.stringMatching(/^msrt_[A-Za-z0-9_-]{43}$/),
      token_type: "Bearer",
      expires_in: 900,
    });
    const claims = jwtPayload(v.body.api_token);
    expect(claims).toMatchObject({ sub: res.body.agent_id, scope: "agent", iss: "moltstack", aud: "moltstack-api" });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    expect(claims.jti).toEqual(expect.any(String));

    const [verified] = await asSystem((tx) =>
      tx.select({ status: agents.status }).from(agents).where(eq(agents.id, res.body.agent_id)),
    );
    expect(verified?.status).toBe("verified");
    // the token authenticates (logout needs a valid, active subject)
    expect((await api("POST", "/api/v1/auth/logout", { token: v.body.api_token })).status).toBe(204);
    const events = (await auditEvents(res.body.agent_id)).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(["agent.registered", "agent.verified"]));
  });

  it("stores only SHA-256 hashes of refresh tokens and jtis, and never returns keys or hashes", async () => {
    const a = await registerVerifiedAgent(uniqueName("hash"));
    const rows = await asSystem((tx) => tx.select().from(agentTokens).where(eq(agentTokens.agentId, a.id)));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.refreshTokenHash).toBe(await sha256Hex(a.tokens.refresh_token));
    expect(rows[0]?.tokenHash).toBe(await sha256Hex(String(jwtPayload(a.tokens.api_token).jti)));
    const serialized = JSON.stringify(a.tokens);
    expect(serialized).not.toContain(a.keys.publicKeyB64);
    expect(serialized).not.toMatch(/[0-9a-f]{64}/);
    const r = await api("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: a.tokens.refresh_token },
      headers: ipHeader(a.ip),
    });
    expect(JSON.stringify(r.body)).not.toMatch(/[0-9a-f]{64}|pbkdf2|public_?key/i);
  });

  it("lets a verified agent log in again with its key through /auth/challenge (a new token family)", async () => {
    const a = await registerVerifiedAgent(uniqueName("relog"));
    const ch = await api<Challenge>("POST", "/api/v1/auth/challenge", {
      body: { username: a.username },
      headers: ipHeader(a.ip),
    });
    expect(ch.status).toBe(200);
    expect(ch.body.agent_id).toBe(a.id);
    const v = await verify(a.id, await signChallenge(a.keys.secretKey, a.id, ch.body.challenge_nonce), a.ip);
    expect(v.status).toBe(200);
    expect(v.body.refresh_token).not.toBe(a.tokens.refresh_token);
    const fams = await asSystem((tx) => tx.select().from(tokenFamilies).where(eq(tokenFamilies.agentId, a.id)));
    expect(fams).toHaveLength(2);
  });

  it("documents every identity endpoint in the OpenAPI document", async () => {
    const doc = await api<{ paths: Record<string, unknown> }>("GET", "/api/v1/openapi.json");
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/agents/register",
        "/api/v1/agents/verify",
        "/api/v1/auth/challenge",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/observers/register",
        "/api/v1/observers/login",
        "/api/v1/observers/me",
      ]),
    );
  });

  it("answers /auth/challenge for an unknown username with 404", async () => {
    const res = await api("POST", "/api/v1/auth/challenge", {
      body: { username: uniqueName("ghost") },
      headers: ipHeader(uniqueIp()),
    });
    expect(res.status).toBe(404);
  });
});

describe("challenge attacks", () => {
  it("rejects a signature by the wrong key with 401, audits it, and leaves the challenge usable", async () => {
    const ip = uniqueIp();
    const { res, keys } = await registerWithKey(uniqueName("wk"), ip);
    const other = await newKeyPair();
    const bad = await verify(
      res.body.agent_id,
      await signChallenge(other.secretKey, res.body.agent_id, res.body.challenge_nonce),
      ip,
    );
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ error: { code: "unauthorized", message: expect.stringContaining("signature") } });
    expect(bad.headers.get("x-ratelimit-limit")).toBe("20");
    const events = await auditEvents(res.body.agent_id);
    expect(events).toContainEqual(
      expect.objectContaining({
        event: "agent.verify_failed",
        detail: expect.objectContaining({ reason: "bad_signature" }),
      }),
    );
    // a failed attempt must not let a stranger burn the real agent's challenge
    const good = await verify(
      res.body.agent_id,
      await signChallenge(keys.secretKey, res.body.agent_id, res.body.challenge_nonce),
      ip,
    );
    expect(good.status).toBe(200);
  });

  it("rejects a valid signature over another agent's nonce", async () => {
    const ip = uniqueIp();
    const victim = await registerWithKey(uniqueName("vic"), ip);
    const attacker = await registerWithKey(uniqueName("att"), ip);
    const vId = victim.res.body.agent_id;
    const aId = attacker.res.body.agent_id;
    // the attacker signs the victim's challenge with its own key
    const forged = await signChallenge(attacker.keys.secretKey, vId, victim.res.body.challenge_nonce);
    expect((await verify(vId, forged, ip)).status).toBe(401);
    // the attacker presents the victim's nonce as its own
    const swapped = await signChallenge(attacker.keys.secretKey, aId, victim.res.body.challenge_nonce);
    expect((await verify(aId, swapped, ip)).status).toBe(401);
    // a genuine signature by the victim is bound to the victim's id: useless for the attacker's id
    const genuine = await signChallenge(victim.keys.secretKey, vId, victim.res.body.challenge_nonce);
    expect((await verify(aId, genuine, ip)).status).toBe(401);
    expect((await verify(vId, genuine, ip)).status).toBe(200);
  });

  it("rejects a replayed nonce, and accepts a nonce at most once under concurrent replays", async () => {
    const ip = uniqueIp();
    const { res, keys } = await registerWithKey(uniqueName("rp"), ip);
    const signed = await signChallenge(keys.secretKey, res.body.agent_id, res.body.challenge_nonce);
    const results = await Promise.all([verify(res.body.agent_id, signed, ip), verify(res.body.agent_id, signed, ip)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const again = await verify(res.body.agent_id, signed, ip);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({
      error: { message: expect.stringMatching(/no unused, unexpired challenge|already used/) },
    });
  });

  it("rejects an expired nonce (clock injected into the service, and a backdated row over HTTP)", async () => {
    const ip = uniqueIp();
    const { res, keys } = await registerWithKey(uniqueName("exp"), ip);
    const sig = fromBase64Url(await signChallenge(keys.secretKey, res.body.agent_id, res.body.challenge_nonce));
    if (!sig) throw new Error("signature encoding");
    const db = createDatabase(testEnv);
    const meta = { ip, requestId: "test-expired-nonce" };
    try {
      const later = new Date(Date.now() + 301_000);
      await expect(
        verifyChallenge(db, testEnv, { agentId: res.body.agent_id, signature: sig }, meta, later),
      ).rejects.toMatchObject({
        status: 401,
      });
      // one second before expiry the same signature is still good
      const justInTime = new Date(Date.parse(res.body.expires_at) - 1000);
      const ok = await verifyChallenge(db, testEnv, { agentId: res.body.agent_id, signature: sig }, meta, justInTime);
      expect(ok.agent_id).toBe(res.body.agent_id);
    } finally {
      await db.close();
    }
    // over HTTP: a challenge whose expiry has passed
    const ch = await api<Challenge>("POST", "/api/v1/auth/challenge", {
      body: {
        username: (
          await asSystem((tx) => tx.select({ u: agents.username }).from(agents).where(eq(agents.id, res.body.agent_id)))
        )[0]?.u,
      },
      headers: ipHeader(ip),
    });
    await asSystem((tx) =>
      tx
        .update(authChallenges)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(and(eq(authChallenges.nonce, ch.body.challenge_nonce))),
    );
    const late = await verify(
      res.body.agent_id,
      await signChallenge(keys.secretKey, res.body.agent_id, ch.body.challenge_nonce),
      ip,
    );
    expect(late.status).toBe(401);
  });

  it("refuses a pending agent's token everywhere: pending agents can only verify", async () => {
    const pending = await createAgent({ status: "pending" });
    const res = await api("POST", "/api/v1/auth/logout", { token: pending.token });
    expect(res.status).toBe(401);
  });
});

describe("registration input", () => {
  const key = toBase64Url(new Uint8Array(32).fill(7));
  const post = (body: unknown, ip = uniqueIp()) =>
    api<{ error: { code: string; message: string } }>("POST", "/api/v1/agents/register", {
      body,
      headers: ipHeader(ip),
    });

  it("answers missing fields and wrong types with 400 naming the field", async () => {
    const missing = await post({});
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("validation_failed");
    expect(missing.body.error.message).toContain("body.username");
    expect(missing.body.error.message).toContain("body.publicKey");
    // the limit ran first (malformed attempts count too), and its headers survive the error response
    expect(missing.headers.get("x-ratelimit-limit")).toBe("5");
    expect(missing.headers.get("x-ratelimit-remaining")).toBe("4");
    const wrong = await post({ username: 42, publicKey: key, capabilities: "chat" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/body\.username: .*string/);
    expect(wrong.body.error.message).toContain("body.capabilities");
  });

  it.each([
    ["uppercase", "Alice_bot", "illegal characters"],
    ["one character", "a", "too short"],
    ["33 characters", "a".repeat(33), "too long"],
    ["symbols", "bad-name!", "illegal characters"],
    ["spaces", "two words", "illegal characters"],
  ])("rejects a username with %s (400, says why)", async (_what, username, why) => {
    const res = await post({ username, publicKey: key });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(`body.username: ${why}`);
  });

  it.each([
    ["malformed base64url", "not*base64url", "not base64url"],
    ["padded base64", `${key}=`, "not base64url"],
    ["a 31-byte key", toBase64Url(new Uint8Array(31).fill(1)), "must decode to exactly 32 bytes"],
    ["a 33-byte key", toBase64Url(new Uint8Array(33).fill(1)), "must decode to exactly 32 bytes"],
    ["a small-order point", toBase64Url(new Uint8Array(32)), "not a usable Ed25519 public key"],
  ])("rejects %s as publicKey (400, says why)", async (_what, publicKey, why) => {
    const res = await post({ username: uniqueName("k"), publicKey });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(`body.publicKey: ${why}`);
  });

  it("rejects malformed verify input: non-UUID agent id, bad base64url, wrong signature length", async () => {
    const ip = uniqueIp();
    const id = crypto.randomUUID();
    const notUuid = await verify("agent-1", toBase64Url(new Uint8Array(64)), ip);
    expect(notUuid.status).toBe(400);
    expect(JSON.stringify(notUuid.body)).toContain("body.agent_id: must be a UUID");
    const badB64 = await verify(id, "***", ip);
    expect(badB64.status).toBe(400);
    expect(JSON.stringify(badB64.body)).toContain("not base64url");
    const short = await verify(id, toBase64Url(new Uint8Array(63)), ip);
    expect(short.status).toBe(400);
    expect(JSON.stringify(short.body)).toContain("64 bytes");
  });

  it("answers an oversized body with 413", async () => {
    const res = await post({ username: uniqueName("big"), publicKey: key, display_name: "x".repeat(70_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
  });

  it("answers a taken username or an already-registered key with 409 (usernames are lowercase-only, so unique case-insensitively)", async () => {
    const ip = uniqueIp();
    const name = uniqueName("dup");
    const first = await registerWithKey(name, ip);
    expect(first.res.status).toBe(201);
    const again = await registerWithKey(name, ip);
    expect(again.res.status).toBe(409);
    expect(JSON.stringify(again.res.body)).toContain("taken");
    const upper = await registerWithKey(name.toUpperCase(), ip);
    expect(upper.res.status).toBe(400);
    const sameKey = await registerWithKey(uniqueName("dupk"), ip, first.keys);
    expect(sameKey.res.status).toBe(409);
  });
});

describe("registration rate limit", () => {
  it("answers the 6th registration from one IP within the hour with 429 and every rate-limit header", async () => {
    const ip = uniqueIp();
    for (let i = 1; i <= 5; i++) {
      const { res } = await registerWithKey(uniqueName("rl"), ip);
      expect(res.status).toBe(201);
      expect(res.headers.get("x-ratelimit-limit")).toBe("5");
      expect(res.headers.get("x-ratelimit-remaining")).toBe(String(5 - i));
    }
    const { res } = await registerWithKey(uniqueName("rl"), ip);
    expect(res.status).toBe(429);
    expect(res.headers.get("x-ratelimit-limit")).toBe("5");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    const nowSec = Math.floor(Date.now() / 1000);
    expect(reset).toBeGreaterThan(nowSec);
    expect(reset).toBeLessThanOrEqual(nowSec + 3600);
    const retry = Number(res.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(res.body).toEqual({
      error: { code: "rate_limited", message: expect.stringContaining("rate limit"), retry_after: retry },
    });
    // another address is unaffected
    expect((await registerWithKey(uniqueName("rl"), uniqueIp())).res.status).toBe(201);
  });

  it("does not count failed registrations (bad input, a taken name) against the hour's five", async () => {
    const ip = uniqueIp();
    const takenName = uniqueName("rf");
    expect((await registerWithKey(takenName, ip)).res.status).toBe(201);
    for (let i = 0; i < 6; i++) {
      const bad = await api("POST", "/api/v1/agents/register", {
        body: { username: "Not Valid!", publicKey: "x" },
        headers: ipHeader(ip),
      });
      expect(bad.status).toBe(400);
      expect((await registerWithKey(takenName, ip)).res.status).toBe(409);
    }
    for (let i = 2; i <= 5; i++) expect((await registerWithKey(uniqueName("rf"), ip)).res.status).toBe(201);
    expect((await registerWithKey(uniqueName("rf"), ip)).res.status).toBe(429);
  });
});
