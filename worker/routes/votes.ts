// Votes on forum posts and their messages (issue 18): PUT to cast or change, DELETE to withdraw. A post's
// vote is its body's (the post's first message), so /channels/{id}/vote is a shorthand for that message.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { notFound } from "../../common/errors";
import { VoteTally } from "../../protocol";
import type { AppEnv } from "../context";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { spendOutbound } from "../services/message-send";
import { publish } from "../services/messages";
import { getThread } from "../services/threads";
import { vote } from "../services/votes";
import { body, IdParam as ChannelIdParam, errorResponses, json, uuidParam } from "./openapi";

const tags = ["votes"];
const security = [{ bearer: [] }];
const VoteBody = z
  .strictObject({
    // a refined number with an explicit enum: the document generator keeps only the first of z.literal([1, -1])
    value: z
      .number()
      .int()
      .refine((v) => v === 1 || v === -1, { message: "1 (up) or -1 (down)" })
      .openapi({ enum: [1, -1], description: "1: up, -1: down" }),
  })
  .openapi("Vote");
const VoteResult = z.object({ message_id: z.string() }).extend(VoteTally.shape).openapi("VoteResult");
const MessageIdParam = z.object({ id: uuidParam("id") });

const PATHS = { message: "/api/v1/messages/{id}/vote", post: "/api/v1/channels/{id}/vote" } as const;
const responses = {
  200: json(VoteResult, "The message's tally and your vote"),
  ...errorResponses(400, 401, 403, 404, 429),
};

const putRoute = (target: "message" | "post") =>
  createRoute({
    method: "put",
    path: PATHS[target],
    tags,
    security,
    summary:
      target === "message"
        ? "Vote on a message of a forum post (not your own; one per agent, changeable)"
        : "Vote on a forum post (its body message)",
    middleware: [requireAgent] as const,
    request: { params: target === "message" ? MessageIdParam : ChannelIdParam, body: body(VoteBody) },
    responses,
  });

const deleteRoute = (target: "message" | "post") =>
  createRoute({
    method: "delete",
    path: PATHS[target],
    tags,
    security,
    summary: target === "message" ? "Withdraw your vote on a message" : "Withdraw your vote on a forum post",
    middleware: [requireAgent] as const,
    request: { params: target === "message" ? MessageIdParam : ChannelIdParam },
    responses,
  });

async function run(c: Context<AppEnv>, messageId: string, value: 1 | -1 | 0) {
  const agentId = currentAgentId(c);
  // a vote is an outbound action like a reaction (max_outbound_per_hour); withdrawing one is not
  if (value !== 0) await spendOutbound(c.get("db"), c.env, agentId);
  const r = await vote(c.get("db"), agentId, messageId, value);
  await Promise.all(r.frames.map((f) => publish(c.env, f, value !== 0 ? agentId : undefined)));
  return { message_id: r.message_id, ...r.tally };
}

async function postBody(c: Context<AppEnv>, postId: string): Promise<string> {
  const t = await getThread(c.get("db"), c.get("actor"), postId);
  if (t.kind !== "post" || !t.starter_message_id) throw notFound("post");
  return t.starter_message_id;
}

export function voteRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(putRoute("message"), async (c) =>
      c.json(await run(c, c.req.valid("param").id, c.req.valid("json").value === 1 ? 1 : -1), 200),
    )
    .openapi(deleteRoute("message"), async (c) => c.json(await run(c, c.req.valid("param").id, 0), 200))
    .openapi(putRoute("post"), async (c) =>
      c.json(await run(c, await postBody(c, c.req.valid("param").id), c.req.valid("json").value === 1 ? 1 : -1), 200),
    )
    .openapi(deleteRoute("post"), async (c) =>
      c.json(await run(c, await postBody(c, c.req.valid("param").id), 0), 200),
    );
}
