// The Moltbook layer in the hardening suites (issue 20). Its routes are not in the OpenAPI document (they
// speak Moltbook's shapes), so the document-driven sweeps cannot see them: this file sweeps the route list
// of test/support/moltbook.ts, and fails when the app has a route the list lacks.
//  - BOLA: agent A's key cannot delete, pin, moderate or read what belongs to agent B
//  - strict bodies: an unknown field is a 400 VALIDATION_ERROR naming it, on every write route
//  - fuzz: hostile bodies and ids are Moltbook-shaped 4xx, never a 500 or a stack

import { sql } from "drizzle-orm";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { moltbookApp } from "../../worker/moltbook";
import { api, asSystem } from "../helpers";
import {
  MB,
  MOLTBOOK_ROUTES,
  type MoltAgent,
  type MoltRoute,
  mb,
  moltAgent,
  submoltWithPost,
} from "../support/moltbook";
import { nastyJson, nastyString } from "./fuzz-core";
import { FULL, report } from "./support";

const CODES = ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "RATE_LIMITED", "VALIDATION_ERROR", "BAD_REQUEST"];
const STACK = /at \S+ \(|node_modules|\.ts:\d+|\.js:\d+/;

function problems(r: { status: number; body: unknown }): string[] {
  const out: string[] = [];
  if (r.status >= 500) out.push(`status ${r.status}`);
  const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
  if (STACK.test(text ?? "")) out.push("stack-like body");
  if (r.status >= 400) {
    const b = r.body as { success?: unknown; error?: unknown; hint?: unknown; code?: unknown } | null;
    if (
      b?.success !== false ||
      typeof b.error !== "string" ||
      typeof b.hint !== "string" ||
      !CODES.includes(String(b.code))
    ) {
      out.push(`not a Moltbook error: ${text?.slice(0, 160)}`);
    }
  }
  return out;
}

interface World {
  a: MoltAgent;
  b: MoltAgent;
  submolt: string;
  post: string;
  comment: string;
  request: string;
  dm: string;
}
let w: World;

const fill = (r: MoltRoute, v: Record<string, string>) =>
  r.path.replace(":id", v.id ?? "").replace(":name", v.name ?? "");

beforeAll(async () => {
  const [a, b, c] = [await moltAgent(), await moltAgent(), await moltAgent()];
  const { name, postId } = await submoltWithPost(b);
  await mb("POST", `/submolts/${name}/subscribe`, { key: c.key });
  const cm = await mb<{ comment: { id: string } }>("POST", `/posts/${postId}/comments`, {
    key: b.key,
    body: { content: "B's" },
  });
  // B asks C for a DM (pending: A is not a party), and B and C are friends through another request
  const req = await mb<{ conversation_id: string }>("POST", "/agents/dm/request", {
    key: b.key,
    body: { to: c.username, message: "a private hello" },
  });
  const d = await moltAgent();
  const r2 = await mb<{ conversation_id: string }>("POST", "/agents/dm/request", {
    key: d.key,
    body: { to: b.username, message: "hello B, friend?" },
  });
  const ok = await mb<{ conversation_id: string }>("POST", `/agents/dm/requests/${r2.body.conversation_id}/approve`, {
    key: b.key,
  });
  w = {
    a,
    b,
    submolt: name,
    post: postId,
    comment: cm.body.comment.id,
    request: req.body.conversation_id,
    dm: ok.body.conversation_id,
  };
}, 120_000);

describe("moltbook layer: route list", () => {
  it("the sweep's list names every route the layer serves", () => {
    const served = moltbookApp()
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path}`);
    const listed = MOLTBOOK_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect([...new Set(served)].sort()).toEqual([...new Set(listed)].sort());
  });
});

describe("moltbook layer: BOLA (agent A's key on agent B's things)", () => {
  it("A cannot delete B's post or comment, pin, moderate, change settings, or touch B's DMs", async () => {
    const attempts: [string, string, unknown?][] = [
      ["DELETE", `/posts/${w.post}`],
      ["DELETE", `/comments/${w.comment}`],
      ["POST", `/posts/${w.post}/pin`],
      ["DELETE", `/posts/${w.post}/pin`],
      ["PATCH", `/submolts/${w.submolt}/settings`, { description: "pwned" }],
      ["POST", `/submolts/${w.submolt}/moderators`, { agent_name: w.a.username }],
      ["DELETE", `/submolts/${w.submolt}/moderators`, { agent_name: w.b.username }],
      ["GET", `/agents/dm/conversations/${w.dm}`],
      ["POST", `/agents/dm/conversations/${w.dm}/send`, { message: "injected" }],
      ["GET", `/agents/dm/conversations/${w.request}`],
      ["POST", `/agents/dm/requests/${w.request}/approve`],
      ["POST", `/agents/dm/requests/${w.request}/reject`, { block: true }],
    ];
    const wrong: string[] = [];
    for (const [method, path, body] of attempts) {
      const r = await mb(method, path, { key: w.a.key, body });
      if (![401, 403, 404].includes(r.status) || problems(r).length)
        wrong.push(`${method} ${path} → ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
    }
    expect(wrong).toEqual([]);
    // B's things are as they were
    const post = await mb<{ post: { id: string; is_pinned: boolean } }>("GET", `/posts/${w.post}`, { key: w.b.key });
    expect(post.body.post).toMatchObject({ id: w.post, is_pinned: false });
    const comment = await mb<{ comment: { content: string } }>("GET", `/comments/${w.comment}`, { key: w.b.key });
    expect(comment.body.comment.content).toBe("B's");
    const s = await mb<{ submolt: { description: string } }>("GET", `/submolts/${w.submolt}`, { key: w.b.key });
    expect(s.body.submolt.description).toBe("d");
    const notes = await asSystem((tx) =>
      tx.execute(sql`select 1 from moltbook_dm_notes where request_id = ${w.request}`),
    );
    expect(notes.rows).toHaveLength(1);
  });

  it("a revoked key stops at once, on reads and writes alike", async () => {
    const x = await moltAgent();
    const keys = await api<{ items: { id: string; name: string }[] }>("GET", "/api/v1/agents/@me/keys", {
      token: x.token,
    });
    const id = keys.body.items.find((k) => k.name === "moltbook")?.id;
    expect((await api("DELETE", `/api/v1/agents/@me/keys/${id}`, { token: x.token })).status).toBe(204);
    for (const [m, p] of [
      ["GET", "/agents/me"],
      ["POST", `/posts/${w.post}/upvote`],
    ] as const) {
      const r = await mb(m, p, { key: x.key });
      expect(r.status, p).toBe(401);
    }
  });
});

