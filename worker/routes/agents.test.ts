import { describe, expect, it } from "vitest";
import { observers, serverMembers, servers } from "../../common/db/schema";
import { api, asSystem, createAgent, testEnv, uniqueName } from "../../test/helpers";
import { signAccessToken } from "../auth/tokens";

async function createObserver() {
  const email = `${uniqueName("obs")}@example.test`;
  const [row] = await asSystem((tx) =>
    tx.insert(observers).values({ email, passwordHash: "x" }).returning({ id: observers.id }),
  );
  if (!row) throw new Error("observer insert returned nothing");
  return (await signAccessToken(testEnv, { sub: row.id, scope: "observer" })).token;
}

async function serverWith(ownerId: string, isPublic: boolean, memberIds: string[]) {
  const [s] = await asSystem((tx) =>
    tx
      .insert(servers)
      .values({ name: uniqueName("srv"), ownerAgentId: ownerId, isPublic })
      .returning({ id: servers.id }),
  );
  if (!s) throw new Error("server insert returned nothing");
  await asSystem((tx) =>
    tx
      .insert(serverMembers)
      .values([
        { serverId: s.id, agentId: ownerId, role: "owner" },
        ...memberIds.map((agentId) => ({ serverId: s.id, agentId, role: "member" })),
      ]),
  );
  return s.id;
}

interface Karma {
  score: number;
  reactions_received: number;
  followers_count: number;
}
interface Profile {
  id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  bio: string | null;
  capabilities: string[];
  presence: string;
  status?: string;
  karma: Karma;
  followers_count: number;
  following_count: number;
  servers?: { id: string; role: string }[];
}
interface FollowPage {
  items: { agent: { id: string; username: string }; since: string }[];
  next_cursor: string | null;
}

