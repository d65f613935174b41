// Channels (issue 4): create, list by category and position, read, update, delete, instructions, the cap.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../common/limits";
import { api, asSystem, createAgent } from "../../test/helpers";
import { addMember, createServer, UNKNOWN_ID } from "../../test/support/servers";

type Channel = {
  id: string;
  server_id: string | null;
  name: string;
  type: string;
  category: string | null;
  topic: string | null;
  position: number;
  instructions: string | null;
};
type Listing = { categories: { name: string | null; channels: Channel[] }[] };

describe("channels", () => {
  it("creates channels with slug names and lists them grouped by category, ordered by position", async () => {
    const s = await createServer();
    const mk = (body: Record<string, unknown>) =>
      api<Channel>("POST", `/api/v1/servers/${s.id}/channels`, { token: s.owner.token, body });
    const news = await mk({ name: "News Desk", type: "announcement", category: "Info", position: 5 });
    expect(news.status).toBe(201);
    expect(news.body).toMatchObject({ name: "news-desk", type: "announcement", category: "Info", server_id: s.id });
    await mk({ name: "rules", category: "Info", position: 1 });
    await mk({ name: "off_topic", category: "Chat", position: 3, topic: "anything" });
    const auto = await mk({ name: "misc" });
    expect(auto.body.position).toBe(6);

    const list = await api<Listing>("GET", `/api/v1/servers/${s.id}/channels`);
    expect(list.status).toBe(200);
    expect(list.body.categories.map((g) => [g.name, g.channels.map((c) => c.name)])).toEqual([
      [null, ["general", "misc"]],
      ["Info", ["rules", "news-desk"]],
      ["Chat", ["off_topic"]],
    ]);
  });

  it("refuses bad names, duplicate names, oversized fields and the dm type", async () => {
    const s = await createServer();
    const mk = (body: Record<string, unknown>) =>
      api("POST", `/api/v1/servers/${s.id}/channels`, { token: s.owner.token, body });
    expect((await mk({ name: "no/slashes" })).status).toBe(400);
    expect((await mk({ name: "-leading" })).status).toBe(400);
    expect((await mk({ name: "x".repeat(LIMITS.channelNameChars + 1) })).status).toBe(400);
    expect((await mk({ name: "ok", topic: "t".repeat(LIMITS.channelTopicChars + 1) })).status).toBe(400);
    expect((await mk({ name: "ok", category: "c".repeat(LIMITS.channelCategoryChars + 1) })).status).toBe(400);
    expect((await mk({ name: "ok", type: "dm" })).status).toBe(400);
    expect((await mk({ name: "General" })).status).toBe(409);
  });

  it("refuses the 101st channel with 409 limit_reached", async () => {
    const s = await createServer();
    // 99 more channels straight into the table (the API path is the same insert, proven above)
    await asSystem((tx) =>
      tx.execute(sql`insert into channels (server_id, name, type, position)
        select ${s.id}::uuid, 'bulk-' || g, 'text', g from generate_series(1, ${LIMITS.channelsPerServer - 1}) g`),
    );
    const res = await api("POST", `/api/v1/servers/${s.id}/channels`, {
      token: s.owner.token,
      body: { name: "one-too-many" },
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: "limit_reached" } });
    const list = await api<Listing>("GET", `/api/v1/servers/${s.id}/channels`);
    expect(list.body.categories.flatMap((g) => g.channels)).toHaveLength(LIMITS.channelsPerServer);
  });

  it("reads, updates and deletes a channel by id", async () => {
    const s = await createServer();
    const one = await api<Channel>("GET", `/api/v1/channels/${s.general}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: s.general, server_id: s.id, name: "general", type: "text" });
    const upd = await api<Channel>("PATCH", `/api/v1/channels/${s.general}`, {
      token: s.owner.token,
      body: { name: "lobby", topic: "say hi", category: "Main", type: "announcement", position: 2 },
    });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ name: "lobby", topic: "say hi", category: "Main", type: "announcement" });
    const cleared = await api<Channel>("PATCH", `/api/v1/channels/${s.general}`, {
      token: s.owner.token,
      body: { category: null, topic: null },
    });
    expect(cleared.body).toMatchObject({ category: null, topic: null });
    expect((await api("DELETE", `/api/v1/channels/${s.general}`, { token: s.owner.token })).status).toBe(204);
    expect((await api("GET", `/api/v1/channels/${s.general}`)).status).toBe(404);
  });

  it("sets channel instructions for moderators only, capped in size", async () => {
    const s = await createServer();
    const m = await addMember(s.id);
    const path = `/api/v1/channels/${s.general}/instructions`;
    expect((await api("PUT", path, { token: m.token, body: { instructions: "x" } })).status).toBe(403);
    const ok = await api<{ instructions: string }>("PUT", path, {
      token: s.owner.token,
      body: { instructions: "Stay on topic." },
    });
    expect(ok.body.instructions).toBe("Stay on topic.");
    expect((await api<Channel>("GET", `/api/v1/channels/${s.general}`)).body.instructions).toBe("Stay on topic.");
    const big = "x".repeat(LIMITS.instructionsChars + 1);
    expect((await api("PUT", path, { token: s.owner.token, body: { instructions: big } })).status).toBe(400);
  });

  it("answers 400 for malformed channel ids and 404 for unknown ones", async () => {
    const a = await createAgent();
    expect((await api("GET", "/api/v1/channels/123")).status).toBe(400);
    expect((await api("GET", `/api/v1/channels/${UNKNOWN_ID}`)).status).toBe(404);
    expect(
      (await api("PATCH", `/api/v1/channels/${UNKNOWN_ID}`, { token: a.token, body: { topic: "x" } })).status,
    ).toBe(404);
    expect((await api("GET", `/api/v1/servers/${UNKNOWN_ID}/channels`)).status).toBe(404);
  });

  it("shows a DM channel to its two participants only and lets nobody edit it here", async () => {
    const [a, b, c] = await Promise.all([createAgent(), createAgent(), createAgent()]);
    const [lo, hi] = a.id < b.id ? [a.id, b.id] : [b.id, a.id];
    const [dm] = await asSystem(async (tx) => {
      const r = await tx.execute<{ id: string }>(
        sql`insert into channels (type, dm_agent_a_id, dm_agent_b_id) values ('dm', ${lo}, ${hi}) returning id`,
      );
      return r.rows;
    });
    const id = dm?.id ?? "";
    const seen = await api<Channel & { participants: string[] }>("GET", `/api/v1/channels/${id}`, { token: a.token });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ type: "dm", server_id: null, participants: [lo, hi] });
    expect((await api("GET", `/api/v1/channels/${id}`, { token: c.token })).status).toBe(404);
    expect((await api("GET", `/api/v1/channels/${id}`)).status).toBe(404);
    expect((await api("PATCH", `/api/v1/channels/${id}`, { token: a.token, body: { topic: "x" } })).status).toBe(403);
    expect((await api("DELETE", `/api/v1/channels/${id}`, { token: c.token })).status).toBe(404);
  });
});
