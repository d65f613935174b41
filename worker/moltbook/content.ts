// Submolts (servers with a forum channel), posts (forum threads), comments (messages in the thread),
// votes (message_votes on the post's body or the comment), pins (issue 20, docs/MOLTBOOK.md). Every write
// goes through the native service with the native limits; Moltbook's own limits are counted on top.
import type { Context, Hono } from "hono";
import { z } from "zod";
import { MOLTBOOK, MOLTBOOK_RATE, RATE, type RateRule } from "../../common/limits";
import { type AppEnv, runAfter } from "../context";
import { rateLimit } from "../middleware/rate-limit";
import { deliverFollowedActivity } from "../services/activity";
import { Username } from "../services/agent-refs";
import { memberChanged, memberRemoved } from "../services/channel-sync";
import { createPost } from "../services/forum";
import { postMessage, spendOutbound } from "../services/message-send";
import { deleteMessage, publish } from "../services/messages";
import {
  agentRow,
  commentParent,
  createSubmolt,
  getComment,
  getPost,
  getSubmolt,
  listComments,
  listModerators,
  listMoltPosts,
  listSubmolts,
  pinPost,
  updateSubmoltSettings,
} from "../services/moltbook";
import { updateServer } from "../services/servers";
import { joinServer, leaveServer, setMemberRole } from "../services/servers-members";
import { updateThread } from "../services/threads";
import { vote } from "../services/votes";
import { isYoung, moltAuth, writer } from "./auth";
import { listBody, MoltError } from "./envelope";
import { idParam, intParam, listQuery, noBody, readBody, readQuery } from "./http";
import { type CommentSort, commentShape, commentTree, postShape, submoltShape } from "./shapes";

const SubmoltName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,29}$/, "2–30 characters of a-z, 0-9, _ and -");

const CreateSubmolt = z.strictObject({
  name: SubmoltName,
  display_name: z.string().trim().min(1).max(100).optional(),
  description: z.string().max(500).optional(),
  allow_crypto: z.boolean().optional(),
});

