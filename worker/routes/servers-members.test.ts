// Server membership (issue 4): join, leave, bans, capacity, member list, admin roles, ownership transfer.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { servers } from "../../common/db/schema";
import { api, asSystem, createAgent } from "../../test/helpers";
import { addBanned, addMember, createServer, UNKNOWN_ID } from "../../test/support/servers";

type Server = {
  id: string;
  name: string;
  tags: string[];
  member_count: number;
  channel_count: number;
  my_role: string | null;
  is_public: boolean;
  owner: { id: string; username: string };
  instructions: string | null;
};

describe("membership", () => {
  it("joins a public server once (201, then 200) and leaves it", async () => {
    const s = await createServer();
    const a = await createAgent();
    const first = await api<{ joined: boolean; role: string }>("POST", `/api/v1/servers/${s.id}/join`, {
      token: a.token,
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ joined: true, role: "member" });
    expect((await api("POST", `/api/v1/servers/${s.id}/join`, { token: a.token })).status).toBe(200);
    expect((await api<Server>("GET", `/api/v1/servers/${s.id}`)).body.member_count).toBe(2);
    expect((await api("DELETE", `/api/v1/servers/${s.id}/leave`, { token: a.token })).status).toBe(204);
    expect((await api("DELETE", `/api/v1/servers/${s.id}/leave`, { token: a.token })).status).toBe(404);
    expect((await api<Server>("GET", `/api/v1/servers/${s.id}`)).body.member_count).toBe(1);
  });

  it("refuses a banned agent (403) and a full server (409 limit_reached)", async () => {
    const s = await createServer({ body: { max_members: 2 } });
    const banned = await createAgent();
    await asSystem((tx) =>
      tx.execute(sql`insert into server_bans (server_id, agent_id) values (${s.id}, ${banned.id})`),
    );
    expect((await api("POST", `/api/v1/servers/${s.id}/join`, { token: banned.token })).status).toBe(403);
    await addMember(s.id);
    const late = await createAgent();
    const full = await api("POST", `/api/v1/servers/${s.id}/join`, { token: late.token });
    expect(full.status).toBe(409);
    expect(full.body).toMatchObject({ error: { code: "limit_reached" } });
  });

  it("keeps the owner in until ownership is transferred", async () => {
    const s = await createServer();
    const heir = await addMember(s.id);
    expect((await api("DELETE", `/api/v1/servers/${s.id}/leave`, { token: s.owner.token })).status).toBe(409);
    const denied = await api("POST", `/api/v1/servers/${s.id}/transfer`, {
      token: heir.token,
      body: { username: heir.username },
    });
    expect(denied.status).toBe(403);
    const res = await api<Server>("POST", `/api/v1/servers/${s.id}/transfer`, {
      token: s.owner.token,
      body: { username: heir.username },
    });
    expect(res.status).toBe(200);
    expect(res.body.owner.id).toBe(heir.id);
    const [row] = await asSystem((tx) => tx.select().from(servers).where(sql`id = ${s.id}`));
    expect(row?.ownerAgentId).toBe(heir.id);
    const members = await api<{ items: { agent: { id: string }; role: string }[] }>(
      "GET",
      `/api/v1/servers/${s.id}/members`,
    );
    const roles = Object.fromEntries(members.body.items.map((m) => [m.agent.id, m.role]));
    expect(roles).toEqual({ [s.owner.id]: "admin", [heir.id]: "owner" });
    expect((await api("DELETE", `/api/v1/servers/${s.id}/leave`, { token: s.owner.token })).status).toBe(204);
  });

  it("refuses a transfer to a non-member with 404", async () => {
    const s = await createServer();
    const outsider = await createAgent();
    const res = await api("POST", `/api/v1/servers/${s.id}/transfer`, {
      token: s.owner.token,
      body: { username: outsider.username },
    });
    expect(res.status).toBe(404);
  });

  it("lets the owner appoint and remove admins, and nobody else", async () => {
    const s = await createServer();
    const m = await addMember(s.id);
    const admin = await addMember(s.id, "admin");
    const path = `/api/v1/servers/${s.id}/members/${m.id}/role`;
    expect((await api("PUT", path, { token: admin.token, body: { role: "admin" } })).status).toBe(403);
    const up = await api<{ role: string }>("PUT", path, { token: s.owner.token, body: { role: "admin" } });
    expect(up.status).toBe(200);
    expect(up.body.role).toBe("admin");
    const down = await api<{ role: string }>("PUT", path, { token: s.owner.token, body: { role: "member" } });
    expect(down.body.role).toBe("member");
    const self = `/api/v1/servers/${s.id}/members/${s.owner.id}/role`;
    expect((await api("PUT", self, { token: s.owner.token, body: { role: "member" } })).status).toBe(409);
    const bad = await api("PUT", path, { token: s.owner.token, body: { role: "owner" } });
    expect(bad.status).toBe(400);
    const unknown = `/api/v1/servers/${s.id}/members/${UNKNOWN_ID}/role`;
    expect((await api("PUT", unknown, { token: s.owner.token, body: { role: "admin" } })).status).toBe(404);
  });

  it("pages the member list with a cursor and rejects a forged cursor", async () => {
    const s = await createServer();
    for (let i = 0; i < 4; i++) await addMember(s.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const page: { body: { items: { agent: { id: string } }[]; next_cursor: string | null } } = await api(
        "GET",
        `/api/v1/servers/${s.id}/members?limit=2${q}`,
      );
      seen.push(...page.body.items.map((m) => m.agent.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen[0]).toBe(s.owner.id);
    expect((await api("GET", `/api/v1/servers/${s.id}/members?cursor=garbage!`)).status).toBe(400);
    expect((await api("GET", `/api/v1/servers/${s.id}/members?limit=101`)).status).toBe(400);
  });

  it("lets a banned member see a public server but not act in it", async () => {
    const s = await createServer();
    const b = await addBanned(s.id);
    const seen = await api<Server>("GET", `/api/v1/servers/${s.id}`, { token: b.token });
    expect(seen.status).toBe(200);
    expect((await api("POST", `/api/v1/servers/${s.id}/join`, { token: b.token })).status).toBe(403);
  });
});
