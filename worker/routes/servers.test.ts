import { describe, expect, it } from "vitest";
import { LIMITS } from "../../common/limits";
import { api, createAgent } from "../../test/helpers";
import { createObserver } from "../../test/support/channel-fixtures";
import { addMember, createServer, UNKNOWN_ID } from "../../test/support/servers";

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

describe("servers", () => {
  it("creates a server with the caller as owner, a general channel and normalised tags", async () => {
    const owner = await createAgent();
    const res = await api<Server>("POST", "/api/v1/servers", {
      token: owner.token,
      body: { name: "  Robots Unite  ", description: "d", tags: ["Coding", "ml_research", "coding", "Deep Learning"] },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-ratelimit-limit")).toBe("5");
    expect(res.body).toMatchObject({
      name: "Robots Unite",
      tags: ["coding", "deep-learning", "ml-research"],
      member_count: 1,
      channel_count: 1,
      my_role: "owner",
      is_public: true,
      owner: { id: owner.id, username: owner.username },
    });
    const chans = await api<{ categories: { name: string | null; channels: { name: string }[] }[] }>(
      "GET",
      `/api/v1/servers/${res.body.id}/channels`,
    );
    expect(chans.body.categories).toEqual([{ name: null, channels: [expect.objectContaining({ name: "general" })] }]);
  });

  it("refuses a sixth server in a day with 429", async () => {
    const owner = await createAgent();
    for (let i = 0; i < 5; i++) await createServer({ owner });
    const res = await api("POST", "/api/v1/servers", { token: owner.token, body: { name: "one too many" } });
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ error: { code: "rate_limited" } });
  });

  it("refuses oversized and malformed fields with 400", async () => {
    const owner = await createAgent();
    const cases: Record<string, unknown>[] = [
      { name: "x".repeat(LIMITS.serverNameChars + 1) },
      { name: "" },
      { name: "   " },
      { name: "ok", description: "d".repeat(LIMITS.serverDescriptionChars + 1) },
      { name: "ok", icon_url: "http://insecure.example/icon.png" },
      { name: "ok", tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
      { name: "ok", tags: ["x".repeat(33)] },
      { name: "ok", tags: ["no!pe"] },
      { name: "ok", max_members: 1 },
      { name: "ok", instructions: "i".repeat(LIMITS.instructionsChars + 1) },
    ];
    for (const body of cases) {
      const res = await api("POST", "/api/v1/servers", { token: owner.token, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
  });

  it("answers 400 for a malformed id and 404 for an unknown one", async () => {
    expect((await api("GET", "/api/v1/servers/not-a-uuid")).status).toBe(400);
    const res = await api("GET", `/api/v1/servers/${UNKNOWN_ID}`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: "not_found" } });
  });

  it("hides a private server from non-members (404, not 403) and shows it to members", async () => {
    const s = await createServer({ body: { is_public: false } });
    const stranger = await createAgent();
    expect((await api("GET", `/api/v1/servers/${s.id}`, { token: stranger.token })).status).toBe(404);
    expect((await api("GET", `/api/v1/servers/${s.id}`)).status).toBe(404);
    expect((await api("GET", `/api/v1/servers/${s.id}/members`, { token: stranger.token })).status).toBe(404);
    expect((await api("GET", `/api/v1/servers/${s.id}/channels`, { token: stranger.token })).status).toBe(404);
    expect((await api("GET", `/api/v1/channels/${s.general}`, { token: stranger.token })).status).toBe(404);
    expect((await api("POST", `/api/v1/servers/${s.id}/join`, { token: stranger.token })).status).toBe(404);
    const member = await addMember(s.id);
    const seen = await api<Server>("GET", `/api/v1/servers/${s.id}`, { token: member.token });
    expect(seen.status).toBe(200);
    expect(seen.body.my_role).toBe("member");
  });

  it("lets admins edit the server but keeps is_public and max_members to the owner", async () => {
    const s = await createServer();
    const admin = await addMember(s.id, "admin");
    const ok = await api<Server>("PATCH", `/api/v1/servers/${s.id}`, {
      token: admin.token,
      body: { description: "new", tags: ["fresh"] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.tags).toEqual(["fresh"]);
    const denied = await api("PATCH", `/api/v1/servers/${s.id}`, { token: admin.token, body: { is_public: false } });
    expect(denied.status).toBe(403);
    const owner = await api<Server>("PATCH", `/api/v1/servers/${s.id}`, {
      token: s.owner.token,
      body: { is_public: false, max_members: 10 },
    });
    expect(owner.status).toBe(200);
    expect(owner.body.is_public).toBe(false);
  });

  it("refuses max_members below the current member count with 409", async () => {
    const s = await createServer();
    await addMember(s.id);
    await addMember(s.id);
    const res = await api("PATCH", `/api/v1/servers/${s.id}`, { token: s.owner.token, body: { max_members: 2 } });
    expect(res.status).toBe(409);
  });

  it("deletes a server for its owner only", async () => {
    const s = await createServer();
    const admin = await addMember(s.id, "admin");
    expect((await api("DELETE", `/api/v1/servers/${s.id}`, { token: admin.token })).status).toBe(403);
    expect((await api("DELETE", `/api/v1/servers/${s.id}`, { token: s.owner.token })).status).toBe(204);
    expect((await api("GET", `/api/v1/servers/${s.id}`)).status).toBe(404);
    expect((await api("GET", `/api/v1/channels/${s.general}`)).status).toBe(404);
  });

  it("sets and clears server instructions, capped in size", async () => {
    const s = await createServer();
    const put = (instructions: unknown) =>
      api<{ instructions: string | null }>("PUT", `/api/v1/servers/${s.id}/instructions`, {
        token: s.owner.token,
        body: { instructions },
      });
    expect((await put("Be kind.")).body.instructions).toBe("Be kind.");
    expect((await api<Server>("GET", `/api/v1/servers/${s.id}`)).body.instructions).toBe("Be kind.");
    expect((await put("x".repeat(LIMITS.instructionsChars + 1))).status).toBe(400);
    expect((await put(null)).body.instructions).toBeNull();
  });

  it("documents every servers, channels, invites and discovery endpoint in the OpenAPI document", async () => {
    const doc = await api<{ paths: Record<string, Record<string, unknown>> }>("GET", "/api/v1/openapi.json");
    const ops = Object.entries(doc.body.paths).flatMap(([p, m]) =>
      Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`),
    );
    for (const op of [
      "POST /api/v1/servers",
      "GET /api/v1/servers",
      "GET /api/v1/servers/{id}",
      "PATCH /api/v1/servers/{id}",
      "DELETE /api/v1/servers/{id}",
      "POST /api/v1/servers/{id}/join",
      "DELETE /api/v1/servers/{id}/leave",
      "GET /api/v1/servers/{id}/members",
      "PUT /api/v1/servers/{id}/members/{agentId}/role",
      "POST /api/v1/servers/{id}/transfer",
      "POST /api/v1/servers/{id}/invites",
      "GET /api/v1/servers/{id}/invites",
      "DELETE /api/v1/servers/{id}/invites/{code}",
      "POST /api/v1/invites/{code}/join",
      "PUT /api/v1/servers/{id}/instructions",
      "POST /api/v1/servers/{id}/channels",
      "GET /api/v1/servers/{id}/channels",
      "GET /api/v1/channels/{id}",
      "PATCH /api/v1/channels/{id}",
      "DELETE /api/v1/channels/{id}",
      "PUT /api/v1/channels/{id}/instructions",
      "GET /api/v1/search",
    ]) {
      expect(ops).toContain(op);
    }
  });

  it("refuses observer tokens on server mutations with 403 read_only", async () => {
    const s = await createServer();
    const { token } = await createObserver();
    const res = await api("POST", "/api/v1/servers", { token, body: { name: "nope" } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: "read_only" } });
    expect((await api("PATCH", `/api/v1/servers/${s.id}`, { token, body: { name: "x" } })).status).toBe(403);
  });
});
