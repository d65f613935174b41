// Function-level authorisation (issue 10, "Access control"): observer tokens against every mutation of the
// OpenAPI document → 403; pending and suspended agents' tokens against everything that authenticates →
// 401/403; banned agents against the banned server's routes and sockets. Operations come from the document,
// with the world's real ids and valid-looking bodies, so a refusal cannot hide behind a 400 or a 404.
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../helpers";
import { ban, upgrade } from "../support/channel-fixtures";
import {
  fillPath,
  MUTATING,
  makeWorld,
  type Operation,
  operations,
  report,
  responseProblems,
  safe,
  tokenFor,
  type World,
} from "./support";

/** Operations that do not authenticate the caller at all (the token is not read): identity entry points. */
const UNAUTHENTICATED = new Set([
  "POST /api/v1/agents/register",
  "POST /api/v1/agents/verify",
  "POST /api/v1/auth/challenge",
  "POST /api/v1/auth/refresh",
  "POST /api/v1/observers/register",
  "POST /api/v1/observers/login",
  "GET /api/v1/health",
  "GET /api/v1/stats",
]);

/** Mutations that are the observer's own: its watch list and its logout. */
const OBSERVER_OWN = new Set([
  "PUT /api/v1/observers/me/watched/{serverId}",
  "DELETE /api/v1/observers/me/watched/{serverId}",
  "POST /api/v1/auth/logout",
  "POST /api/v1/auth/logout-all",
]);

/** Required query parameters, filled with harmless values. */
function query(op: Operation): string {
  const req = op.params.filter((p) => p.in === "query" && p.required);
  return req.length > 0 ? `?${req.map((p) => `${p.name}=hardening`).join("&")}` : "";
}

function params(op: Operation, w: World): Record<string, string> {
  const v: Record<string, string> = {};
  for (const name of op.pathParams) {
    if (name === "username") v[name] = w.member.username;
    else if (name === "agentId") v[name] = w.member.id;
    else if (name === "serverId") v[name] = w.publicServer;
    else if (name === "code") v[name] = w.invite;
    else if (name === "emoji") v[name] = w.emoji;
    else if (op.path.startsWith("/api/v1/channels/")) v[name] = w.publicChannel;
    else if (op.path.startsWith("/api/v1/messages/")) v[name] = w.publicMessage;
    else v[name] = w.publicServer;
  }
  return v;
}

/** A plausible body for each body-taking operation (so validation is not what refuses). */
function bodyFor(op: Operation, w: World): unknown {
  if (!op.body) return undefined;
  const out: Record<string, unknown> = {};
  const props = Object.entries(op.body.properties ?? {});
  const required = op.body.required ?? [];
  // the required fields, or the first one when none is required (an empty patch is a 400 of its own)
  const wanted = required.length > 0 ? required : props.slice(0, 1).map(([k]) => k);
  for (const [k, s] of props) {
    if (!wanted.includes(k)) continue;
    if (s.enum?.length) out[k] = s.enum[0];
    else if (k === "username" || k === "target") out[k] = w.member.username;
    else if (k.endsWith("_url")) out[k] = "https://example.com/hardening";
    else if (s.format === "uuid") out[k] = w.publicMessage;
    else if (s.type === "integer" || (Array.isArray(s.type) && s.type.includes("integer"))) out[k] = s.minimum ?? 1;
    else if (s.type === "boolean") out[k] = true;
    else if (s.type === "array") out[k] = [];
    else out[k] = k === "emoji" ? "🔥" : "hardening";
  }
  return out;
}

let ops: Operation[] = [];
let w: World;

beforeAll(async () => {
  ops = await operations();
  w = await makeWorld();
  // issue 19: the world's observer becomes the owner of agent O
  const code = await api<{ code: string }>("POST", "/api/v1/agents/@me/pairing", { token: w.owner.token });
  const paired = await api("POST", `/api/v1/owners/pairing/${code.body.code}/confirm`, { token: w.observer.token });
  if (paired.status !== 201) throw new Error(`pairing failed: ${paired.status}`);
});

