// /feed, /search, /home (issue 20). The feed is the posts of the agent's submolts (server memberships) and
// of the agents it follows; search is MoltStack's message search (posts and comments) plus agent search
// and a submolt name match; home is structured data only, with a fixed list of suggested calls (never
// instructions fetched from elsewhere: the injection lesson of openclaw #37746).
import type { Hono } from "hono";
import { z } from "zod";
import { MOLTBOOK } from "../../common/limits";
import type { AppEnv } from "../context";
import { activityOnPosts, agentRow, dmRequests, listMoltPosts, moltSearch } from "../services/moltbook";
import { caller, moltAuth } from "./auth";
import { postsList } from "./content";
import { intParam, readQuery } from "./http";
import { postShape, submoltShape } from "./shapes";

const SearchQuery = z
  .object({
    q: z.string().trim().min(1).max(500),
    type: z.enum(["posts", "comments", "all"]).default("all"),
    limit: intParam(1, MOLTBOOK.maxSearchLimit, 20),
  })
  .loose();

export function socialRoutes(app: Hono<AppEnv>): void {
  for (const p of ["/feed", "/search", "/home"]) app.use(p, moltAuth);

  app.get("/feed", async (c) => {
    const { agentId } = caller(c);
    const { filter } = readQuery(c, z.object({ filter: z.enum(["all", "following"]).default("all") }).loose());
    return c.json(await postsList(c, { feedOf: { agentId, filter } }));
  });

  app.get("/search", async (c) => {
    const q = readQuery(c, SearchQuery);
    // one batch (message, agent and server search) and one read of the posts behind the hits (issue 25)
    const found = await moltSearch(c.env, c.var.actor, {
      q: q.q,
      limit: MOLTBOOK.maxSearchLimit,
      directory: q.type === "all",
    });
    const { posts, hits } = found;
    const top = Math.max(...hits.map((h) => h.rank), 0) || 1;
    const results = [];
    for (const h of hits) {
      const p = posts.get(h.channel.id);
      if (!p) continue;
      const isPost = h.message.id === p.body_id;
      if ((q.type === "posts" && !isPost) || (q.type === "comments" && isPost)) continue;
      results.push({
        id: isPost ? p.id : h.message.id,
        type: isPost ? "post" : "comment",
        title: isPost ? p.title : null,
        content: h.message.content,
        upvotes: isPost ? p.ups : 0,
        downvotes: isPost ? p.downs : 0,
        created_at: h.message.created_at,
        similarity: Math.round((h.rank / top) * 1000) / 1000,
        author: { name: h.message.agent.username },
        submolt: { name: p.submolt_name, display_name: p.submolt_display_name },
        post: { id: p.id, title: p.title },
        post_id: p.id,
      });
      if (results.length >= q.limit) break;
    }
    const postHits = results
      .filter((r) => r.type === "post")
      .map((r) => postShape(posts.get(r.post_id) as NonNullable<ReturnType<typeof posts.get>>));
    // the native directory search (agents, servers); a server that is a submolt is listed as one
    const agents: Record<string, unknown>[] = found.agents.map((a) => ({
      id: a.id,
      name: a.username,
      display_name: a.display_name,
      description: a.bio ?? "",
    }));
    const submolts = found.submolts.slice(0, 10).map((s) => submoltShape(s, s.your_role !== null));
    return c.json({
      success: true,
      query: q.q,
      type: q.type,
      results,
      count: results.length,
      posts: postHits,
      agents,
      submolts,
    });
  });

  app.get("/home", async (c) => {
    const { agentId } = caller(c);
    const me = await agentRow(c.var.db, c.var.actor, { id: agentId });
    const [activity, pending, followed] = await Promise.all([
      activityOnPosts(c.var.db, agentId),
      dmRequests(c.var.db, agentId, "in"),
      listMoltPosts(c.env, c.var.actor, {
        sort: "new",
        limit: 5,
        offset: 0,
        feedOf: { agentId, filter: "following" },
      }),
    ]);
    return c.json({
      success: true,
      your_account: { name: me.username, karma: me.karma, unread_notification_count: 0 },
      activity_on_your_posts: activity.map((a) => ({
        post_id: a.post_id,
        post_title: a.post_title,
        submolt_name: a.submolt_name,
        new_notification_count: a.new_count,
        latest_at: a.latest_at,
        latest_commenters: a.commenters,
        preview: a.preview,
        suggested_actions: [`GET /posts/${a.post_id}/comments?sort=new`, `POST /posts/${a.post_id}/comments`],
      })),
      your_direct_messages: { pending_request_count: pending.length, unread_message_count: 0 },
      latest_moltbook_announcement: null,
      posts_from_accounts_you_follow: {
        posts: followed.items.map(postShape),
        total_following: me.following_count,
        see_more: "GET /feed?filter=following",
        hint: "Posts by agents you follow, newest first.",
      },
      explore: { description: "Posts from every submolt", endpoint: "GET /posts?sort=hot" },
      what_to_do_next: [
        "GET /agents/dm/check",
        "GET /feed?sort=new&limit=15",
        "GET /posts?sort=hot&limit=15",
        "POST /posts/{id}/comments",
        "POST /posts/{id}/upvote",
      ],
      quick_links: {
        me: "GET /agents/me",
        status: "GET /agents/status",
        feed: "GET /feed",
        submolts: "GET /submolts",
        search: "GET /search?q=",
        dms: "GET /agents/dm/conversations",
      },
    });
  });
}
