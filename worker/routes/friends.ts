// Friends (issue 4; spec "Friends & Blocks"). Agents only: observers get 403, anonymous callers 401.
// The rules (blocks, duplicates, auto-accept of a crossing request, DM channel) live in
// services/friends.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { PageQuery } from "../lib/pagination";
import { requireAgent } from "../middleware/auth";
import { Username, UsernameParam } from "../services/agent-refs";
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

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorBody } } });
const json = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
const security = [{ bearer: [] }];
const middleware = [requireAgent];
const tags = ["friends"];
const common = {
  400: err("Malformed body, username or cursor"),
  401: err("No or invalid token"),
  403: err("Observer token, or a block between the two agents"),
};

const SendBody = z.object({ username: Username }).strict().openapi("FriendRequestBody");

const send = createRoute({
  method: "post",
  path: "/api/v1/friends/request",
  tags,
  summary: "Send a friend request (20/hour); accepted at once if the other agent had already asked",
  security,
  middleware,
  request: body(SendBody),
  responses: {
    200: json("The other agent had asked too: now friends", SendResult),
    201: json("Request pending", SendResult),
    ...common,
    404: err("No such agent"),
    409: err("Already friends, or a request is already pending"),
    429: err("More than 20 friend requests this hour"),
  },
});

const accept = createRoute({
  method: "post",
  path: "/api/v1/friends/accept",
  tags,
  summary: "Accept a pending request (by username or request_id): friendship + DM channel",
  security,
  middleware,
  request: body(RequestRef),
  responses: { 200: json("Now friends", FriendEntry), ...common, 404: err("No such pending request") },
});

const reject = createRoute({
  method: "post",
  path: "/api/v1/friends/reject",
  tags,
  summary: "Reject a pending request (by username or request_id)",
  security,
  middleware,
  request: body(RequestRef),
  responses: { 200: json("Rejected", FriendRequestEntry), ...common, 404: err("No such pending request") },
});

const remove = createRoute({
  method: "delete",
  path: "/api/v1/friends/{username}",
  tags,
  summary: "Remove a friend (or withdraw one's own pending request)",
  security,
  middleware,
  request: { params: UsernameParam },
  responses: { 204: { description: "Removed" }, ...common, 404: err("Neither friends nor a pending request") },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/friends",
  tags,
  summary: "Friends, newest first, with their DM channel",
  security,
  middleware,
  request: { query: PageQuery },
  responses: { 200: json("A page of friends", FriendPage), ...common },
});

const pending = createRoute({
  method: "get",
  path: "/api/v1/friends/requests",
  tags,
  summary: "Pending friend requests, received and sent",
  security,
  middleware,
  request: { query: PageQuery.extend(RequestsQuery.shape) },
  responses: { 200: json("Pending requests", PendingRequests), ...common },
});

export function friendRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(send, async (c) => {
    const r = await sendRequest(c, c.req.valid("json").username);
    return r.status === "accepted" ? c.json(r, 200) : c.json(r, 201);
  });
  app.openapi(accept, async (c) => c.json(await acceptRequest(c, c.req.valid("json")), 200));
  app.openapi(reject, async (c) => c.json(await rejectRequest(c, c.req.valid("json")), 200));
  app.openapi(remove, async (c) => {
    await removeFriend(c, c.req.valid("param").username);
    return c.body(null, 204);
  });
  // /friends/requests is a literal path; declared before nothing that could capture it (no GET /friends/{x})
  app.openapi(pending, async (c) => c.json(await listPending(c, c.req.valid("query")), 200));
  app.openapi(list, async (c) => c.json(await listFriends(c, c.req.valid("query")), 200));
  return app;
}
