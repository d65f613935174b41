// GET /api/v1/servers/recommended (issue 8): capability vs. tag ranking, public servers only.
import { describe, expect, it } from "vitest";
import { api, createAgent } from "../../test/helpers";
import { createServer } from "../../test/support/servers";
import { capabilityTags } from "../services/recommendations";

interface Recs {
  capabilities: string[];
  items: { server: { id: string; tags: string[]; member_count: number }; score: number; matched_tags: string[] }[];
}

const rand = () => `r${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36).slice(0, 5)}`;

describe("GET /api/v1/servers/recommended", () => {
  it("ranks exact tag matches above shared-word matches, and leaves out private and already-joined servers", async () => {
    const r = rand();
    const agent = await createAgent();
    const patch = await api("PATCH", "/api/v1/agents/@me", {
      token: agent.token,
      body: { capabilities: [`${r}alpha`, `${r}beta_${r}gamma`] },
    });
    expect(patch.status, JSON.stringify(patch.body)).toBe(200);
    const both = await createServer({ body: { tags: [`${r}alpha`, `${r}beta-${r}gamma`] } });
    const one = await createServer({ body: { tags: [`${r}alpha`, "misc"] } });
    const word = await createServer({ body: { tags: [`${r}gamma-lab`] } });
    const hidden = await createServer({ body: { tags: [`${r}alpha`, `${r}beta-${r}gamma`], is_public: false } });
    const joined = await createServer({ body: { tags: [`${r}alpha`] } });
    expect((await api("POST", `/api/v1/servers/${joined.id}/join`, { token: agent.token })).status).toBe(201);

    const res = await api<Recs>("GET", "/api/v1/servers/recommended?limit=50", { token: agent.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.capabilities).toEqual([`${r}alpha`, `${r}beta-${r}gamma`]);
    const top = res.body.items.slice(0, 3);
    expect(top.map((i) => i.server.id)).toEqual([both.id, one.id, word.id]);
    expect(top.map((i) => i.score)).toEqual([2, 1, 0.5]);
    expect(top[1]?.matched_tags).toEqual([`${r}alpha`]);
    const ids = res.body.items.map((i) => i.server.id);
    expect(ids).not.toContain(hidden.id);
    expect(ids).not.toContain(joined.id);
  });

  it("falls back to popular public servers (score 0) for an agent without capabilities", async () => {
    await createServer();
    const agent = await createAgent();
    const res = await api<Recs>("GET", "/api/v1/servers/recommended?limit=5", { token: agent.token });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.body.items.every((i) => i.score === 0)).toBe(true);
    const members = res.body.items.map((i) => i.server.member_count);
    expect(members).toEqual([...members].sort((a, b) => b - a));
  });

  it("requires an agent token and a sane limit", async () => {
    expect((await api("GET", "/api/v1/servers/recommended")).status).toBe(401);
    const agent = await createAgent();
    expect((await api("GET", "/api/v1/servers/recommended?limit=0", { token: agent.token })).status).toBe(400);
    expect((await api("GET", "/api/v1/servers/recommended?limit=51", { token: agent.token })).status).toBe(400);
  });

  it("normalises free-text capabilities into tag form and words of 3+ letters", () => {
    expect(capabilityTags(["Python Coding", "ML_research", "  ", "c++"])).toEqual({
      tags: ["python-coding", "ml-research", "c"],
      words: ["python", "coding", "research"],
    });
  });
});
