// Helpers for the Moltbook layer's tests (issue 20): agents holding a `moltbook` key, calls with the
// Moltbook headers, a submolt with a post.
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { type ApiResponse, api, asSystem, createAgent, type TestAgent } from "../helpers";

export const MB = "/moltbook/api/v1";

export interface MoltAgent extends TestAgent {
  key: string;
}

let ipCounter = 0;
/** A distinct client network per call site (anonymous and per-IP limits). */
export const ip = () => `198.18.${Math.floor(++ipCounter / 250) % 250}.${ipCounter % 250}`;

/** A native (claimed) agent with a read+write+moltbook key; `old` backdates it past the 24-hour new-agent rules. */
export async function moltAgent(opts: { old?: boolean; scopes?: string[] } = {}): Promise<MoltAgent> {
  const a = await createAgent();
  if (opts.old !== false) {
    await asSystem((tx) =>
      tx.execute(sql`update agents set created_at = now() - interval '3 days' where id = ${a.id}`),
    );
  }
  const r = await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
    token: a.token,
    body: { name: "moltbook", scopes: opts.scopes ?? ["read", "write", "moltbook"] },
  });
  expect(r.status).toBe(201);
  return { ...a, key: r.body.key };
}

export type Json = Record<string, unknown> & { success?: boolean; error?: string; hint?: string; code?: string };

/** A Moltbook call with the key as a Bearer (or another header), from its own network. */
export function mb<T = Json>(
  method: string,
  path: string,
  opts: {
    key?: string;
    body?: unknown;
    header?: "bearer" | "x-api-key" | "x-moltbook-api-key";
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { "cf-connecting-ip": ip(), ...(opts.headers ?? {}) };
  if (opts.key) {
    const h = opts.header ?? "bearer";
    if (h === "bearer") headers.authorization = `Bearer ${opts.key}`;
    else headers[h] = opts.key;
  }
  if (opts.rawBody !== undefined) headers["content-type"] ??= "application/json";
  return api<T>(method, `${MB}${path}`, { headers, body: opts.body, rawBody: opts.rawBody });
}

export const submoltName = () => `s${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36)}`.slice(0, 20);

/** A submolt owned by `owner` and a post in it by `author` (who subscribes first). */
export async function submoltWithPost(owner: MoltAgent, author: MoltAgent = owner) {
  const name = submoltName();
  const s = await mb("POST", "/submolts", {
    key: owner.key,
    body: { name, display_name: `Sub ${name}`, description: "d" },
  });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  if (author.id !== owner.id)
    expect((await mb("POST", `/submolts/${name}/subscribe`, { key: author.key })).status).toBe(200);
  const p = await mb<{ post: { id: string } }>("POST", "/posts", {
    key: author.key,
    body: { submolt: name, title: `Hello ${name}`, content: `first post in ${name}` },
  });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  return { name, postId: p.body.post.id };
}

/** Every route of the Moltbook layer (paths below /moltbook) with a valid-shaped body; the hardening suites
 * sweep this list, and a test fails when the app has a route this list lacks. */
export interface MoltRoute {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  /** a valid body for the write routes that take one */
  body?: Record<string, unknown>;
}

const U = ":id";
export const MOLTBOOK_ROUTES: MoltRoute[] = [
  { method: "GET", path: "/skill.md" },
  { method: "GET", path: "/heartbeat.md" },
  { method: "GET", path: "/messaging.md" },
  { method: "GET", path: "/rules.md" },
  { method: "GET", path: "/skill.json" },
  { method: "POST", path: "/api/v1/agents/register", body: { name: "x_probe", description: "d" } },
  { method: "GET", path: "/api/v1/agents/me" },
  { method: "PATCH", path: "/api/v1/agents/me", body: { description: "d" } },
  { method: "GET", path: "/api/v1/agents/status" },
  { method: "GET", path: "/api/v1/agents/profile" },
  { method: "POST", path: "/api/v1/agents/:name/follow", body: {} },
  { method: "DELETE", path: "/api/v1/agents/:name/follow", body: {} },
  { method: "GET", path: "/api/v1/agents/dm/check" },
  { method: "POST", path: "/api/v1/agents/dm/request", body: { to: "nobody_here", message: "hello there friend" } },
  { method: "GET", path: "/api/v1/agents/dm/requests" },
  { method: "POST", path: `/api/v1/agents/dm/requests/${U}/approve`, body: {} },
  { method: "POST", path: `/api/v1/agents/dm/requests/${U}/reject`, body: { block: false } },
  { method: "GET", path: "/api/v1/agents/dm/conversations" },
  { method: "GET", path: `/api/v1/agents/dm/conversations/${U}` },
  { method: "POST", path: `/api/v1/agents/dm/conversations/${U}/send`, body: { message: "hi" } },
  { method: "GET", path: "/api/v1/submolts" },
  { method: "POST", path: "/api/v1/submolts", body: { name: "probe", display_name: "P" } },
  { method: "GET", path: "/api/v1/submolts/:name" },
  { method: "GET", path: "/api/v1/submolts/:name/feed" },
  { method: "POST", path: "/api/v1/submolts/:name/subscribe", body: {} },
  { method: "DELETE", path: "/api/v1/submolts/:name/subscribe", body: {} },
  { method: "PATCH", path: "/api/v1/submolts/:name/settings", body: { description: "d" } },
  { method: "GET", path: "/api/v1/submolts/:name/moderators" },
  { method: "POST", path: "/api/v1/submolts/:name/moderators", body: { agent_name: "nobody_here" } },
  { method: "DELETE", path: "/api/v1/submolts/:name/moderators", body: { agent_name: "nobody_here" } },
  { method: "GET", path: "/api/v1/posts" },
  { method: "POST", path: "/api/v1/posts", body: { submolt: "nope", title: "t", content: "c" } },
  { method: "GET", path: `/api/v1/posts/${U}` },
  { method: "DELETE", path: `/api/v1/posts/${U}`, body: {} },
  { method: "POST", path: `/api/v1/posts/${U}/upvote`, body: {} },
  { method: "POST", path: `/api/v1/posts/${U}/downvote`, body: {} },
  { method: "POST", path: `/api/v1/posts/${U}/pin`, body: {} },
  { method: "DELETE", path: `/api/v1/posts/${U}/pin`, body: {} },
  { method: "GET", path: `/api/v1/posts/${U}/comments` },
  { method: "POST", path: `/api/v1/posts/${U}/comments`, body: { content: "c" } },
  { method: "GET", path: `/api/v1/comments/${U}` },
  { method: "DELETE", path: `/api/v1/comments/${U}`, body: {} },
  { method: "POST", path: `/api/v1/comments/${U}/upvote`, body: {} },
  { method: "POST", path: `/api/v1/comments/${U}/downvote`, body: {} },
  { method: "GET", path: "/api/v1/feed" },
  { method: "GET", path: "/api/v1/search" },
  { method: "GET", path: "/api/v1/home" },
  // answers 404 to anything (no challenges): fuzzed, not in the strict-bodies sweep
  { method: "POST", path: "/api/v1/verify" },
];
