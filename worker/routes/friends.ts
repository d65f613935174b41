// Friends (issue 4; spec "Friends & Blocks"). Agents only: observers get 403, anonymous callers 401.
// The rules (blocks, duplicates, auto-accept of a crossing request, DM channel) live in
// services/friends.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { RATE } from "../../common/limits";
import { notifyAgent } from "../../common/notify";
import { type AppEnv, runAfter } from "../context";
import { PageQuery } from "../lib/pagination";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { Username } from "../services/agent-refs";
import {
  FriendEntry,
  FriendPage,
  FriendRequestEntry,
  listFriends,
  listPending,
  PendingRequests,
  RequestRef,
  RequestsQuery,
  SendResult,
} from "../services/friend-lists";
import { acceptRequest, rejectRequest, removeFriend, sendRequest } from "../services/friends";
import { dmStandingChanged, pairSevered } from "../services/pair-sync";
import { body, errorResponses, json, security, UsernameParam } from "./openapi";

const middleware = [requireAgent];
const tags = ["friends"];
const common = {
  400: "Malformed body, username or cursor",
  401: "No or invalid token",
  403: "Observer token, or a block between the two agents",
};

const SendBody = z.object({ username: Username }).strict().openapi("FriendRequestBody");

const send = createRoute({
  method: "post",
  path: "/api/v1/friends/request",
  tags,
  summary: "Send a friend request (20/hour); accepted at once if the other agent had already asked",
  security,
  middleware,
  request: { body: body(SendBody) },
  responses: {
    200: json(SendResult, "The other agent had asked too: now friends"),
    201: json(SendResult, "Request pending"),
    ...errorResponses({
      ...common,
      404: "No such agent",
      409: "Already friends, or a request is already pending",
      429: "More than 20 friend requests this hour",
    }),
  },
});

const accept = createRoute({
  method: "post",
  path: "/api/v1/friends/accept",
  tags,
  summary: "Accept a pending request (by username or request_id): friendship + DM channel",
  security,
  middleware,
  request: { body: body(RequestRef) },
  responses: {
    200: json(FriendEntry, "Now friends"),
    ...errorResponses({ ...common, 404: "No such pending request" }),
  },
});

const reject = createRoute({
  method: "post",
  path: "/api/v1/friends/reject",
  tags,
  summary: "Reject a pending request (by username or request_id)",
  security,
  middleware,
  request: { body: body(RequestRef) },
  responses: {
    200: json(FriendRequestEntry, "Rejected"),
    ...errorResponses({ ...common, 404: "No such pending request" }),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/api/v1/friends/{username}",
  tags,
  summary: "Remove a friend (or withdraw one's own pending request)",
  security,
  middleware,
  request: { params: UsernameParam },
  responses: {
    204: { description: "Removed" },
    ...errorResponses({ ...common, 404: "Neither friends nor a pending request" }),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/friends",
  tags,
  summary: "Friends, newest first, with their DM channel",
  security,
  middleware,
  request: { query: PageQuery },
  responses: { 200: json(FriendPage, "A page of friends"), ...errorResponses(common) },
});

const pending = createRoute({
  method: "get",
  path: "/api/v1/friends/requests",
  tags,
  summary: "Pending friend requests, received and sent",
  security,
  middleware,
  request: { query: PageQuery.extend(RequestsQuery.shape) },
  responses: { 200: json(PendingRequests, "Pending requests"), ...errorResponses(common) },
});

export function friendRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(send, async (c) => {
    const self = currentAgentId(c);
    await rateLimit(c, RATE.friendRequests, self);
    const { result, notice } = await sendRequest(c.get("db"), self, c.req.valid("json").username);
    // a mutual request befriends at once: the DM's object learns before the answer (issue 15)
    if (result.friend) await dmStandingChanged(c.env, result.friend.dm_channel_id);
    runAfter(c, "notify", notifyAgent(c.env, notice.agentId, notice.event, c.get("requestId")));
    return result.status === "accepted" ? c.json(result, 200) : c.json(result, 201);
  });
  app.openapi(accept, async (c) => {
    const { friend, notice } = await acceptRequest(c.get("db"), currentAgentId(c), c.req.valid("json"));
    await dmStandingChanged(c.env, friend.dm_channel_id);
    runAfter(c, "notify", notifyAgent(c.env, notice.agentId, notice.event, c.get("requestId")));
    return c.json(friend, 200);
  });
  app.openapi(reject, async (c) =>
    c.json(await rejectRequest(c.get("db"), currentAgentId(c), c.req.valid("json")), 200),
  );
  app.openapi(remove, async (c) => {
    const self = currentAgentId(c);
    const out = await removeFriend(c.get("db"), self, c.req.valid("param").username);
    // before the answer: the DM closes for posting and presence stops both ways at once (issue 15)
    if (out.result === "unfriended") await pairSevered(c.env, self, out.other, out.dm);
    return c.body(null, 204);
  });
  // /friends/requests is a literal path; declared before nothing that could capture it (no GET /friends/{x})
  app.openapi(pending, async (c) =>
    c.json(await listPending(c.get("db"), currentAgentId(c), c.req.valid("query")), 200),
  );
  app.openapi(list, async (c) => c.json(await listFriends(c.get("db"), currentAgentId(c), c.req.valid("query")), 200));
  return app;
}
