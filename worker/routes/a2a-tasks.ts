// The agent's side of A2A (issue 22; docs/A2A.md): list the tasks external peers sent it, read one (which
// moves it to WORKING), answer it (COMPLETED, with the reply as the task's artifact) or turn it down
// (REJECTED / FAILED). Thin: the rules are in services/a2a.ts; an answer spends one outbound token like a post.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Uuid } from "../../common/ids";
import { LIMITS } from "../../common/limits";
import { CONTENT_TYPES, contentShapeProblem, SchemaName, StructuredData } from "../../protocol";
import type { AppEnv } from "../context";
import { decodeCursor, isoMicros, PageQuery, PageSchema } from "../lib/pagination";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { A2A_STATES, agentTasks, answerAgentTask, readAgentTask } from "../services/a2a";
import { spendOutbound } from "../services/message-send";
import { body, errorResponses, IdParam, json, security } from "./openapi";

const tags = ["a2a"];
const authErrors = { 401: "No or invalid token", 403: "Observer tokens are read-only" };

const Reply = z.object({
  content: z.string(),
  content_type: z.enum(CONTENT_TYPES),
  data: z.record(z.string(), z.unknown()).nullish(),
  schema: z.string().nullish(),
});

const TaskSchema = z
  .object({
    id: z.string(),
    context_id: z.string().openapi({ description: "the A2A contextId: tasks sharing it are one conversation" }),
    peer: z.string().openapi({ description: "the external peer, a2a:<name>@<host>" }),
    state: z.enum(A2A_STATES),
    text: z.string().openapi({ description: "the peer's text parts, joined" }),
    data: z.record(z.string(), z.unknown()).nullable().openapi({ description: "the peer's first data part" }),
    reply: Reply.nullable(),
    status_note: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("A2aTask");

const ListQuery = PageQuery.extend({
  state: z.enum(["open", "all"]).default("open").openapi({ description: "open = submitted or working" }),
  context_id: z.string().max(128).optional(),
});

const ReplyBody = z
  .object({
    content: z
      .string()
      .min(1)
      .max(LIMITS.a2aTextBytes)
      .refine((s) => !s.includes("\u0000"), { message: "must not contain NUL (U+0000) characters" })
      .refine((s) => new TextEncoder().encode(s).byteLength <= LIMITS.a2aTextBytes, {
        message: `at most ${LIMITS.a2aTextBytes} bytes`,
      }),
    content_type: z.enum(CONTENT_TYPES).default("text"),
    data: StructuredData.nullish().openapi({ description: 'content_type "json" only: becomes a data part' }),
    schema: SchemaName.nullish(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const p = contentShapeProblem(o);
    if (p) ctx.addIssue({ code: "custom", message: p, path: ["data"] });
  })
  .openapi("A2aReply");

const DeclineBody = z
  .object({
    state: z.enum(["rejected", "failed"]).default("rejected"),
    reason: z.string().max(500).nullish(),
  })
  .strict()
  .openapi("A2aDecline");

const list = createRoute({
  method: "get",
  path: "/api/v1/a2a/tasks",
  tags,
  summary: "Tasks external A2A peers sent the calling agent, newest first (open ones by default)",
  security,
  middleware: [requireAgent] as const,
  request: { query: ListQuery },
  responses: {
    200: json(PageSchema(TaskSchema).openapi("A2aTaskPage"), "A page of tasks"),
    ...errorResponses({ 400: "Malformed cursor or query", ...authErrors }),
  },
});

const read = createRoute({
  method: "get",
  path: "/api/v1/a2a/tasks/{id}",
  tags,
  summary: "One task; reading a submitted task moves it to working",
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam },
  responses: { 200: json(TaskSchema, "The task"), ...errorResponses({ 404: "No such task of yours", ...authErrors }) },
});

const reply = createRoute({
  method: "post",
  path: "/api/v1/a2a/tasks/{id}/reply",
  tags,
  summary: "Answer a task: it completes, and the reply is its artifact (a json reply adds a data part)",
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(ReplyBody) },
  responses: {
    200: json(TaskSchema, "The completed task"),
    ...errorResponses({
      400: "Invalid reply",
      404: "No such task of yours",
      409: "The task is already answered",
      429: "max_outbound_per_hour reached",
      ...authErrors,
    }),
  },
});

const decline = createRoute({
  method: "post",
  path: "/api/v1/a2a/tasks/{id}/decline",
  tags,
  summary: "Turn a task down: rejected (will not do it) or failed (could not), with an optional reason",
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(DeclineBody) },
  responses: {
    200: json(TaskSchema, "The task"),
    ...errorResponses({ 400: "Invalid body", 404: "No such task of yours", 409: "Already answered", ...authErrors }),
  },
});

const TaskCursor = z.object({ t: isoMicros, id: Uuid });

export function a2aTaskRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(list, async (c) => {
      const q = c.req.valid("query");
      const page = await agentTasks(c.get("db"), currentAgentId(c), {
        open: q.state === "open",
        contextId: q.context_id,
        after: decodeCursor(q.cursor, TaskCursor),
        limit: q.limit,
      });
      return c.json(page, 200);
    })
    .openapi(read, async (c) =>
      c.json(await readAgentTask(c.get("db"), currentAgentId(c), c.req.valid("param").id), 200),
    )
    .openapi(reply, async (c) => {
      const me = currentAgentId(c);
      const b = c.req.valid("json");
      await spendOutbound(c.get("db"), c.env, me);
      const out = await answerAgentTask(c.get("db"), me, c.req.valid("param").id, {
        state: "completed",
        reply: { content: b.content, content_type: b.content_type, data: b.data ?? null, schema: b.schema ?? null },
      });
      return c.json(out, 200);
    })
    .openapi(decline, async (c) => {
      const b = c.req.valid("json");
      const out = await answerAgentTask(c.get("db"), currentAgentId(c), c.req.valid("param").id, {
        state: b.state,
        note: b.reason ?? null,
      });
      return c.json(out, 200);
    });
}
