// The auth middleware against forged and stale tokens (issue 3), the read-only rule for observers, and
// the per-subject API rate limit. Token attacks go through the real Worker (POST /api/v1/auth/logout is
// behind requireAuth); agent-only behaviour is exercised on a probe route added to a real app instance.
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url, utf8 } from "../../common/encoding";
import { api, createAgent, testEnv } from "../../test/helpers";
import { createObserver } from "../../test/support/channel-fixtures";
import { createApp } from "../app";
import { signAccessToken } from "../auth/tokens";
import { currentAgentId, requireAgent } from "./auth";

const logout = (token: string) => api<{ error: { message: string } }>("POST", "/api/v1/auth/logout", { token });

function probeApp() {
  const app = createApp();
  app.post("/api/v1/_probe/agent-mutation", requireAgent, (c) => c.json({ agent_id: currentAgentId(c) }, 200));
  return app;
}

async function probe(app: ReturnType<typeof probeApp>, token?: string) {
  const res = await app.request(
    "/api/v1/_probe/agent-mutation",
    { method: "POST", headers: token ? { authorization: `Bearer ${token}` } : {} },
    testEnv,
  );
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const secret = utf8(testEnv.JWT_SECRET);
const baseJwt = (sub: string) =>
  new SignJWT({ scope: "agent" })
    .setSubject(sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime("10m")
    .setIssuer(testEnv.JWT_ISSUER)
    .setAudience("moltstack-api");

describe("access token verification", () => {
  it("accepts a genuine token (control)", async () => {
    const a = await createAgent();
    expect((await logout(a.token)).status).toBe(204);
  });

  it("rejects a tampered token: payload changed, or signature altered", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const [h, p, s] = a.token.split(".") as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(fromBase64Url(p) ?? new Uint8Array()));
    const forgedPayload = toBase64Url(utf8(JSON.stringify({ ...claims, sub: b.id })));
    const swapped = await logout(`${h}.${forgedPayload}.${s}`);
    expect(swapped.status).toBe(401);
    expect(swapped.body.error.message).toBe("access token invalid");
    const flipped = `${h}.${p}.${s.startsWith("A") ? `B${s.slice(1)}` : `A${s.slice(1)}`}`;
    expect((await logout(flipped)).status).toBe(401);
  });

  it("rejects an expired token", async () => {
    const a = await createAgent();
    const { token } = await signAccessToken(
      testEnv,
      { sub: a.id, scope: "agent" },
      { nowSeconds: Math.floor(Date.now() / 1000) - 901 },
    );
    const res = await logout(token);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe("access token expired");
  });

  it("rejects alg none", async () => {
    const a = await createAgent();
    const none = new UnsecuredJWT({ scope: "agent" })
      .setSubject(a.id)
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime("10m")
      .setIssuer(testEnv.JWT_ISSUER)
      .setAudience("moltstack-api")
      .encode();
    expect((await logout(none)).status).toBe(401);
  });

  it("rejects a wrong issuer, a wrong audience, another key, and another HMAC algorithm", async () => {
    const a = await createAgent();
    const iss = await baseJwt(a.id).setIssuer("evil").setProtectedHeader({ alg: "HS256" }).sign(secret);
    const issRes = await logout(iss);
    expect(issRes.status).toBe(401);
    expect(issRes.body.error.message).toContain("iss");
    const aud = await baseJwt(a.id).setAudience("other-api").setProtectedHeader({ alg: "HS256" }).sign(secret);
    const audRes = await logout(aud);
    expect(audRes.status).toBe(401);
    expect(audRes.body.error.message).toContain("aud");
    const otherKey = await baseJwt(a.id)
      .setProtectedHeader({ alg: "HS256" })
      .sign(utf8("x".repeat(48)));
    expect((await logout(otherKey)).status).toBe(401);
    const hs512 = await baseJwt(a.id).setProtectedHeader({ alg: "HS512" }).sign(secret);
    expect((await logout(hs512)).status).toBe(401);
  });

  it("rejects a token for a subject that does not exist, and a non-Bearer Authorization header", async () => {
    const { token } = await signAccessToken(testEnv, { sub: crypto.randomUUID(), scope: "agent" });
    expect((await logout(token)).status).toBe(401);
    const basic = await api("POST", "/api/v1/auth/logout", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.status).toBe(401);
  });
});

describe("agent-only routes", () => {
  it("answers an observer token on an agent mutation with 403 read_only, and no token with 401", async () => {
    const app = probeApp();
    // a real observer (a token for an account that does not exist is a 401 since issue 15)
    const { token } = await createObserver();
    const res = await probe(app, token);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: "read_only", message: "observer tokens are read-only" } });
    expect((await probe(app)).status).toBe(401);
  });

  it("lets an agent token through and reports its id", async () => {
    const a = await createAgent();
    const res = await probe(probeApp(), a.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ agent_id: a.id });
  });
});

describe("API rate limit", () => {
  it("allows 100 authenticated calls per minute per agent, answers the 101st with 429, and counts agents apart", async () => {
    const app = probeApp();
    const { token } = await createAgent();
    // align to the start of a fixed window so the 101 calls cannot straddle two windows
    const intoWindow = (Date.now() / 1000) % 60;
    if (intoWindow > 50) await new Promise((r) => setTimeout(r, (61 - intoWindow) * 1000));
    let last = await probe(app, token);
    expect(last.headers.get("x-ratelimit-limit")).toBe("100");
    expect(last.headers.get("x-ratelimit-remaining")).toBe("99");
    for (let i = 2; i <= 100; i++) last = await probe(app, token);
    expect(last.status).toBe(200);
    expect(last.headers.get("x-ratelimit-remaining")).toBe("0");
    const over = await probe(app, token);
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(over.headers.get("x-ratelimit-reset")).toMatch(/^\d{10}$/);
    expect(over.body).toMatchObject({ error: { code: "rate_limited", retry_after: expect.any(Number) } });
    const other = await createAgent();
    expect((await probe(app, other.token)).status).toBe(200);
    // a well-signed token for an agent that does not exist is refused before any route runs
    const ghost = await signAccessToken(testEnv, { sub: crypto.randomUUID(), scope: "agent" });
    expect((await probe(app, ghost.token)).status).toBe(401);
  });
});
