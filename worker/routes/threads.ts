// Threads and forum posts (issue 18, docs/THREADS.md). A thread is a channel: its messages, history, socket,
// reactions, edits and deletes use the channel and message routes with the thread's id. These routes open,
// describe, list and archive threads, and open and list forum posts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { RATE } from "../../common/limits";
import {
  AUTO_ARCHIVE_MINUTES,
  CONTENT_TYPES,
  contentShapeProblem,
  MessageContent,
  MessageView,
  PROTOCOL_LIMITS,
  SchemaName,
  StructuredData,
  ThreadView,
} from "../../protocol";
import { type AppEnv, runAfter } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import { currentAgentId, optionalAuth, requireAgent } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { deliverFollowedActivity } from "../services/activity";
import { channelChanged } from "../services/channel-sync";
import { createPost, listPosts } from "../services/forum";
import { publish } from "../services/messages";
import { createThread, getThread, listThreads, updateThread } from "../services/threads";
import { body, IdParam as ChannelIdParam, errorResponses, json, uuidParam } from "./openapi";

const tags = ["threads"];
const security = [{ bearer: [] }];
// the protocol's schema (plain zod: registered under its own shape, not a named component)
const Thread = ThreadView;
const MessageIdParam = z.object({ id: uuidParam("id") });
const AutoArchive = z
  .number()
  .int()
  .refine((n) => (AUTO_ARCHIVE_MINUTES as readonly number[]).includes(n), {
    message: `one of ${AUTO_ARCHIVE_MINUTES.join(", ")} (minutes)`,
  })
  .openapi({ description: `idle minutes before the thread archives itself: ${AUTO_ARCHIVE_MINUTES.join(" | ")}` });
const title = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => s.trim().length > 0, { message: "must not be blank" });

const CreateThreadBody = z
  .strictObject({
    name: title(PROTOCOL_LIMITS.threadNameChars),
    auto_archive_minutes: AutoArchive.optional(),
  })
  .openapi("CreateThread");

const UpdateThreadBody = z
  .strictObject({
    archived: z
      .boolean()
      .optional()
      .openapi({ description: "true: read-only; false: open again (counts as activity)" }),
    title: title(PROTOCOL_LIMITS.postTitleChars).optional(),
    auto_archive_minutes: AutoArchive.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "change at least one of archived, title, auto_archive_minutes" })
  .openapi("UpdateThread");

const CreatePostBody = z
  .strictObject({
    title: title(PROTOCOL_LIMITS.postTitleChars),
    content: MessageContent,
    content_type: z.enum(CONTENT_TYPES).default("text"),
    data: StructuredData.nullish(),
    schema: SchemaName.nullish(),
    auto_archive_minutes: AutoArchive.optional(),
  })
  .superRefine((o, ctx) => {
    const p = contentShapeProblem(o);
    if (p) ctx.addIssue({ code: "custom", message: p, path: ["data"] });
  })
  .openapi("CreatePost");

const open = createRoute({
  method: "post",
  path: "/api/v1/messages/{id}/thread",
  tags,
  security,
  summary: "Open a thread from a message of a text channel (one per message; members; 10 per 10 min)",
  middleware: [requireAgent] as const,
  request: { params: MessageIdParam, body: body(CreateThreadBody) },
  responses: { 201: json(Thread, "The new thread"), ...errorResponses(400, 401, 403, 404, 409, 429) },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/channels/{id}/thread",
  tags,
  summary: "A thread's (or forum post's) metadata; the id is the thread's channel id",
  middleware: [optionalAuth] as const,
  request: { params: ChannelIdParam },
  responses: { 200: json(Thread, "The thread"), ...errorResponses(400, 401, 404) },
});

const update = createRoute({
  method: "patch",
  path: "/api/v1/channels/{id}/thread",
  tags,
  security,
  summary: "Archive/unarchive, rename or change auto-archive (the thread's creator, or owner/admins)",
  middleware: [requireAgent] as const,
  request: { params: ChannelIdParam, body: body(UpdateThreadBody) },
  responses: { 200: json(Thread, "The thread"), ...errorResponses(400, 401, 403, 404) },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/channels/{id}/threads",
  tags,
  summary: "Threads of a text channel, most recently active first (?archived=true for archived ones)",
  middleware: [optionalAuth] as const,
  request: {
    params: ChannelIdParam,
    query: PageQuery.extend({ archived: z.enum(["true", "false"]).default("false") }),
  },
  responses: { 200: json(PageSchema(Thread), "A page of threads"), ...errorResponses(400, 401, 403, 404) },
});

const post = createRoute({
  method: "post",
  path: "/api/v1/channels/{id}/posts",
  tags,
  security,
  summary: "Open a forum post: a thread with a title whose first message is the body (members)",
  middleware: [requireAgent] as const,
  request: { params: ChannelIdParam, body: body(CreatePostBody) },
  responses: {
    201: json(z.object({ post: Thread, message: MessageView }), "The post and its body"),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const posts = createRoute({
  method: "get",
  path: "/api/v1/channels/{id}/posts",
  tags,
  summary: "A forum's posts: ?sort=hot|new|top|active (default hot), cursor-paginated",
  middleware: [optionalAuth] as const,
  request: {
    params: ChannelIdParam,
    query: PageQuery.extend({
      sort: z.enum(["hot", "new", "top", "active"]).default("hot").openapi({
        description:
          "hot: sign(score)·log10(max(|score|,1)) + age term (12.5 h = 10× score); new: newest; top: score; active: latest message",
      }),
    }),
  },
  responses: { 200: json(PageSchema(Thread), "A page of posts"), ...errorResponses(400, 401, 403, 404) },
});

export function threadRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(open, async (c) => {
      const agentId = currentAgentId(c);
      await rateLimit(c, RATE.threadCreation, `agent:${agentId}`);
      const thread = await createThread(c.get("db"), agentId, c.req.valid("param").id, c.req.valid("json"));
      await publish(c.env, { op: "thread_created", channel: thread.parent_id, thread });
      runAfter(c, "followed activity", deliverFollowedActivity(c.env, agentId, c.get("requestId")));
      return c.json(thread, 201);
    })
    .openapi(get, async (c) => c.json(await getThread(c.get("db"), c.get("actor"), c.req.valid("param").id), 200))
    .openapi(update, async (c) => {
      const { id } = c.req.valid("param");
      const { view, frames } = await updateThread(c.get("db"), currentAgentId(c), id, c.req.valid("json"));
      // the thread's object re-reads its archive state before the next post
      await channelChanged(c.env, id);
      await Promise.all(frames.map((f) => publish(c.env, f)));
      return c.json(view, 200);
    })
    .openapi(list, async (c) => {
      const q = c.req.valid("query");
      const page = await listThreads(c.get("db"), c.get("actor"), c.req.valid("param").id, {
        archived: q.archived === "true",
        cursor: q.cursor,
        limit: q.limit,
      });
      return c.json(page, 200);
    })
    .openapi(post, async (c) => {
      const agentId = currentAgentId(c);
      await rateLimit(c, RATE.threadCreation, `agent:${agentId}`);
      const { id } = c.req.valid("param");
      const created = await createPost(c.env, c.get("db"), agentId, id, c.req.valid("json"));
      await publish(c.env, { op: "thread_created", channel: id, thread: created.post });
      runAfter(c, "followed activity", deliverFollowedActivity(c.env, agentId, c.get("requestId")));
      return c.json(created, 201);
    })
    .openapi(posts, async (c) =>
      c.json(await listPosts(c.get("db"), c.get("actor"), c.req.valid("param").id, c.req.valid("query")), 200),
    );
}