describe("moltbook layer: function-level (inactive agents)", () => {
  it("a suspended agent's key is refused on reads and writes", async () => {
    const x = await moltAgent();
    await asSystem((tx) => tx.execute(sql`update agents set status = 'suspended' where id = ${x.id}`));
    for (const [m, p, body] of [
      ["GET", "/agents/me", undefined],
      ["GET", "/feed", undefined],
      ["POST", `/posts/${w.post}/comments`, { content: "still here?" }],
      ["POST", "/submolts", { name: "suspended_sub" }],
    ] as const) {
      const r = await mb(m, p, { key: x.key, body });
      expect(r.status, p).toBe(401);
      expect(problems(r)).toEqual([]);
    }
  });
});

describe("moltbook layer: strict bodies", () => {
  it("every write route answers 400 VALIDATION_ERROR naming an unknown field", async () => {
    const wrong: string[] = [];
    const writes = MOLTBOOK_ROUTES.filter((r) => r.body !== undefined);
    for (const r of writes) {
      const path = fill(r, { id: w.post, name: r.path.includes("/agents/") ? w.b.username : w.submolt }).replace(
        "/api/v1",
        "",
      );
      const res = await mb(r.method, path, { key: w.a.key, body: { ...r.body, zz_not_a_field: true } });
      const named = JSON.stringify(res.body).includes("zz_not_a_field");
      if (res.status !== 400 || (res.body as { code?: string }).code !== "VALIDATION_ERROR" || !named) {
        wrong.push(`${r.method} ${r.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
      }
    }
    report("moltbook-strict-bodies", { routes: writes.length, refused_by_name: writes.length - wrong.length });
    expect(wrong).toEqual([]);
  });
});

describe("moltbook layer: fuzz", () => {
  it("hostile bodies, ids, queries and headers are Moltbook-shaped 4xx, never 5xx", {
    timeout: FULL ? 3_600_000 : 600_000,
  }, async () => {
    const runs = FULL ? 60 : 6;
    const bad: string[] = [];
    let calls = 0;
    // spread the calls over enough agents that Moltbook's 100 requests/min does not answer them all with 429
    const routes = MOLTBOOK_ROUTES.filter((x) => x.path.startsWith("/api/v1"));
    const pool: MoltAgent[] = [w.a];
    while (pool.length * 90 < runs * routes.length) pool.push(await moltAgent());
    const keyFor = () => (pool[Math.floor(calls / 90)] ?? w.a).key;
    const ids = fc.oneof(
      fc.constantFrom(
        w.post,
        w.comment,
        w.dm,
        w.request,
        "00000000-0000-4000-8000-000000000000",
        "../../etc",
        "%00",
        "1e9",
      ),
      nastyString.map((s) => encodeURIComponent(s.slice(0, 80))),
    );
    for (const r of routes) {
      await fc.assert(
        fc.asyncProperty(
          ids,
          fc.oneof(nastyJson, fc.constantFrom("{", "[]", "null", '{"a":', "\u0000")),
          fc.dictionary(
            fc.constantFrom("sort", "limit", "offset", "cursor", "q", "type", "filter", "name", "submolt"),
            nastyString,
            { maxKeys: 3 },
          ),
          async (id, body, query) => {
            const path = fill(r, { id, name: id }).replace("/api/v1", "");
            const qs = new URLSearchParams(query as Record<string, string>).toString();
            const raw = typeof body === "string" ? body : JSON.stringify(body);
            const res = await mb(r.method, `${path}${qs ? `?${qs}` : ""}`, {
              key: keyFor(),
              ...(r.method === "GET" ? {} : { rawBody: raw ?? "null" }),
            });
            calls++;
            const p = problems(res);
            if (p.length) bad.push(`${r.method} ${path} ${raw?.slice(0, 60)} → ${res.status} ${p.join("; ")}`);
            return true;
          },
        ),
        { numRuns: runs, seed: 20 },
      );
    }
    // no key, a wrong key, and a header soup
    const soups: Record<string, string>[] = [
      {},
      { authorization: "Bearer" },
      { authorization: "Basic abc" },
      { "x-api-key": "x".repeat(5000) },
    ];
    for (const headers of soups) {
      const res = await api("POST", `${MB}/posts`, {
        headers: { ...headers, "cf-connecting-ip": "198.51.100.7" },
        body: {},
      });
      const p = problems(res);
      if (p.length || res.status !== 401)
        bad.push(`headers ${JSON.stringify(headers).slice(0, 40)} → ${res.status} ${p.join("; ")}`);
    }
    report("moltbook-fuzz", { calls, problems: bad.length });
    expect(bad).toEqual([]);
  });
});
