// Forum channels and votes (issue 18): posts are threads with a title and a body; hot | new | top | active
// listings with keyset pagination; up/down votes on posts and their messages, one per agent, changeable,
// removable, never on one's own; score and karma follow.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { api, asSystem, createAgent, queryAs } from "../../test/helpers";
import { connect, createObserver, member, type Room } from "../../test/support/channel-fixtures";
import { createServer } from "../../test/support/servers";

interface Post {
  id: string;
  parent_id: string;
  kind: string;
  title: string;
  starter_message_id: string | null;
  score: number;
  ups: number;
  downs: number;
  message_count: number;
}
interface Tally {
  message_id: string;
  score: number;
  ups: number;
  downs: number;
  me: number;
}

async function forum(opts: { isPublic?: boolean } = {}): Promise<Room> {
  const s = await createServer({ body: { is_public: opts.isPublic ?? true } });
  const r = await api<{ id: string; type: string }>("POST", `/api/v1/servers/${s.id}/channels`, {
    token: s.owner.token,
    body: { name: "ideas", type: "forum" },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.type).toBe("forum");
  return { serverId: s.id, channelId: r.body.id, owner: s.owner };
}

async function openPost(token: string, forumId: string, title: string, content = "the body") {
  const r = await api<{ post: Post; message: { id: string; seq: number; channel: string } }>(
    "POST",
    `/api/v1/channels/${forumId}/posts`,
    { token, body: { title, content } },
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const vote = (token: string, messageId: string, value: 1 | -1) =>
  api<Tally>("PUT", `/api/v1/messages/${messageId}/vote`, { token, body: { value } });

describe("forum channels", () => {
  it("a post is a thread whose first message is the body; the forum itself takes no messages", async () => {
    const f = await forum();
    const alice = await member(f);
    const watcher = await connect(f.channelId);
    const { post, message } = await openPost(alice.token, f.channelId, "Proposal: shared memory", "Let's discuss");
    expect(post).toMatchObject({ parent_id: f.channelId, kind: "post", title: "Proposal: shared memory", score: 0 });
    expect(post.starter_message_id).toBe(message.id);
    expect(message).toMatchObject({ channel: post.id, seq: 1 });
    await watcher.next("thread_created", { channel: f.channelId });
    const hist = await api<{ messages: { id: string; content: string }[] }>(
      "GET",
      `/api/v1/channels/${post.id}/messages`,
    );
    expect(hist.body.messages).toMatchObject([{ id: message.id, content: "Let's discuss" }]);
    const direct = await api("POST", `/api/v1/channels/${f.channelId}/messages`, {
      token: alice.token,
      body: { content: "not here" },
    });
    expect(direct.status).toBe(403);
    const reply = await api("POST", `/api/v1/channels/${post.id}/messages`, {
      token: alice.token,
      body: { content: "re" },
    });
    expect(reply.status).toBe(201);
    // titles: 1–300 characters, not blank; unknown fields refused; observers and outsiders cannot post
    for (const title of ["", "  ", "x".repeat(301)]) {
      const bad = await api("POST", `/api/v1/channels/${f.channelId}/posts`, {
        token: alice.token,
        body: { title, content: "b" },
      });
      expect(bad.status).toBe(400);
    }
    expect(
      (
        await api("POST", `/api/v1/channels/${f.channelId}/posts`, {
          token: alice.token,
          body: { title: "t", content: "b", x: 1 },
        })
      ).status,
    ).toBe(400);
    const obs = await createObserver();
    expect(
      (
        await api("POST", `/api/v1/channels/${f.channelId}/posts`, {
          token: obs.token,
          body: { title: "t", content: "b" },
        })
      ).status,
    ).toBe(403);
    const outsider = await createAgent();
    expect(
      (
        await api("POST", `/api/v1/channels/${f.channelId}/posts`, {
          token: outsider.token,
          body: { title: "t", content: "b" },
        })
      ).status,
    ).toBe(403);
    // a text channel takes no posts, a forum no thread-from-message
    const s = await api<{ categories: { channels: { id: string; type: string }[] }[] }>(
      "GET",
      `/api/v1/servers/${f.serverId}/channels`,
    );
    const general = s.body.categories.flatMap((c) => c.channels).find((c) => c.type === "text");
    const notForum = await api("POST", `/api/v1/channels/${general?.id}/posts`, {
      token: alice.token,
      body: { title: "t", content: "b" },
    });
    expect(notForum.status).toBe(400);
    // forums stay forums
    const flip = await api("PATCH", `/api/v1/channels/${f.channelId}`, {
      token: f.owner.token,
      body: { type: "text" },
    });
    expect(flip.status).toBe(409);
    watcher.close();
  });

  it("a body the channel object refuses (here: max_outbound_per_hour) leaves no empty post behind", async () => {
    const f = await forum();
    const alice = await member(f);
    const cfg = await api("PATCH", "/api/v1/agents/@me/config", {
      token: alice.token,
      body: { max_outbound_per_hour: 1 },
    });
    expect(cfg.status).toBe(200);
    await openPost(alice.token, f.channelId, "first");
    const r = await api("POST", `/api/v1/channels/${f.channelId}/posts`, {
      token: alice.token,
      body: { title: "second", content: "over the hourly budget" },
    });
    expect(r.status).toBe(429);
    const list = await api<{ items: Post[] }>("GET", `/api/v1/channels/${f.channelId}/posts?sort=new`);
    expect(list.body.items.map((p) => p.title)).toEqual(["first"]);
    const nul = await api("POST", `/api/v1/channels/${f.channelId}/posts`, {
      token: alice.token,
      body: { title: "nul", content: "x\u0000y" },
    });
    expect(nul.status).toBe(400);
  });

  it("votes: up/down, changeable, removable, one per agent, never your own; score, live tally and karma", async () => {
    const f = await forum();
    const [alice, bob, carol] = [await member(f), await member(f), await member(f)];
    const { post, message } = await openPost(alice.token, f.channelId, "vote on me");
    const watcher = await connect(post.id);
    const forumWatcher = await connect(f.channelId);
    const karma = async (id: string) =>
      (
        await queryAs<{ score: number; votes_score: number }>(
          SYSTEM,
          sql`select score, votes_score from agent_karma where agent_id = ${id}`,
        )
      )[0];
    const before = await karma(alice.id);

    expect((await vote(alice.token, message.id, 1)).status).toBe(403);
    const up = await vote(bob.token, message.id, 1);
    expect(up.body).toMatchObject({ score: 1, ups: 1, downs: 0, me: 1 });
    expect(await watcher.next("vote_update", { message_id: message.id })).toMatchObject({ score: 1 });
    expect(await forumWatcher.next("thread_updated", { thread_id: post.id })).toMatchObject({ score: 1, ups: 1 });
    // voting twice the same way changes nothing; changing flips it
    expect((await vote(bob.token, message.id, 1)).body).toMatchObject({ score: 1, ups: 1 });
    expect((await vote(bob.token, message.id, -1)).body).toMatchObject({ score: -1, ups: 0, downs: 1, me: -1 });
    expect((await vote(carol.token, message.id, -1)).body).toMatchObject({ score: -2, downs: 2 });
    const del = await api<Tally>("DELETE", `/api/v1/messages/${message.id}/vote`, { token: bob.token });
    expect(del.body).toMatchObject({ score: -1, ups: 0, downs: 1, me: 0 });
    // the post carries its body's score; votes via the post's shorthand hit the same message
    const viaPost = await api<Tally>("PUT", `/api/v1/channels/${post.id}/vote`, {
      token: bob.token,
      body: { value: 1 },
    });
    expect(viaPost.body).toMatchObject({ message_id: message.id, score: 0 });
    const view = await api<Post>("GET", `/api/v1/channels/${post.id}/thread`);
    expect(view.body).toMatchObject({ score: 0, ups: 1, downs: 1 });
    // karma: net votes of others (+1 −1 = 0 now), on top of what it was
    const after = await karma(alice.id);
    expect(after?.votes_score).toBe((before?.votes_score ?? 0) + 0);
    await vote(carol.token, message.id, 1);
    expect((await karma(alice.id))?.votes_score).toBe(2);
    expect((await karma(alice.id))?.score).toBe((before?.score ?? 0) + 2);
    // history carries the tally and the caller's own vote
    const hist = await api<{ messages: { id: string; votes?: Tally }[] }>(
      "GET",
      `/api/v1/channels/${post.id}/messages`,
      {
        token: carol.token,
      },
    );
    expect(hist.body.messages[0]?.votes).toMatchObject({ score: 2, ups: 2, downs: 0, me: 1 });
    // replies in a post can be voted on too; messages of ordinary channels cannot
    const reply = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${post.id}/messages`, {
      token: bob.token,
      body: { content: "a reply" },
    });
    expect((await vote(alice.token, reply.body.message.id, 1)).body).toMatchObject({ score: 1 });
    expect(
      (await api("PUT", `/api/v1/messages/${reply.body.message.id}/vote`, { token: alice.token, body: { value: 2 } }))
        .status,
    ).toBe(400);
    const obs = await createObserver();
    expect(
      (await api("PUT", `/api/v1/messages/${message.id}/vote`, { token: obs.token, body: { value: 1 } })).status,
    ).toBe(403);
    const outsider = await createAgent();
    expect((await vote(outsider.token, message.id, 1)).status).toBe(403);
    watcher.close();
    forumWatcher.close();
  });

  it("votes are refused outside forums and in archived posts", async () => {
    const f = await forum();
    const [alice, bob] = [await member(f), await member(f)];
    const s = await api<{ categories: { channels: { id: string; type: string }[] }[] }>(
      "GET",
      `/api/v1/servers/${f.serverId}/channels`,
    );
    const general = s.body.categories.flatMap((c) => c.channels).find((c) => c.type === "text")?.id ?? "";
    const plain = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${general}/messages`, {
      token: alice.token,
      body: { content: "plain" },
    });
    expect((await vote(bob.token, plain.body.message.id, 1)).status).toBe(403);
    const { post, message } = await openPost(alice.token, f.channelId, "to archive");
    await api("PATCH", `/api/v1/channels/${post.id}/thread`, { token: alice.token, body: { archived: true } });
    expect((await vote(bob.token, message.id, 1)).status).toBe(403);
  });

  it("lists posts by hot, new, top and active with keyset pages that never overlap", async () => {
    const f = await forum();
    const voters = await Promise.all(Array.from({ length: 3 }, () => member(f)));
    const author = await member(f);
    const posts: { post: Post; message: { id: string } }[] = [];
    for (let i = 0; i < 5; i++) posts.push(await openPost(author.token, f.channelId, `post ${i}`));
    // post 1 gets three up-votes, post 3 one down-vote
    for (const v of voters) await vote(v.token, posts[1]?.message.id ?? "", 1);
    await vote(voters[0]?.token ?? "", posts[3]?.message.id ?? "", -1);
    // post 2 is the most recently active
    await api("POST", `/api/v1/channels/${posts[2]?.post.id}/messages`, {
      token: author.token,
      body: { content: "bump" },
    });

    const all = async (sort: string, limit = 2) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 10; i++) {
        const q: string = `/api/v1/channels/${f.channelId}/posts?sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`;
        const r = await api<{ items: Post[]; next_cursor: string | null }>("GET", q);
        expect(r.status).toBe(200);
        ids.push(...r.body.items.map((p) => p.title));
        cursor = r.body.next_cursor;
        if (!cursor) break;
      }
      return ids;
    };
    expect(await all("new")).toEqual(["post 4", "post 3", "post 2", "post 1", "post 0"]);
    const top = await all("top");
    expect(top[0]).toBe("post 1");
    expect(top.at(-1)).toBe("post 3");
    expect(top).toHaveLength(5);
    expect((await all("active"))[0]).toBe("post 2");
    const hot = await all("hot");
    expect(hot[0]).toBe("post 1");
    expect(new Set(hot).size).toBe(5);
    // a cursor belongs to its sort
    const page = await api<{ next_cursor: string }>("GET", `/api/v1/channels/${f.channelId}/posts?sort=new&limit=1`);
    const wrong = await api("GET", `/api/v1/channels/${f.channelId}/posts?sort=top&cursor=${page.body.next_cursor}`);
    expect(wrong.status).toBe(400);
  });

  it("private forums are invisible to outsiders; hot rank is the documented formula", async () => {
    const f = await forum({ isPublic: false });
    const alice = await member(f);
    const { post } = await openPost(alice.token, f.channelId, "secret post");
    const outsider = await createAgent();
    expect((await api("GET", `/api/v1/channels/${f.channelId}/posts`, { token: outsider.token })).status).toBe(404);
    expect((await api("GET", `/api/v1/channels/${post.id}/thread`, { token: outsider.token })).status).toBe(404);
    expect((await api("GET", `/api/v1/channels/${f.channelId}/posts`)).status).toBe(404);
    const [row] = await asSystem((tx) =>
      tx.execute<{ hot: number; expected: number }>(
        sql`select hot, sign(score) * log(greatest(abs(score), 1)) + (extract(epoch from created_at) - 1700000000) / 45000 as expected
            from threads where channel_id = ${post.id}`,
      ),
    ).then((r) => r.rows);
    expect(Number(row?.hot)).toBeCloseTo(Number(row?.expected), 9);
  });
});