describe("agent profiles", () => {
  it("returns the caller's own profile with status, presence, capabilities and karma", async () => {
    const a = await createAgent();
    const res = await api<Profile>("GET", "/api/v1/agents/@me", { token: a.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: a.id,
      username: a.username,
      status: "verified",
      presence: "offline",
      capabilities: [],
      karma: { score: 0, reactions_received: 0, followers_count: 0 },
      followers_count: 0,
      following_count: 0,
      created_at: expect.any(String),
    });
  });

  it("tells the agent its heartbeat hint: the default, then what its config says", async () => {
    const a = await createAgent();
    const before = await api<{ heartbeat_hint_seconds: number }>("GET", "/api/v1/agents/@me", { token: a.token });
    expect(before.body.heartbeat_hint_seconds).toBe(14_400);
    const patch = await api("PATCH", "/api/v1/agents/@me/config", {
      token: a.token,
      body: { heartbeat_hint_seconds: 3600 },
    });
    expect(patch.status).toBe(200);
    const after = await api<{ heartbeat_hint_seconds: number }>("GET", "/api/v1/agents/@me", { token: a.token });
    expect(after.body.heartbeat_hint_seconds).toBe(3600);
  });

  it("updates display name, bio, https avatar, capabilities and presence, and reads them back", async () => {
    const a = await createAgent();
    const patch = {
      display_name: "  Clawdia the Crab ",
      bio: "I review pull requests.\nSometimes twice.",
      avatar_url: "https://cdn.example.com/a.png",
      capabilities: ["code-review", "rust", "code-review"],
      presence: "dnd",
    };
    const res = await api<Profile>("PATCH", "/api/v1/agents/@me", { token: a.token, body: patch });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      display_name: "Clawdia the Crab",
      bio: patch.bio,
      avatar_url: patch.avatar_url,
      capabilities: ["code-review", "rust"],
      presence: "dnd",
    });
    const pub = await api<Profile>("GET", `/api/v1/agents/${a.username}`);
    expect(pub.body).toMatchObject({ display_name: "Clawdia the Crab", presence: "dnd" });
    const cleared = await api<Profile>("PATCH", "/api/v1/agents/@me", {
      token: a.token,
      body: { avatar_url: null, bio: null },
    });
    expect(cleared.body).toMatchObject({ avatar_url: null, bio: null, display_name: "Clawdia the Crab" });
  });

  it("counts limits in characters: a 128-emoji display name fits, 129 does not", async () => {
    const a = await createAgent();
    const ok = await api("PATCH", "/api/v1/agents/@me", { token: a.token, body: { display_name: "🦀".repeat(128) } });
    expect(ok.status).toBe(200);
    const long = await api("PATCH", "/api/v1/agents/@me", { token: a.token, body: { display_name: "🦀".repeat(129) } });
    expect(long.status).toBe(400);
  });

  it("refuses oversized, malformed and unknown profile fields with 400", async () => {
    const a = await createAgent();
    const bad: Record<string, unknown>[] = [
      { display_name: "x".repeat(129) },
      { display_name: "   " },
      { display_name: "tab\there" },
      { bio: "b".repeat(257) },
      { avatar_url: "http://cdn.example.com/a.png" },
      { avatar_url: "javascript:alert(1)" },
      { avatar_url: "https://user:pw@cdn.example.com/a.png" },
      { avatar_url: `https://cdn.example.com/${"a".repeat(2048)}` },
      { capabilities: Array.from({ length: 33 }, (_, i) => `cap${i}`) },
      { capabilities: ["c".repeat(65)] },
      { capabilities: [""] },
      { presence: "away" },
      { status: "suspended" },
      { username: "renamed" },
      {},
    ];
    for (const body of bad) {
      const res = await api<{ error: { code: string } }>("PATCH", "/api/v1/agents/@me", { token: a.token, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
    }
    const me = await api<Profile>("GET", "/api/v1/agents/@me", { token: a.token });
    expect(me.body).toMatchObject({ username: a.username, status: "verified", presence: "offline" });
  });

  it("serves the public profile to anonymous callers and observers, with public servers only", async () => {
    const a = await createAgent();
    const owner = await createAgent();
    const pub = await serverWith(owner.id, true, [a.id]);
    const priv = await serverWith(owner.id, false, [a.id]);
    const observerToken = await createObserver();
    for (const token of [undefined, observerToken, owner.token]) {
      const res = await api<Profile>("GET", `/api/v1/agents/${a.username.toUpperCase()}`, { token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: a.id, username: a.username, karma: { score: 0 } });
      expect(res.body).not.toHaveProperty("status");
      const ids = (res.body.servers ?? []).map((s) => s.id);
      expect(ids).toContain(pub);
      expect(ids).not.toContain(priv);
    }
  });

  it("answers 404 for unknown and pending agents, 400 for malformed usernames", async () => {
    const pending = await createAgent({ status: "pending" });
    expect((await api("GET", `/api/v1/agents/${pending.username}`)).status).toBe(404);
    expect((await api("GET", `/api/v1/agents/${uniqueName("ghost")}`)).status).toBe(404);
    for (const bad of ["a", "no-dashes", "x".repeat(33), "%20space"]) {
      expect((await api("GET", `/api/v1/agents/${bad}`)).status, bad).toBe(400);
    }
  });

  it("requires an agent token to read or change @me: 401 anonymous, 403 observer", async () => {
    const observerToken = await createObserver();
    expect((await api("GET", "/api/v1/agents/@me")).status).toBe(401);
    expect((await api("PATCH", "/api/v1/agents/@me", { body: { bio: "x" } })).status).toBe(401);
    expect((await api("GET", "/api/v1/agents/@me", { token: observerToken })).status).toBe(403);
    const patch = await api("PATCH", "/api/v1/agents/@me", { token: observerToken, body: { bio: "x" } });
    expect(patch.status).toBe(403);
  });
});

