// Invites (issue 4): the only way into a private server.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, asSystem, createAgent } from "../../test/helpers";
import { addMember, createServer } from "../../test/support/servers";

type Invite = { code: string; expires_at: string; max_uses: number; uses: number; server_id: string };

async function invite(serverId: string, token: string, body?: Record<string, unknown>) {
  return api<Invite>("POST", `/api/v1/servers/${serverId}/invites`, { token, body });
}

describe("invites", () => {
  it("lets a moderator mint an invite with defaults and an agent join a private server with it", async () => {
    const s = await createServer({ body: { is_public: false } });
    const created = await invite(s.id, s.owner.token);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ server_id: s.id, max_uses: 1, uses: 0 });
    expect(created.body.code).toMatch(/^[A-Za-z0-9]{12}$/);
    const ttl = Date.parse(created.body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(86_000_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);

    const a = await createAgent();
    const joined = await api<{ joined: boolean; role: string; server_id: string }>(
      "POST",
      `/api/v1/invites/${created.body.code}/join`,
      { token: a.token },
    );
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ joined: true, role: "member", server_id: s.id });
    const seen = await api<{ my_role: string; member_count: number }>("GET", `/api/v1/servers/${s.id}`, {
      token: a.token,
    });
    expect(seen.body).toMatchObject({ my_role: "member", member_count: 2 });
    // joining again with the now used-up code changes nothing and says so
    expect((await api("POST", `/api/v1/invites/${created.body.code}/join`, { token: a.token })).status).toBe(200);
  });

  it("refuses joining a private server without an invite with 404", async () => {
    const s = await createServer({ body: { is_public: false } });
    const a = await createAgent();
    const res = await api("POST", `/api/v1/servers/${s.id}/join`, { token: a.token });
    expect(res.status).toBe(404);
  });

  it("refuses a used-up invite with 409 and does not count beyond max_uses", async () => {
    const s = await createServer({ body: { is_public: false } });
    const { body } = await invite(s.id, s.owner.token, { max_uses: 2, expires_in_seconds: 3600 });
    const agents = await Promise.all([createAgent(), createAgent(), createAgent()]);
    const results = await Promise.all(
      agents.map((a) => api("POST", `/api/v1/invites/${body.code}/join`, { token: a.token })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409]);
    const list = await api<{ items: Invite[] }>("GET", `/api/v1/servers/${s.id}/invites`, { token: s.owner.token });
    expect(list.body.items.find((i) => i.code === body.code)?.uses).toBe(2);
  });

  it("refuses an expired invite with 409", async () => {
    const s = await createServer({ body: { is_public: false } });
    const { body } = await invite(s.id, s.owner.token, { expires_in_seconds: 60 });
    await asSystem((tx) =>
      tx.execute(sql`update server_invites set expires_at = now() - interval '1 second' where code = ${body.code}`),
    );
    const a = await createAgent();
    const res = await api("POST", `/api/v1/invites/${body.code}/join`, { token: a.token });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { message: expect.stringContaining("expired") } });
  });

  it("refuses revoked and unknown codes with 404, and malformed ones with 400", async () => {
    const s = await createServer({ body: { is_public: false } });
    const { body } = await invite(s.id, s.owner.token, { max_uses: 5 });
    expect((await api("DELETE", `/api/v1/servers/${s.id}/invites/${body.code}`, { token: s.owner.token })).status).toBe(
      204,
    );
    const a = await createAgent();
    expect((await api("POST", `/api/v1/invites/${body.code}/join`, { token: a.token })).status).toBe(404);
    expect((await api("POST", "/api/v1/invites/NoSuchCode42/join", { token: a.token })).status).toBe(404);
    expect((await api("POST", "/api/v1/invites/bad%20code!/join", { token: a.token })).status).toBe(400);
    const list = await api<{ items: Invite[] }>("GET", `/api/v1/servers/${s.id}/invites`, { token: s.owner.token });
    expect(list.body.items.map((i) => i.code)).not.toContain(body.code);
  });

  it("refuses a banned agent with 403 even with a valid invite", async () => {
    const s = await createServer({ body: { is_public: false } });
    const { body } = await invite(s.id, s.owner.token);
    const a = await createAgent();
    await asSystem((tx) => tx.execute(sql`insert into server_bans (server_id, agent_id) values (${s.id}, ${a.id})`));
    expect((await api("POST", `/api/v1/invites/${body.code}/join`, { token: a.token })).status).toBe(403);
  });

  it("refuses redemption into a full server with 409 limit_reached", async () => {
    const s = await createServer({ body: { is_public: false, max_members: 2 } });
    await addMember(s.id);
    const { body } = await invite(s.id, s.owner.token);
    const a = await createAgent();
    const res = await api("POST", `/api/v1/invites/${body.code}/join`, { token: a.token });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: "limit_reached" } });
  });

  it("validates invite bounds and keeps invites to moderators", async () => {
    const s = await createServer();
    expect((await invite(s.id, s.owner.token, { max_uses: 0 })).status).toBe(400);
    expect((await invite(s.id, s.owner.token, { expires_in_seconds: 31 * 86_400 })).status).toBe(400);
    const m = await addMember(s.id);
    expect((await invite(s.id, m.token)).status).toBe(403);
    expect((await api("GET", `/api/v1/servers/${s.id}/invites`, { token: m.token })).status).toBe(403);
  });
});
