// Refresh rotation, reuse detection, logout and suspension (issue 3), through the real Worker.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { agentTokens, auditLog, tokenFamilies } from "../../common/db/schema";
import { api, asSystem, testEnv, uniqueName } from "../../test/helpers";
import { type Challenge, registerVerifiedAgent, signChallenge, type Tokens, uniqueIp } from "../../test/identity";
import { suspendAgent } from "./auth-tokens";

type Refreshed = Tokens & { scope: string };

const refresh = (refresh_token: string, ip: string) =>
  api<Refreshed>("POST", "/api/v1/auth/refresh", { body: { refresh_token }, headers: { "cf-connecting-ip": ip } });

async function familiesOf(agentId: string) {
  return asSystem((tx) => tx.select().from(tokenFamilies).where(eq(tokenFamilies.agentId, agentId)));
}

describe("refresh tokens", () => {
  it("rotates: each refresh returns a new working pair in the same family", async () => {
    const a = await registerVerifiedAgent(uniqueName("rot"));
    const r1 = await refresh(a.tokens.refresh_token, a.ip);
    expect(r1.status).toBe(200);
    expect(r1.body).toEqual({
      agent_id: a.id,
      scope: "agent",
      api_token: expect.any(String),
      refresh_token: expect.stringMatching(/^msrt_/),
      token_type: "Bearer",
      expires_in: 900,
    });
    expect(r1.body.refresh_token).not.toBe(a.tokens.refresh_token);
    expect(r1.headers.get("x-ratelimit-limit")).toBe("60");
    const r2 = await refresh(r1.body.refresh_token, a.ip);
    expect(r2.status).toBe(200);
    expect((await api("POST", "/api/v1/auth/logout", { token: r2.body.api_token })).status).toBe(204);
    const fams = await familiesOf(a.id);
    expect(fams).toHaveLength(1);
    const rows = await asSystem((tx) => tx.select().from(agentTokens).where(eq(agentTokens.agentId, a.id)));
    expect(rows).toHaveLength(3);
  });

  it("revokes the whole family when a rotated token is presented again: the descendant dies too", async () => {
    const a = await registerVerifiedAgent(uniqueName("reuse"));
    const stolen = a.tokens.refresh_token;
    const legit = await refresh(stolen, a.ip); // the client rotates
    expect(legit.status).toBe(200);
    const replay = await refresh(stolen, a.ip); // the thief replays the old token
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({
      error: { code: "unauthorized", message: expect.stringContaining("already used") },
    });
    // the descendant the client holds is now dead as well
    const descendant = await refresh(legit.body.refresh_token, a.ip);
    expect(descendant.status).toBe(401);
    const [fam] = await familiesOf(a.id);
    expect(fam?.revokedAt).toBeInstanceOf(Date);
    expect(fam?.revokedReason).toBe("reuse");
    const events = await asSystem((tx) =>
      tx
        .select()
        .from(auditLog)
        .where(eq(auditLog.targetId, fam?.id ?? "")),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ event: "auth.refresh_reuse", actorKind: "agent", actorId: a.id, ip: a.ip }),
    );
  });

  it("rejects unknown and malformed refresh tokens with 401/400", async () => {
    const ip = uniqueIp();
    expect((await refresh("msrt_not-a-real-token", ip)).status).toBe(401);
    const missing = await api("POST", "/api/v1/auth/refresh", { body: {}, headers: { "cf-connecting-ip": ip } });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain("body.refresh_token");
  });
});

describe("logout", () => {
  it("revokes only the calling token's family: other logins keep working", async () => {
    const a = await registerVerifiedAgent(uniqueName("out"));
    const ch = await api<Challenge>("POST", "/api/v1/auth/challenge", {
      body: { username: a.username },
      headers: { "cf-connecting-ip": a.ip },
    });
    const second = await api<Tokens>("POST", "/api/v1/agents/verify", {
      body: { agent_id: a.id, signed_challenge: await signChallenge(a.keys.secretKey, a.id, ch.body.challenge_nonce) },
      headers: { "cf-connecting-ip": a.ip },
    });
    expect(second.status).toBe(200);
    const out = await api("POST", "/api/v1/auth/logout", {
      token: a.tokens.api_token,
      headers: { "cf-connecting-ip": a.ip },
    });
    expect(out.status).toBe(204);
    expect((await refresh(a.tokens.refresh_token, a.ip)).status).toBe(401);
    expect((await refresh(second.body.refresh_token, a.ip)).status).toBe(200);
    const events = await asSystem((tx) => tx.select().from(auditLog).where(eq(auditLog.actorId, a.id)));
    expect(events.map((e) => e.event)).toContain("auth.logout");
  });

  it("requires a bearer token", async () => {
    const res = await api("POST", "/api/v1/auth/logout");
    expect(res.status).toBe(401);
  });
});

describe("suspension", () => {
  it("revokes every family, refuses the still-unexpired access token with 401, and blocks new logins", async () => {
    const a = await registerVerifiedAgent(uniqueName("sus"));
    const db = createDatabase(testEnv);
    try {
      expect(await suspendAgent(db, a.id, "spam", { meta: { ip: a.ip, requestId: "test-suspend" } })).toBe(true);
      expect(await suspendAgent(db, a.id, "again")).toBe(false);
    } finally {
      await db.close();
    }
    const logout = await api("POST", "/api/v1/auth/logout", { token: a.tokens.api_token });
    expect(logout.status).toBe(401);
    expect((await refresh(a.tokens.refresh_token, a.ip)).status).toBe(401);
    const fams = await familiesOf(a.id);
    expect(fams.every((f) => f.revokedReason === "suspended")).toBe(true);
    const ch = await api("POST", "/api/v1/auth/challenge", {
      body: { username: a.username },
      headers: { "cf-connecting-ip": a.ip },
    });
    expect(ch.status).toBe(403);
    const events = await asSystem((tx) => tx.select().from(auditLog).where(eq(auditLog.targetId, a.id)));
    expect(events).toContainEqual(
      expect.objectContaining({ event: "agent.suspended", detail: { reason: "spam", families_revoked: 1 } }),
    );
  });
});