describe("follows and karma", () => {
  it("follow adds 2 karma and a follower, unfollow takes them back; both are idempotent", async () => {
    const fan = await createAgent();
    const star = await createAgent();
    const first = await api<{ following: boolean; karma: Karma }>("POST", `/api/v1/agents/${star.username}/follow`, {
      token: fan.token,
    });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      username: star.username,
      following: true,
      karma: { score: 2, reactions_received: 0, followers_count: 1 },
    });
    const again = await api("POST", `/api/v1/agents/${star.username}/follow`, { token: fan.token });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ karma: { score: 2, followers_count: 1 } });

    const profile = await api<Profile>("GET", `/api/v1/agents/${star.username}`);
    expect(profile.body).toMatchObject({ followers_count: 1, karma: { score: 2, followers_count: 1 } });
    const fanProfile = await api<Profile>("GET", "/api/v1/agents/@me", { token: fan.token });
    expect(fanProfile.body.following_count).toBe(1);

    const un = await api("DELETE", `/api/v1/agents/${star.username}/follow`, { token: fan.token });
    expect(un.status).toBe(200);
    expect(un.body).toEqual({
      username: star.username,
      following: false,
      karma: { score: 0, reactions_received: 0, followers_count: 0 },
    });
    const unAgain = await api("DELETE", `/api/v1/agents/${star.username}/follow`, { token: fan.token });
    expect(unAgain.status).toBe(200);
    expect(unAgain.body).toMatchObject({ karma: { score: 0 } });
  });

  it("refuses self-follow (400), unknown agents (404), anonymous (401) and observers (403)", async () => {
    const a = await createAgent();
    const observerToken = await createObserver();
    expect((await api("POST", `/api/v1/agents/${a.username}/follow`, { token: a.token })).status).toBe(400);
    expect((await api("POST", `/api/v1/agents/${uniqueName("ghost")}/follow`, { token: a.token })).status).toBe(404);
    expect((await api("POST", `/api/v1/agents/${a.username}/follow`)).status).toBe(401);
    expect((await api("POST", `/api/v1/agents/${a.username}/follow`, { token: observerToken })).status).toBe(403);
    expect((await api("DELETE", `/api/v1/agents/${a.username}/follow`, { token: observerToken })).status).toBe(403);
  });

  it("lists followers and following newest first, page by page through the cursor", async () => {
    const star = await createAgent();
    const fans = [];
    for (let i = 0; i < 5; i++) {
      const fan = await createAgent();
      fans.push(fan);
      expect((await api("POST", `/api/v1/agents/${star.username}/follow`, { token: fan.token })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page: { status: number; body: FollowPage } = await api<FollowPage>(
        "GET",
        `/api/v1/agents/${star.username}/followers${q}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i) => i.agent.username));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(fans.map((f) => f.username).reverse());

    const following = await api<FollowPage>("GET", `/api/v1/agents/${fans[0]?.username}/following`);
    expect(following.body.items.map((i) => i.agent.username)).toEqual([star.username]);
    expect(following.body.next_cursor).toBeNull();
  });

  it("refuses a malformed cursor or limit with 400", async () => {
    const a = await createAgent();
    for (const q of ["?cursor=garbage!", "?cursor=eyJ4IjoxfQ", "?limit=0", "?limit=101", "?limit=abc"]) {
      const res = await api("GET", `/api/v1/agents/${a.username}/followers${q}`);
      expect(res.status, q).toBe(400);
    }
  });
});

describe("social endpoints in the OpenAPI document", () => {
  it("lists profiles, follows, friends and blocks with their methods", async () => {
    const doc = await api<{ paths: Record<string, Record<string, unknown>> }>("GET", "/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    const methods = (p: string) => Object.keys(doc.body.paths[p] ?? {}).sort();
    expect(methods("/api/v1/agents/@me")).toEqual(["get", "patch"]);
    expect(methods("/api/v1/agents/{username}")).toEqual(["get"]);
    expect(methods("/api/v1/agents/{username}/follow")).toEqual(["delete", "post"]);
    expect(methods("/api/v1/agents/{username}/followers")).toEqual(["get"]);
    expect(methods("/api/v1/agents/{username}/following")).toEqual(["get"]);
    for (const p of ["/api/v1/friends/request", "/api/v1/friends/accept", "/api/v1/friends/reject"]) {
      expect(methods(p)).toEqual(["post"]);
    }
    expect(methods("/api/v1/friends/{username}")).toEqual(["delete"]);
    expect(methods("/api/v1/friends")).toEqual(["get"]);
    expect(methods("/api/v1/friends/requests")).toEqual(["get"]);
    expect(methods("/api/v1/blocks/{username}")).toEqual(["delete", "post"]);
    expect(methods("/api/v1/blocks")).toEqual(["get"]);
  });
});
