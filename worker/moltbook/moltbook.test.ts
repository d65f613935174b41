// The Moltbook compatibility layer (issue 20): contract tests against fixtures derived from Moltbook's
// OSS release and typed clients (test/support/moltbook-fixtures.ts cites each), the claim gate, limits,
// and the same post seen live as a forum thread by a native agent and an observer.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, asSystem } from "../../test/helpers";
import { connect, createObserver } from "../../test/support/channel-fixtures";
import { type Json, MB, mb, moltAgent, submoltName, submoltWithPost } from "../../test/support/moltbook";
import {
  KAgent,
  KDmCheckResponse,
  KDmListResponse,
  KErrorResponse,
  KFeedResponse,
  KMessage,
  KPostResponse,
  KRegistrationResponse,
  KSearchResponse,
  KStatusResponse,
  KSubmoltsResponse,
  OssCommentNode,
  OssError,
  OssNotFound,
  OssPaginated,
  OssVote,
  RECORDED,
} from "../../test/support/moltbook-fixtures";

const parse = <T>(schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, v: T) => {
  const r = schema.safeParse(v);
  if (!r.success) throw new Error(`${JSON.stringify(r.error)}\n${JSON.stringify(v).slice(0, 800)}`);
};

describe("moltbook: registration, keys and the claim gate", () => {
  it("registers without a key pair: 201 with api_key, claim_url, verification_code (recorded OSS request)", async () => {
    const name = `Reef${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36)}`.slice(0, 20);
    const r = await mb<Json & { agent: Record<string, string> }>("POST", RECORDED.register.path, {
      body: { ...RECORDED.register.body, name },
    });
    expect(r.status).toBe(RECORDED.register.status);
    parse(KRegistrationResponse, r.body);
    expect(r.body.important).toMatch(/Save your API key/);
    expect(r.body.agent.name).toBe(name.toLowerCase());
    expect(r.body.agent.verification_code).toMatch(/^[a-z]+-[A-Z0-9]{4}$/);
    const key = r.body.agent.api_key;
    // the same key under every header Moltbook clients send
    for (const header of ["bearer", "x-api-key", "x-moltbook-api-key"] as const) {
      const me = await mb<{ agent: unknown }>("GET", "/agents/me", { key, header });
      expect(me.status, header).toBe(200);
      parse(KAgent, me.body.agent);
    }
    const status = await mb("GET", "/agents/status", { key });
    parse(KStatusResponse, status.body);
    expect(status.body.status).toBe("pending_claim");
    // the registration's code is still live: asking does not void it
    expect(status.body.claim_url).toBeUndefined();
    expect(status.body.expires_at).toEqual(expect.any(String));
    // pending_claim: reads yes, writes no (Moltbook's claim step)
    expect((await mb("GET", "/posts?sort=new", { key })).status).toBe(200);
    const w = await mb("POST", "/submolts", { key, body: { name: submoltName(), display_name: "x" } });
    expect(w.status).toBe(403);
    parse(OssError, w.body);
    expect(w.body.code).toBe("FORBIDDEN");
    // a taken name is a 409 CONFLICT
    const again = await mb("POST", "/agents/register", { body: { name, description: "x" } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("CONFLICT");
  });

  it("the claim is the owner pairing: an observer confirms the verification code, then the agent may write", async () => {
    const name = `claim_${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36)}`;
    const r = await mb<{ agent: { api_key: string; verification_code: string; claim_url: string } }>(
      "POST",
      "/agents/register",
      {
        body: { name, description: "to be claimed" },
      },
    );
    expect(r.body.agent.claim_url).toBe(`http://moltstack.test/owner/pair/${r.body.agent.verification_code}`);
    const key = r.body.agent.api_key;
    const owner = await createObserver();
    const ok = await api("POST", `/api/v1/owners/pairing/${r.body.agent.verification_code}/confirm`, {
      token: owner.token,
      headers: { "cf-connecting-ip": "198.51.100.20" },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const status = await mb("GET", "/agents/status", { key });
    expect(status.body.status).toBe("claimed");
    const me = await mb<{ agent: { id: string; is_claimed: boolean } }>("GET", "/agents/me", { key });
    expect(me.body.agent.is_claimed).toBe(true);
    const sub = submoltName();
    const s = await mb("POST", "/submolts", { key, body: { name: sub, display_name: "Claimed" } });
    expect(s.status).toBe(201);
    // the owner's pause reaches this door too: the channel object refuses the paused agent's post
    const paused = await api("POST", `/api/v1/owners/me/bots/${me.body.agent.id}/pause`, {
      token: owner.token,
      body: { reason: "test" },
      headers: { "cf-connecting-ip": "198.51.100.21" },
    });
    expect(paused.status, JSON.stringify(paused.body)).toBeLessThan(300);
    const p = await mb("POST", "/posts", { key, body: { submolt: sub, title: "t", content: "while paused" } });
    expect(p.status).toBe(403);
    expect(p.body.code).toBe("FORBIDDEN");
    expect(String(p.body.error)).toMatch(/paused/);
  });

  it("the registered agent's public key has no private half anywhere: it cannot log in with Ed25519", async () => {
    const name = `nokey_${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36)}`;
    const r = await mb<{ agent: { id: string } }>("POST", "/agents/register", { body: { name } });
    expect(r.status).toBe(201);
    const rows = await asSystem((tx) =>
      tx.execute<{ public_key: string; status: string }>(
        sql`select public_key, status from agents where id = ${r.body.agent.id}`,
      ),
    );
    expect(rows.rows[0]?.status).toBe("verified");
    expect(rows.rows[0]?.public_key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const marker = await asSystem((tx) =>
      tx.execute(sql`select 1 from moltbook_agents where agent_id = ${r.body.agent.id}`),
    );
    expect(marker.rows).toHaveLength(1);
  });

  it("answers 401 in Moltbook's shape without a key, with an unknown key of any shape, and 403 without the moltbook scope", async () => {
    const none = await mb("GET", "/agents/me");
    expect(none.status).toBe(401);
    parse(OssError, none.body);
    parse(KErrorResponse, none.body);
    for (const key of [
      "moltbook_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      `moltbook_${"a".repeat(64)}`,
      "ms_sk_nope",
      "x",
    ]) {
      const bad = await mb("GET", "/agents/me", { key });
      expect(bad.status, key).toBe(401);
      expect(bad.body).toMatchObject({ success: false, error: "Invalid API key", code: "UNAUTHORIZED" });
    }
    const plain = await moltAgent({ scopes: ["read", "write"] });
    const r = await mb("GET", "/agents/me", { key: plain.key });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("FORBIDDEN");
  });

  it("every write route accepts the same key (Moltbook's 401-on-comment bug): post, comment, vote, follow, DM", async () => {
    const a = await moltAgent();
    const b = await moltAgent();
    // voting is for the submolt's subscribers (MoltStack: server members), as a Moltbook client subscribes first
    const { name, postId } = await submoltWithPost(a);
    expect((await mb("POST", `/submolts/${name}/subscribe`, { key: b.key })).status).toBe(200);
    expect((await mb("POST", `/posts/${postId}/comments`, { key: b.key, body: { content: "hi" } })).status).toBe(201);
    expect((await mb("POST", `/posts/${postId}/upvote`, { key: b.key })).status).toBe(200);
    expect((await mb("POST", `/agents/${a.username}/follow`, { key: b.key })).status).toBe(200);
    expect((await mb("PATCH", "/agents/me", { key: b.key, body: { description: "new bio" } })).status).toBe(200);
  });
});

describe("moltbook: envelope and errors", () => {
  it("unknown routes are 404 'Endpoint not found' with a hint; /verify is 404 (no challenges)", async () => {
    const a = await moltAgent();
    const r = await mb("GET", "/nope/here", { key: a.key });
    expect(r.status).toBe(404);
    parse(OssNotFound, r.body);
    expect(r.body.hint).toContain("GET /moltbook/api/v1/nope/here does not exist");
    const v = await mb("POST", "/verify", {
      key: a.key,
      body: { verification_code: "moltbook_verify_00", answer: "15.00" },
    });
    expect(v.status).toBe(404);
    parse(OssError, v.body);
  });

  it("bad bodies are Moltbook-shaped 4xx: invalid JSON 400 BAD_REQUEST, unknown field 400 VALIDATION_ERROR naming it", async () => {
    const a = await moltAgent();
    const bad = await mb("POST", "/posts", { key: a.key, rawBody: "{nope" });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("BAD_REQUEST");
    const unknown = await mb("POST", "/posts", {
      key: a.key,
      body: { submolt: "x", title: "t", content: "c", tags: ["a"] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe("VALIDATION_ERROR");
    expect(JSON.stringify(unknown.body.errors)).toContain("tags");
    const missing = await mb("POST", "/posts", { key: a.key, body: { title: "t", content: "c" } });
    expect(missing.body.code).toBe("VALIDATION_ERROR");
  });

  it("serves the skill files pointing at this host, and skill.json's version", async () => {
    for (const f of ["skill.md", "heartbeat.md", "messaging.md", "rules.md"]) {
      const r = await api<string>("GET", `/moltbook/${f}`);
      expect(r.status, f).toBe(200);
      expect(String(r.body)).toContain(f === "rules.md" ? "moltstack.test" : "http://moltstack.test/moltbook/api/v1");
      expect(String(r.body)).not.toContain("www.moltbook.com");
    }
    const j = await api<{ version: string; moltbot: { api_base: string } }>("GET", "/moltbook/skill.json");
    expect(j.body.moltbot.api_base).toBe(`http://moltstack.test${MB}`);
  });
});

describe("moltbook: submolts, posts, comments, votes", () => {
  it("a submolt is a server with a forum; posts list in both list styles with a working cursor", async () => {
    const a = await moltAgent();
    const name = submoltName();
    const s = await mb<{ submolt: Record<string, unknown> }>("POST", RECORDED.createSubmolt.path, {
      key: a.key,
      body: { ...RECORDED.createSubmolt.body, name },
    });
    expect(s.status).toBe(201);
    expect(s.body.submolt).toMatchObject({ name, display_name: "AI Thoughts", your_role: "owner" });
    const one = await mb<{ submolt: Record<string, unknown> }>("GET", `/submolts/${name}`, { key: a.key });
    expect(one.body.submolt).toMatchObject({ your_role: "owner", isSubscribed: true });
    const list = await mb("GET", "/submolts?sort=new&limit=5", { key: a.key });
    parse(KSubmoltsResponse, list.body);
    parse(OssPaginated, list.body);

    const writers = [a, await moltAgent(), await moltAgent()];
    for (const [i, w] of writers.entries()) {
      if (i > 0) await mb("POST", `/submolts/${name}/subscribe`, { key: w.key });
      const body =
        i === 1
          ? { ...RECORDED.createPostNew.body, submolt_name: name }
          : { ...RECORDED.createPost.body, submolt: name };
      const p = await mb("POST", "/posts", { key: w.key, body });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      parse(KPostResponse, p.body);
    }
    const page1 = await mb<Json & { next_cursor: string; posts: { id: string }[] }>(
      "GET",
      `/posts?sort=new&limit=2&submolt=${name}`,
      { key: a.key },
    );
    parse(KFeedResponse, page1.body);
    parse(OssPaginated, page1.body);
    expect(page1.body).toMatchObject({ count: 2, has_more: true, next_offset: 2 });
    const page2 = await mb<{ posts: { id: string }[]; has_more: boolean }>(
      "GET",
      `/posts?sort=new&limit=2&submolt=${name}&cursor=${page1.body.next_cursor}`,
      { key: a.key },
    );
    expect(page2.body.posts).toHaveLength(1);
    expect(page2.body.has_more).toBe(false);
    const byOffset = await mb<{ posts: { id: string }[] }>("GET", `/submolts/${name}/feed?sort=new&limit=2&offset=2`, {
      key: a.key,
    });
    expect(byOffset.body.posts.map((p) => p.id)).toEqual(page2.body.posts.map((p) => p.id));
    const far = await mb("GET", "/posts?offset=100000", { key: a.key });
    expect(far.status).toBe(400);
  });

  it("a link post keeps its url; a post by a non-member is refused by the native membership rule", async () => {
    const a = await moltAgent();
    const name = submoltName();
    await mb("POST", "/submolts", { key: a.key, body: { name } });
    const p = await mb<{ post: { url: string; post_type: string } }>("POST", "/posts", {
      key: a.key,
      body: { ...RECORDED.linkPost.body, submolt: name },
    });
    expect(p.status).toBe(201);
    expect(p.body.post).toMatchObject({ url: "https://example.com", post_type: "link" });
    const outsider = await moltAgent();
    const r = await mb("POST", "/posts", { key: outsider.key, body: { submolt: name, title: "t", content: "c" } });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("FORBIDDEN");
  });

  it("comments come back as a nested replies tree from parent_id; a deleted one stays as [deleted] under its replies", async () => {
    const [a, b, c] = [await moltAgent(), await moltAgent(), await moltAgent()];
    const { name, postId } = await submoltWithPost(a);
    for (const x of [b, c]) await mb("POST", `/submolts/${name}/subscribe`, { key: x.key });
    const top = await mb<{ comment: { id: string; depth: number } }>("POST", `/posts/${postId}/comments`, {
      key: b.key,
      body: RECORDED.comment.body,
    });
    expect(top.status).toBe(201);
    expect(top.body.comment.depth).toBe(0);
    const reply = await mb<{ comment: { id: string; depth: number } }>("POST", `/posts/${postId}/comments`, {
      key: c.key,
      body: { ...RECORDED.reply.body, parent_id: top.body.comment.id },
    });
    expect(reply.body.comment.depth).toBe(1);
    const tree = await mb<{ comments: unknown[] }>("GET", `/posts/${postId}/comments?sort=top`, { key: a.key });
    expect(tree.body.comments).toHaveLength(1);
    for (const n of tree.body.comments) parse(OssCommentNode, n);
    expect(tree.body.comments[0]).toMatchObject({
      id: top.body.comment.id,
      replies: [{ id: reply.body.comment.id, parent_id: top.body.comment.id, depth: 1 }],
    });
    const one = await mb<{ comment: { depth: number } }>("GET", `/comments/${reply.body.comment.id}`, { key: a.key });
    expect(one.body.comment.depth).toBe(1);
    // soft delete
    expect((await mb("DELETE", `/comments/${top.body.comment.id}`, { key: b.key })).status).toBe(200);
    const after = await mb<{ comments: { content: string; replies: unknown[] }[] }>(
      "GET",
      `/posts/${postId}/comments`,
      { key: a.key },
    );
    expect(after.body.comments[0]).toMatchObject({ content: "[deleted]", author_name: "[deleted]" });
    expect(after.body.comments[0]?.replies).toHaveLength(1);
    // a bad parent is a 404, never a 500
    const orphan = await mb("POST", `/posts/${postId}/comments`, {
      key: a.key,
      body: { content: "x", parent_id: "00000000-0000-4000-8000-000000000000" },
    });
    expect(orphan.status).toBe(404);
  });

  it("replies nest at most 10 deep: an 11th level is a 400 VALIDATION_ERROR", async () => {
    const a = await moltAgent();
    const { postId } = await submoltWithPost(a);
    // a chain of 11 comments (depths 0..10) written directly, as history would hold them
    let parent: string | null = null;
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) {
      const id = crypto.randomUUID();
      await asSystem((tx) =>
        tx.execute(sql`insert into messages (id, channel_id, agent_id, seq, content, reply_to)
          values (${id}, ${postId}, ${a.id}, ${1000 + i}, ${`level ${i}`}, ${parent})`),
      );
      ids.push(id);
      parent = id;
    }
    const b = await moltAgent();
    const deepest = await mb<{ comment: { depth: number } }>("GET", `/comments/${ids[10]}`, { key: b.key });
    expect(deepest.body.comment.depth).toBe(10);
    const r = await mb("POST", `/posts/${postId}/comments`, {
      key: a.key,
      body: { content: "too deep", parent_id: ids[10] },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_ERROR");
  });

  it("deletes follow MoltStack's rules: the author or the submolt's owner, nobody else", async () => {
    const [owner, author, stranger] = [await moltAgent(), await moltAgent(), await moltAgent()];
    const { name, postId } = await submoltWithPost(owner);
    for (const x of [author, stranger]) await mb("POST", `/submolts/${name}/subscribe`, { key: x.key });
    const cm = await mb<{ comment: { id: string } }>("POST", `/posts/${postId}/comments`, {
      key: author.key,
      body: { content: "mine" },
    });
    expect((await mb("DELETE", `/comments/${cm.body.comment.id}`, { key: stranger.key })).status).toBe(403);
    expect((await mb("DELETE", `/comments/${cm.body.comment.id}`, { key: owner.key })).status).toBe(200);
    expect((await mb("DELETE", `/comments/${cm.body.comment.id}`, { key: owner.key })).status).toBe(404);
    expect((await mb("DELETE", `/posts/${postId}`, { key: stranger.key })).status).toBe(403);
    expect((await mb("DELETE", `/posts/${postId}`, { key: owner.key })).status).toBe(204);
    expect((await mb("GET", `/posts/${postId}`, { key: owner.key })).status).toBe(404);
  });

  it("votes: upvote, the same again removes it, the opposite changes it; own post is 400", async () => {
    const [a, b] = [await moltAgent(), await moltAgent()];
    const { name, postId } = await submoltWithPost(a);
    await mb("POST", `/submolts/${name}/subscribe`, { key: b.key });
    const up = await mb<Json & { score: number }>("POST", `/posts/${postId}/upvote`, { key: b.key });
    parse(OssVote, up.body);
    expect(up.body).toMatchObject({ action: "upvoted", score: 1, author: { name: a.username } });
    const again = await mb("POST", `/posts/${postId}/upvote`, { key: b.key });
    expect(again.body).toMatchObject({ action: "removed", score: 0 });
    await mb("POST", `/posts/${postId}/upvote`, { key: b.key });
    const changed = await mb("POST", `/posts/${postId}/downvote`, { key: b.key });
    expect(changed.body).toMatchObject({ action: "changed", score: -1 });
    const post = await mb<{ post: { userVote: number; upvotes: number; downvotes: number } }>(
      "GET",
      `/posts/${postId}`,
      { key: b.key },
    );
    expect(post.body.post).toMatchObject({ userVote: -1, upvotes: 0, downvotes: 1 });
    const self = await mb("POST", `/posts/${postId}/upvote`, { key: a.key });
    expect(self.status).toBe(400);
  });

  it("at most 3 pinned posts per submolt, moderators only", async () => {
    const owner = await moltAgent();
    const name = submoltName();
    await mb("POST", "/submolts", { key: owner.key, body: { name } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const w = await moltAgent();
      await mb("POST", `/submolts/${name}/subscribe`, { key: w.key });
      const p = await mb<{ post: { id: string } }>("POST", "/posts", {
        key: w.key,
        body: { submolt: name, title: `p${i}`, content: "c" },
      });
      ids.push(p.body.post.id);
    }
    const member = await moltAgent();
    await mb("POST", `/submolts/${name}/subscribe`, { key: member.key });
    expect((await mb("POST", `/posts/${ids[0]}/pin`, { key: member.key })).status).toBe(403);
    for (const id of ids.slice(0, 3))
      expect((await mb("POST", `/posts/${id}/pin`, { key: owner.key })).status).toBe(200);
    const fourth = await mb("POST", `/posts/${ids[3]}/pin`, { key: owner.key });
    expect(fourth.status).toBe(409);
    expect(fourth.body.code).toBe("CONFLICT");
  });

  it("Moltbook's post limit: a second post within 30 minutes is 429 with retry_after_* and X-RateLimit-* headers", async () => {
    const a = await moltAgent();
    const { name } = await submoltWithPost(a);
    const r = await mb("POST", "/posts", { key: a.key, body: { submolt: name, title: "again", content: "c" } });
    expect(r.status).toBe(429);
    parse(KErrorResponse, r.body);
    expect(r.body).toMatchObject({
      code: "RATE_LIMITED",
      retry_after_minutes: expect.any(Number),
      retry_after_seconds: expect.any(Number),
    });
    expect(Number(r.body.retry_after_minutes)).toBeGreaterThan(0);
    expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(r.headers.get("x-ratelimit-limit")).toBe("1");
    expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(r.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000 - 5);
  });
});

describe("moltbook: feed, search, home, follow, DMs", () => {
  it("feed = joined submolts + followed agents; filter=following = follows only; profile shows isFollowing", async () => {
    const [a, b, reader] = [await moltAgent(), await moltAgent(), await moltAgent()];
    const s1 = await submoltWithPost(a);
    const s2 = await submoltWithPost(b);
    await mb("POST", `/submolts/${s1.name}/subscribe`, { key: reader.key });
    const f = await mb("POST", `/agents/${b.username}/follow`, { key: reader.key });
    expect(f.body.action).toBe("followed");
    expect((await mb("POST", `/agents/${b.username}/follow`, { key: reader.key })).body.action).toBe(
      "already_following",
    );
    const all = await mb<{ posts: { id: string }[] }>("GET", "/feed?sort=new&limit=50", { key: reader.key });
    parse(KFeedResponse, all.body);
    const ids = all.body.posts.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining([s1.postId, s2.postId]));
    const following = await mb<{ posts: { id: string }[] }>("GET", "/feed?filter=following", { key: reader.key });
    expect(following.body.posts.map((p) => p.id)).toEqual([s2.postId]);
    const prof = await mb<Json & { recentPosts: { id: string }[] }>("GET", `/agents/profile?name=${b.username}`, {
      key: reader.key,
    });
    expect(prof.body).toMatchObject({ isFollowing: true, is_following: true });
    expect(prof.body.recentPosts.map((p) => p.id)).toEqual([s2.postId]);
    const home = await mb<Json & { your_account: { name: string } }>("GET", "/home", { key: reader.key });
    expect(home.body.your_account.name).toBe(reader.username);
    expect(home.body).toHaveProperty("what_to_do_next");
    const un = await mb("DELETE", `/agents/${b.username}/follow`, { key: reader.key });
    expect(un.body.action).toBe("unfollowed");
  });

  it("search finds posts and comments with a 0–1 similarity, plus posts/agents/submolts for older clients", async () => {
    const [a, b] = [await moltAgent(), await moltAgent()];
    const word = `zebrafish${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36)}`;
    const name = submoltName();
    await mb("POST", "/submolts", { key: a.key, body: { name } });
    const p = await mb<{ post: { id: string } }>("POST", "/posts", {
      key: a.key,
      body: { submolt: name, title: "t", content: `about ${word}` },
    });
    await mb("POST", `/submolts/${name}/subscribe`, { key: b.key });
    await mb("POST", `/posts/${p.body.post.id}/comments`, { key: b.key, body: { content: `${word} indeed` } });
    const r = await mb<{ results: { type: string; post_id: string }[]; posts: unknown[] }>(
      "GET",
      `/search?q=${word}&type=all`,
      { key: a.key },
    );
    expect(r.status).toBe(200);
    parse(KSearchResponse, r.body);
    expect(r.body.results.map((x) => x.type).sort()).toEqual(["comment", "post"]);
    expect(r.body.results.every((x) => x.post_id === p.body.post.id)).toBe(true);
    expect(r.body.posts).toHaveLength(1);
    expect(r.body).toHaveProperty("agents");
    expect(r.body).toHaveProperty("submolts");
    // submolts are found through the native server search (by display name)
    const subSearch = await mb<{ submolts: { name: string }[] }>("GET", `/search?q=${name}`, { key: b.key });
    expect(subSearch.body.submolts.map((x) => x.name)).toContain(name);
    const onlyComments = await mb<{ results: { type: string }[] }>("GET", `/search?q=${word}&type=comments`, {
      key: a.key,
    });
    expect(onlyComments.body.results.map((x) => x.type)).toEqual(["comment"]);
  });

  it("DMs: request (a friend request with its message), check, approve (the DM channel), read, send", async () => {
    const [a, b] = [await moltAgent(), await moltAgent()];
    const req = await mb<{ conversation_id: string }>("POST", RECORDED.dmRequest.path, {
      key: a.key,
      body: { ...RECORDED.dmRequest.body, to: b.username },
    });
    expect(req.status).toBe(RECORDED.dmRequest.status);
    const check = await mb<{
      has_activity: boolean;
      requests: { items: { conversation_id: string; message_preview: string }[] };
    }>("GET", "/agents/dm/check", {
      key: b.key,
    });
    parse(KDmCheckResponse, check.body);
    expect(check.body.has_activity).toBe(true);
    const item = check.body.requests.items[0];
    expect(item?.message_preview).toBe(RECORDED.dmRequest.body.message);
    const ok = await mb<{ conversation_id: string }>("POST", `/agents/dm/requests/${item?.conversation_id}/approve`, {
      key: b.key,
    });
    expect(ok.status).toBe(200);
    const convs = await mb<{ conversations: { items: { conversation_id: string }[] } }>(
      "GET",
      "/agents/dm/conversations",
      { key: a.key },
    );
    parse(KDmListResponse, convs.body);
    expect(convs.body.conversations.items.map((x) => x.conversation_id)).toContain(ok.body.conversation_id);
    // the request id works as the conversation id too (what a Moltbook client kept)
    const sent = await mb("POST", `/agents/dm/conversations/${req.body.conversation_id}/send`, {
      key: a.key,
      body: RECORDED.dmSend.body,
    });
    expect(sent.status).toBe(RECORDED.dmSend.status);
    const read = await mb<{ messages: Json[] }>("GET", `/agents/dm/conversations/${ok.body.conversation_id}`, {
      key: b.key,
    });
    for (const m of read.body.messages) parse(KMessage, m);
    expect(read.body.messages.map((m) => m.message)).toEqual([
      RECORDED.dmRequest.body.message,
      RECORDED.dmSend.body.message,
    ]);
    // a stranger cannot read it
    const c = await moltAgent();
    expect((await mb("GET", `/agents/dm/conversations/${ok.body.conversation_id}`, { key: c.key })).status).toBe(404);
  });

  it("new agents (< 24 h) cannot DM under the production limits", async () => {
    const [young, b] = [await moltAgent({ old: false }), await moltAgent()];
    const r = await mb("POST", "/agents/dm/request", {
      key: young.key,
      body: { to: b.username, message: "hello there friend" },
    });
    expect(r.status).toBe(403);
  });
});

describe("moltbook: one system, not two", () => {
  it("a native agent's socket and an observer see a Moltbook post live as a forum thread", async () => {
    const a = await moltAgent();
    const name = submoltName();
    const s = await mb<{ submolt: { moltstack: { forum_channel_id: string; server_id: string } } }>(
      "POST",
      "/submolts",
      {
        key: a.key,
        body: { name },
      },
    );
    const forum = s.body.submolt.moltstack.forum_channel_id;
    const native = await moltAgent();
    await api("POST", `/api/v1/servers/${s.body.submolt.moltstack.server_id}/join`, { token: native.token });
    const agentSocket = await connect(forum, { token: native.token });
    const observer = await createObserver();
    const observerSocket = await connect(forum, { token: observer.token });
    try {
      const p = await mb<{ post: { id: string; title: string } }>("POST", "/posts", {
        key: a.key,
        body: { submolt: name, title: "Seen everywhere", content: "one post, two doors" },
      });
      for (const sock of [agentSocket, observerSocket]) {
        const f = await sock.next("thread_created");
        expect(f.thread).toMatchObject({ id: p.body.post.id, kind: "post", title: "Seen everywhere" });
      }
      // and through the native REST API
      const listed = await api<{ items: { id: string }[] }>("GET", `/api/v1/channels/${forum}/posts?sort=new`, {
        token: observer.token,
      });
      expect(listed.body.items.map((x) => x.id)).toContain(p.body.post.id);
    } finally {
      agentSocket.close();
      observerSocket.close();
    }
  });

  it("a subscribe and a post through Moltbook reach the agent's followers at once, as through REST", async () => {
    const a = await moltAgent();
    const { name } = await submoltWithPost(a);
    const star = await moltAgent();
    const fan = await moltAgent();
    expect((await mb("POST", `/agents/${star.username}/follow`, { key: fan.key })).status).toBe(200);
    const hub = await connect("", { path: "/ws", token: fan.token });
    try {
      await hub.next("hello");
      expect((await mb("POST", `/submolts/${name}/subscribe`, { key: star.key })).status).toBe(200);
      const joined = await hub.next("followed_agent_activity");
      expect(joined).toMatchObject({ from: star.username, activity: { kind: "agent_joined" } });
      const p = await mb("POST", "/posts", { key: star.key, body: { submolt: name, title: "Hello", content: "x" } });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const posted = await hub.next("followed_agent_activity");
      expect(posted).toMatchObject({ from: star.username });
    } finally {
      hub.close();
    }
  });
});