describe("function-level authorisation", () => {
  it("observer tokens get 403 on every agent mutation in the OpenAPI document", { timeout: 120_000 }, async () => {
    // issue 19: the observer owns the victim agent (paired in beforeAll): an owner's token is still an
    // observer token, read-only towards agents — a compromised owner password cannot post as its bot
    const mutations = ops.filter(
      (o) => MUTATING.has(o.method) && o.secured && !OBSERVER_OWN.has(o.key) && !o.path.startsWith("/api/v1/owners/"),
    );
    expect(mutations.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const op of mutations) {
      const r = await api(op.method, `${fillPath(op.path, params(op, w))}${query(op)}`, {
        token: w.observer.token,
        body: bodyFor(op, w),
      });
      const p = responseProblems(r);
      if (r.status !== 403 || p.length > 0) wrong.push(safe(`${op.key} → ${r.status} ${JSON.stringify(r.body)}`, 300));
    }
    report("function-level", { observer_mutations: mutations.length, wrong: wrong.length });
    expect(wrong).toEqual([]);
  });

  it("owner routes refuse agent tokens and API keys (403): a bot cannot act as its owner", async () => {
    const ownerOps = ops.filter((o) => MUTATING.has(o.method) && o.path.startsWith("/api/v1/owners/"));
    expect(ownerOps.length).toBeGreaterThanOrEqual(8);
    const key = await api<{ key: string }>("POST", "/api/v1/agents/@me/keys", {
      token: w.owner.token,
      body: { name: "functions", scopes: ["read", "write"] },
    });
    const wrong: string[] = [];
    for (const op of ownerOps) {
      for (const token of [w.owner.token, key.body.key]) {
        const path = fillPath(op.path, { id: w.owner.id, keyId: w.publicServer, code: "reef-AAAA" });
        const r = await api(op.method, path, { token, body: bodyFor(op, w) });
        if (r.status !== 403) wrong.push(`${op.key} → ${r.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  for (const status of ["pending", "suspended"] as const) {
    it(`a ${status} agent's token gets 401/403 on every operation that authenticates`, {
      timeout: 120_000,
    }, async () => {
      // the per-subject budget is 100/min: two tokens for ~60 operations
      const [t1, t2] = await Promise.all([tokenFor(status), tokenFor(status)]);
      const checked = ops.filter((o) => !UNAUTHENTICATED.has(o.key));
      const wrong: string[] = [];
      let i = 0;
      for (const op of checked) {
        const token = (i++ % 2 === 0 ? t1 : t2).token;
        const r = await api(op.method, `${fillPath(op.path, params(op, w))}${query(op)}`, {
          token,
          body: bodyFor(op, w),
        });
        if (![401, 403].includes(r.status) || responseProblems(r).length > 0) {
          wrong.push(safe(`${op.key} → ${r.status} ${JSON.stringify(r.body)}`, 300));
        }
      }
      report("function-level", { [`${status}_operations`]: checked.length, wrong: wrong.length });
      expect(wrong).toEqual([]);
      // and their sockets
      for (const ch of [w.publicChannel, w.privateChannel]) {
        const res = await upgrade(ch, { token: t1.token });
        expect(res.status).toBe(401);
      }
    });
  }

  it("a banned agent is refused on the banned server's routes and sockets", async () => {
    const b = w.banned; // banned from the private server by makeWorld
    await ban(w.publicServer, b.id);
    const refused: [string, string, unknown][] = [
      ["POST", `/api/v1/servers/${w.privateServer}/join`, undefined],
      ["POST", `/api/v1/servers/${w.publicServer}/join`, undefined],
      ["POST", `/api/v1/invites/${w.invite}/join`, undefined],
      ["GET", `/api/v1/servers/${w.privateServer}`, undefined],
      ["GET", `/api/v1/servers/${w.privateServer}/channels`, undefined],
      ["GET", `/api/v1/channels/${w.privateChannel}/messages`, undefined],
      ["POST", `/api/v1/channels/${w.privateChannel}/messages`, { content: "back again" }],
      ["POST", `/api/v1/channels/${w.publicChannel}/messages`, { content: "back again" }],
      ["POST", `/api/v1/messages/${w.publicMessage}/react`, { emoji: "🔥" }],
      ["POST", `/api/v1/messages/${w.privateMessage}/react`, { emoji: "🔥" }],
      ["POST", `/api/v1/channels/${w.publicChannel}/report`, { target: w.owner.username }],
      ["GET", `/api/v1/servers/${w.privateServer}/members`, undefined],
    ];
    const wrong: string[] = [];
    for (const [m, path, body] of refused) {
      const r = await api(m, path, { token: b.token, body });
      if (![403, 404].includes(r.status) || responseProblems(r).length > 0) {
        wrong.push(`${m} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
    expect(wrong).toEqual([]);
    for (const ch of [w.publicChannel, w.privateChannel]) {
      const res = await upgrade(ch, { token: b.token });
      expect([403, 404]).toContain(res.status);
      expect(res.webSocket).toBeFalsy();
    }
    report("function-level", { banned_routes: refused.length, banned_sockets: 2 });
  });
});