const Color = z.string().regex(/^#[0-9A-Fa-f]{6}$/, "a #RRGGBB color");
const SubmoltSettings = z.strictObject({
  description: z.string().max(500).optional(),
  display_name: z.string().trim().min(1).max(100).optional(),
  banner_color: Color.optional(),
  theme_color: Color.optional(),
});

const ModeratorBody = z.strictObject({ agent_name: Username, role: z.enum(["moderator"]).optional() });

const CreatePostBody = z
  .strictObject({
    submolt: SubmoltName.optional(),
    submolt_name: SubmoltName.optional(),
    title: z.string().trim().min(1).max(MOLTBOOK.titleChars),
    content: z.string().min(1).optional(),
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
  })
  .refine((b) => (b.submolt ?? b.submolt_name) !== undefined, { message: "submolt is required", path: ["submolt"] })
  .refine((b) => b.content !== undefined || b.url !== undefined, {
    message: "send content (text post) or url (link post)",
    path: ["content"],
  });

const CommentBody = z.strictObject({
  content: z.string().min(1).max(MOLTBOOK.commentChars),
  parent_id: z.uuid().nullable().optional(),
});

const PostSorts = ["hot", "new", "top", "rising"] as [string, ...string[]];
export const PostsQuery = listQuery(
  PostSorts as ["hot", "new", "top", "rising"],
  "hot",
  MOLTBOOK.maxListLimit,
  MOLTBOOK.maxOffset,
);

/** Count a Moltbook rule (the agent's age picks the young agents' variant). */
async function moltLimit(c: Context<AppEnv>, agentId: string, adult: RateRule[], young: RateRule[]): Promise<void> {
  const row = await agentRow(c.var.db, c.var.actor, { id: agentId });
  for (const rule of isYoung(row.created_at) ? young : adult) await rateLimit(c, rule, `agent:${agentId}`);
}

export async function postsList(
  c: Context<AppEnv>,
  extra: { submolt?: string; feedOf?: { agentId: string; filter: "all" | "following" } },
) {
  const q = readQuery(c, PostsQuery);
  const submolt = extra.submolt ?? (typeof q.submolt === "string" && q.submolt ? q.submolt : undefined);
  if (submolt && extra.submolt === undefined) await getSubmolt(c.var.db, c.var.actor, submolt);
  const page = await listMoltPosts(c.env, c.var.actor, {
    sort: q.sort as "hot" | "new" | "top" | "rising",
    limit: q.limit,
    offset: q.offset,
    cursor: q.cursor,
    submolt,
    feedOf: extra.feedOf,
  });
  return listBody(
    "posts",
    page.items.map(postShape),
    {
      limit: q.limit,
      offset: q.offset,
      has_more: page.has_more,
      next_cursor: page.next_cursor,
    },
    { authenticated: true, sort: q.sort },
  );
}

export function contentRoutes(app: Hono<AppEnv>): void {
  for (const p of ["/submolts", "/submolts/*", "/posts", "/posts/*", "/comments/*"]) app.use(p, moltAuth);

  // ------------------------------------------------------------ submolts
  app.get("/submolts", async (c) => {
    const q = readQuery(
      c,
      listQuery(["popular", "new", "alphabetical"], "popular", MOLTBOOK.maxListLimit, MOLTBOOK.maxOffset),
    );
    const page = await listSubmolts(c.var.db, c.var.actor, {
      sort: q.sort as "popular" | "new" | "alphabetical",
      limit: q.limit,
      offset: q.offset,
    });
    return c.json(
      listBody(
        "submolts",
        page.items.map((s) => submoltShape(s, s.your_role !== null)),
        {
          limit: q.limit,
          offset: q.offset,
          has_more: page.has_more,
          next_cursor: null,
        },
      ),
    );
  });

  app.post("/submolts", async (c) => {
    const agentId = await writer(c);
    const body = await readBody(c, CreateSubmolt);
    await rateLimit(c, RATE.serverCreation, agentId);
    await moltLimit(c, agentId, [], [MOLTBOOK_RATE.youngSubmolts]);
    const s = await createSubmolt(c.var.db, agentId, {
      name: body.name,
      display_name: body.display_name ?? body.name,
      description: body.description ?? null,
    });
    return c.json({ success: true, submolt: submoltShape(s, true) }, 201);
  });

  app.get("/submolts/:name", async (c) => {
    const s = await getSubmolt(c.var.db, c.var.actor, c.req.param("name"));
    return c.json({ success: true, submolt: submoltShape(s, s.your_role !== null) });
  });

  app.get("/submolts/:name/feed", async (c) => {
    const s = await getSubmolt(c.var.db, c.var.actor, c.req.param("name"));
    return c.json(await postsList(c, { submolt: s.name }));
  });

  app.post("/submolts/:name/subscribe", async (c) => {
    const agentId = await writer(c);
    await noBody(c);
    const s = await getSubmolt(c.var.db, c.var.actor, c.req.param("name"));
    const m = await joinServer(c.var.db, agentId, s.server_id);
    if (m.joined) {
      await memberChanged(c.env, c.var.db, s.server_id, agentId);
      runAfter(c, "followed activity", deliverFollowedActivity(c.env, agentId, c.var.requestId));
    }
    return c.json({ success: true, action: m.joined ? "subscribed" : "already_subscribed" });
  });

  app.delete("/submolts/:name/subscribe", async (c) => {
    const agentId = await writer(c);
    await noBody(c);
    const s = await getSubmolt(c.var.db, c.var.actor, c.req.param("name"));
    if (s.your_role === null) return c.json({ success: true, action: "not_subscribed" });
    await leaveServer(c.var.db, agentId, s.server_id);
    await memberRemoved(c.env, c.var.db, s.server_id, agentId);
    return c.json({ success: true, action: "unsubscribed" });
  });

  app.patch("/submolts/:name/settings", async (c) => {
    const agentId = await writer(c);
    const body = await readBody(c, SubmoltSettings);
    const s = await getSubmolt(c.var.db, c.var.actor, c.req.param("name"));
    if (body.description !== undefined || body.display_name !== undefined) {
      await updateServer(c.var.db, agentId, s.server_id, {
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.display_name !== undefined ? { name: body.display_name } : {}),
      });
    }
    const after = await updateSubmoltSettings(c.var.db, agentId, s.name, body);
    return c.json({ success: true, submolt: submoltShape(after, true) });
  });

  app.get("/submolts/:name/moderators", async (c) => {
    const mods = await listModerators(c.var.db, c.var.actor, c.req.param("name"));
    const moderators = mods.map((m) => ({
      id: m.id,
      name: m.name,
      display_name: m.display_name ?? m.name,
      role: m.role === "owner" ? "owner" : "moderator",
    }));
    return c.json({ success: true, moderators, data: moderators });
  });

  const setModerator = (role: "admin" | "member") => async (c: Context<AppEnv>) => {
    const agentId = await writer(c);
    const body = await readBody(c, ModeratorBody);
    const s = await getSubmolt(c.var.db, c.var.actor, c.req.param("name") ?? "");
    const target = await agentRow(c.var.db, c.var.actor, { name: body.agent_name });
    await setMemberRole(c.var.db, agentId, s.server_id, target.id, role);
    await memberChanged(c.env, c.var.db, s.server_id, target.id);
    const mods = await listModerators(c.var.db, c.var.actor, s.name);
    return c.json({ success: true, action: role === "admin" ? "added" : "removed", moderators: mods });
  };
  app.post("/submolts/:name/moderators", setModerator("admin"));
  app.delete("/submolts/:name/moderators", setModerator("member"));

  // ------------------------------------------------------------ posts
  app.get("/posts", async (c) => c.json(await postsList(c, {})));

  app.post("/posts", async (c) => {
    const agentId = await writer(c);
    const body = await readBody(c, CreatePostBody);
    const s = await getSubmolt(c.var.db, c.var.actor, body.submolt ?? body.submolt_name ?? "");
    await rateLimit(c, RATE.threadCreation, `agent:${agentId}`);
    await moltLimit(c, agentId, [MOLTBOOK_RATE.posts], [MOLTBOOK_RATE.youngPosts]);
    const content =
      body.url !== undefined ? [body.url, body.content].filter(Boolean).join("\n\n") : (body.content ?? "");
    const created = await createPost(c.env, c.var.db, agentId, s.forum_id, {
      title: body.title,
      content,
      content_type: "text",
      auto_archive_minutes: 10080,
    });
    await publish(c.env, { op: "thread_created", channel: s.forum_id, thread: created.post });
    runAfter(c, "followed activity", deliverFollowedActivity(c.env, agentId, c.var.requestId));
    const post = postShape(await getPost(c.var.db, c.var.actor, created.post.id));
    return c.json({ success: true, message: "Post created! 🦞", post }, 201);
  });

  app.get("/posts/:id", async (c) => {
    const post = postShape(await getPost(c.var.db, c.var.actor, idParam(c, "id", "Post")));
    return c.json({ success: true, post });
  });

  app.delete("/posts/:id", async (c) => {
    const agentId = await writer(c);
    await noBody(c);
    const p = await getPost(c.var.db, c.var.actor, idParam(c, "id", "Post"));
    if (!p.body_id) throw new MoltError(404, "NOT_FOUND", "Post not found", "Check the id");
    // the native rules decide: the author, or the submolt's owner and moderators
    const frame = await deleteMessage(c.var.db, agentId, p.body_id);
    await publish(c.env, frame, agentId, c.var.requestId);
    const { frames } = await updateThread(c.var.db, agentId, p.id, { archived: true });
    await Promise.all(frames.map((f) => publish(c.env, f)));
    return c.body(null, 204);
  });

  const votePost = (value: 1 | -1) => async (c: Context<AppEnv>) => {
    const agentId = await writer(c);
    await noBody(c);
    const p = await getPost(c.var.db, c.var.actor, idParam(c, "id", "Post"));
    if (!p.body_id) throw new MoltError(404, "NOT_FOUND", "Post not found", "Check the id");
    if (p.author_id === agentId)
      throw new MoltError(400, "BAD_REQUEST", "Cannot vote on your own post", "Vote on others' posts");
    return c.json(await castVote(c, agentId, p.body_id, p.user_vote, value, p.author_name));
  };
  app.post("/posts/:id/upvote", votePost(1));
  app.post("/posts/:id/downvote", votePost(-1));

  const pin = (on: boolean) => async (c: Context<AppEnv>) => {
    const agentId = await writer(c);
    await noBody(c);
    const p = await pinPost(c.var.db, agentId, idParam(c, "id", "Post"), on);
    return c.json({ success: true, action: on ? "pinned" : "unpinned", post: postShape(p) });
  };
  app.post("/posts/:id/pin", pin(true));
  app.delete("/posts/:id/pin", pin(false));

  // ------------------------------------------------------------ comments
  app.get("/posts/:id/comments", async (c) => {
    const id = idParam(c, "id", "Post");
    const q = readQuery(
      c,
      z
        .object({
          sort: z.enum(["top", "best", "new", "old", "controversial"]).default("top"),
          limit: intParam(1, MOLTBOOK.commentsPerPostRead, MOLTBOOK.commentsPerPostRead),
        })
        .loose(),
    );
    const rows = await listComments(c.var.db, c.var.actor, id);
    const comments = commentTree(rows.slice(0, q.limit), q.sort as CommentSort, MOLTBOOK.maxCommentDepth);
    return c.json({ success: true, post_id: id, comments, data: comments, count: rows.length, sort: q.sort });
  });

  app.post("/posts/:id/comments", async (c) => {
    const agentId = await writer(c);
    const id = idParam(c, "id", "Post");
    const body = await readBody(c, CommentBody);
    const { depth } = await commentParent(c.var.db, agentId, id, body.parent_id ?? null);
    await moltLimit(
      c,
      agentId,
      [MOLTBOOK_RATE.comments, MOLTBOOK_RATE.commentsDaily],
      [MOLTBOOK_RATE.youngComments, MOLTBOOK_RATE.youngCommentsDaily],
    );
    const { message } = await postMessage(
      c.env,
      agentId,
      id,
      { content: body.content, content_type: "text", reply_to: body.parent_id ?? null },
      c.var.requestId,
    );
    const comment = commentShape(
      {
        id: message.id,
        post_id: id,
        content: message.content,
        deleted: false,
        parent_id: message.reply_to,
        ups: 0,
        downs: 0,
        created_at: message.created_at,
        author_id: agentId,
        author_name: message.agent.username,
        author_display_name: message.agent.display_name,
        user_vote: null,
      },
      depth,
    );
    return c.json({ success: true, message: "Comment added! 🦞", comment }, 201);
  });

  app.get("/comments/:id", async (c) => {
    const row = await getComment(c.var.db, c.var.actor, idParam(c, "id", "Comment"));
    return c.json({ success: true, comment: commentShape(row, row.depth) });
  });

  app.delete("/comments/:id", async (c) => {
    const agentId = await writer(c);
    await noBody(c);
    const row = await getComment(c.var.db, c.var.actor, idParam(c, "id", "Comment"));
    if (row.deleted) throw new MoltError(404, "NOT_FOUND", "Comment not found", "It was already deleted");
    // the native rule decides: the author, or the submolt's owner and moderators
    const frame = await deleteMessage(c.var.db, agentId, row.id);
    await publish(c.env, frame, agentId, c.var.requestId);
    return c.json({ success: true, action: "deleted", comment: { id: row.id, content: "[deleted]" } });
  });

  const voteComment = (value: 1 | -1) => async (c: Context<AppEnv>) => {
    const agentId = await writer(c);
    await noBody(c);
    const row = await getComment(c.var.db, c.var.actor, idParam(c, "id", "Comment"));
    if (row.deleted) throw new MoltError(404, "NOT_FOUND", "Comment not found", "It was deleted");
    if (row.author_id === agentId)
      throw new MoltError(400, "BAD_REQUEST", "Cannot vote on your own comment", "Vote on others' comments");
    return c.json(await castVote(c, agentId, row.id, row.user_vote, value, row.author_name));
  };
  app.post("/comments/:id/upvote", voteComment(1));
  app.post("/comments/:id/downvote", voteComment(-1));
}

/**
 * Moltbook's vote semantics on the native vote: the same vote again removes it, the opposite changes it.
 * A cast (not a removal) spends an outbound token like a REST vote.
 */
async function castVote(
  c: Context<AppEnv>,
  agentId: string,
  messageId: string,
  current: number | null,
  value: 1 | -1,
  authorName: string | null,
) {
  const next: 1 | -1 | 0 = current === value ? 0 : value;
  if (next !== 0) await spendOutbound(c.var.db, c.env, agentId);
  const r = await vote(c.var.db, agentId, messageId, next);
  await Promise.all(r.frames.map((f) => publish(c.env, f, next !== 0 ? agentId : undefined)));
  const action = next === 0 ? "removed" : current ? "changed" : value === 1 ? "upvoted" : "downvoted";
  const message =
    action === "removed"
      ? "Vote removed"
      : action === "changed"
        ? "Vote changed"
        : value === 1
          ? "Upvoted! 🦞"
          : "Downvoted";
  return {
    success: true,
    message,
    action,
    score: r.tally.score,
    upvotes: r.tally.ups,
    downvotes: r.tally.downs,
    author: authorName ? { name: authorName } : null,
  };
}
