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
