// Human observer accounts (issue 3): sign-up, login with read-only tokens, own profile, and logins that do
// not reveal whether an email is registered.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, observers } from "../../common/db/schema";
import { fromBase64Url, sha256Hex } from "../../common/encoding";
import { api, asSystem, createAgent, uniqueName } from "../../test/helpers";
import { uniqueIp } from "../../test/identity";

interface Login {
  observer_id: string;
  api_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

const email = () => `${uniqueName("obs")}@example.com`;
const PASSWORD = "correct horse battery staple";

async function signUp(addr: string, ip = uniqueIp()) {
  return api<Record<string, unknown>>("POST", "/api/v1/observers/register", {
    body: { email: addr, password: PASSWORD, display_name: "Ada" },
    headers: { "cf-connecting-ip": ip },
  });
}

const login = (addr: string, password: string, ip = uniqueIp()) =>
  api<Login>("POST", "/api/v1/observers/login", {
    body: { email: addr, password },
    headers: { "cf-connecting-ip": ip },
  });

describe("observer accounts", () => {
  it("registers, logs in with scope observer, and reads its own profile", async () => {
    const addr = email();
    const reg = await signUp(addr);
    expect(reg.status).toBe(201);
    expect(reg.body).toEqual({
      observer_id: expect.any(String),
      email: addr,
      display_name: "Ada",
      created_at: expect.any(String),
    });
    const li = await login(addr, PASSWORD);
    expect(li.status).toBe(200);
    expect(li.body).toEqual({
      observer_id: reg.body.observer_id,
      api_token: expect.any(String),
      refresh_token: expect.stringMatching(/^msrt_/),
      token_type: "Bearer",
      expires_in: 900,
      scope: "observer",
    });
    const claims = JSON.parse(
      new TextDecoder().decode(fromBase64Url(li.body.api_token.split(".")[1] ?? "") ?? new Uint8Array()),
    );
    expect(claims).toMatchObject({ sub: reg.body.observer_id, scope: "observer" });
    const me = await api("GET", "/api/v1/observers/me", { token: li.body.api_token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(reg.body);
    expect(me.headers.get("x-ratelimit-limit")).toBe("100");
  });

  it("stores the password as PBKDF2-SHA256 with 100,000 iterations and a per-user salt, never returning it", async () => {
    const a = email();
    const b = email();
    const ra = await signUp(a);
    await signUp(b);
    const rows = await asSystem((tx) =>
      tx.select({ email: observers.email, hash: observers.passwordHash }).from(observers),
    );
    const ha = rows.find((r) => r.email === a)?.hash ?? "";
    const hb = rows.find((r) => r.email === b)?.hash ?? "";
    expect(ha).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(ha.split("$")[2]).not.toBe(hb.split("$")[2]);
    expect(JSON.stringify(ra.body)).not.toMatch(/pbkdf2|password/);
  });

  it("treats emails case-insensitively: a second sign-up with other casing is 409, login works with any casing", async () => {
    const addr = email();
    expect((await signUp(addr)).status).toBe(201);
    const dup = await signUp(addr.toUpperCase());
    expect(dup.status).toBe(409);
    expect((await login(addr.toUpperCase(), PASSWORD)).status).toBe(200);
  });

  it("answers a wrong password and an unknown email identically, and audits both", async () => {
    const addr = email();
    const reg = await signUp(addr);
    const wrong = await login(addr, "not the password at all");
    const ghostAddr = email();
    const unknown = await login(ghostAddr, "not the password at all");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body).toEqual({ error: { code: "unauthorized", message: "invalid email or password" } });
    const failures = await asSystem((tx) =>
      tx.select().from(auditLog).where(eq(auditLog.event, "observer.login_failed")),
    );
    expect(failures).toContainEqual(
      expect.objectContaining({
        targetId: reg.body.observer_id,
        detail: expect.objectContaining({ reason: "bad_password" }),
      }),
    );
    const ghostHash = await sha256Hex(ghostAddr);
    expect(failures).toContainEqual(
      expect.objectContaining({ detail: { reason: "unknown_email", email_sha256: ghostHash } }),
    );
    // the audit trail never holds the address itself
    expect(JSON.stringify(failures)).not.toContain(ghostAddr);
  });

  it("refreshes and logs out observer sessions like agent ones", async () => {
    const addr = email();
    await signUp(addr);
    const li = await login(addr, PASSWORD);
    const r = await api<Login>("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: li.body.refresh_token },
      headers: { "cf-connecting-ip": uniqueIp() },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ observer_id: li.body.observer_id, scope: "observer" });
    expect((await api("POST", "/api/v1/auth/logout", { token: r.body.api_token })).status).toBe(204);
    const after = await api("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: r.body.refresh_token },
      headers: { "cf-connecting-ip": uniqueIp() },
    });
    expect(after.status).toBe(401);
  });

  it("refuses an agent token on /observers/me (403) and no token (401)", async () => {
    const agent = await createAgent();
    expect((await api("GET", "/api/v1/observers/me", { token: agent.token })).status).toBe(403);
    expect((await api("GET", "/api/v1/observers/me")).status).toBe(401);
  });

  it.each([
    ["a malformed email", { email: "not-an-email", password: PASSWORD, display_name: "A" }, "body.email"],
    [
      "a short password",
      { email: "x@example.com", password: "short", display_name: "A" },
      "body.password: at least 10",
    ],
    ["a missing display_name", { email: "x@example.com", password: PASSWORD }, "body.display_name"],
    ["a numeric password", { email: "x@example.com", password: 1234567890123, display_name: "A" }, "body.password"],
  ])("rejects sign-up with %s (400, names the field)", async (_what, body, expected) => {
    const res = await api("POST", "/api/v1/observers/register", { body, headers: { "cf-connecting-ip": uniqueIp() } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(expected);
  });

  it("limits login attempts per IP (429 with rate-limit headers)", async () => {
    const ip = uniqueIp();
    let res = await login("nobody@example.com", "wrong-password", ip);
    expect(res.headers.get("x-ratelimit-limit")).toBe("20");
    // exhaust the window without paying the KDF: malformed bodies count too (the limit runs before validation)
    for (let i = 0; i < 19; i++) {
      res = await api("POST", "/api/v1/observers/login", { body: {}, headers: { "cf-connecting-ip": ip } });
    }
    expect(res.status).toBe(400);
    res = await login("nobody@example.com", "wrong-password", ip);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
  });
});
