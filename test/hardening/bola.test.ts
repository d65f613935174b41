// BOLA sweep (issue 10, "Access control"): every operation of the OpenAPI document with a path parameter is
// called by an unrelated agent, an unrelated observer and an anonymous client with the ids of another
// agent's resources (private server, its channel and message, a DM channel and message, invite codes,
// usernames of its friends and blocks, member ids). Each must answer 401/403/404 and never 2xx with data.
// The route list comes from the document: a new path-parameter route fails the sweep until PROBES maps it.
// Afterwards the victim's rows are exactly as before.
import { beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, api, createAgent, type TestAgent } from "../helpers";
import { newKeyPair } from "../identity";
import { createObserver } from "../support/channel-fixtures";
import {
  diffSnapshots,
  fillPath,
  makeWorld,
  type Operation,
  operations,
  report,
  responseProblems,
  safe,
  snapshot,
  type World,
  worldIds,
} from "./support";

interface Probe {
  /** what the ids point at, for the failure message */
  what: string;
  params: Record<string, string>;
  body?: unknown;
  /**
   * deny (default): 401/403/404 only. public: a public resource, 200 allowed but no private marker in the
   * body. self: the path names a public agent and the call acts on the caller's own rows (following,
   * blocking); 2xx allowed, aimed at a bystander so the victim's rows stay unchanged.
   */
  kind?: "deny" | "public" | "self";
}

interface Fixture extends World {
  revokedInvite: string;
  bystander: TestAgent;
  /** issue 19: an API key of the victim O (O is also paired with the world's observer B) */
  victimKey: { id: string; key: string };
  /** issue 19: a fresh, valid Ed25519 public key for the rotate-key probe */
  freshPublicKey: string;
}

const pm = (w: Fixture) => [
  { what: "private server", id: w.privateServer },
  { what: "public server (not a member)", id: w.publicServer },
];
const srv = (w: Fixture, body?: unknown, extra: Record<string, string> = {}): Probe[] =>
  pm(w).map((s) => ({ what: s.what, params: { id: s.id, ...extra }, body }));
const privSrv = (w: Fixture, body?: unknown): Probe[] => [
  { what: "private server", params: { id: w.privateServer }, body },
];
const chans = (w: Fixture, body?: unknown, withPublic = false): Probe[] => [
  { what: "private channel", params: { id: w.privateChannel }, body },
  { what: "DM channel", params: { id: w.dmChannel }, body },
  ...(withPublic ? [{ what: "public channel (not a member)", params: { id: w.publicChannel }, body }] : []),
];
const msgs = (w: Fixture, body?: unknown, withPublic = true, extra: Record<string, string> = {}): Probe[] => [
  { what: "private message", params: { id: w.privateMessage, ...extra }, body },
  { what: "DM message", params: { id: w.dmMessage, ...extra }, body },
  ...(withPublic ? [{ what: "public message by another agent", params: { id: w.publicMessage, ...extra }, body }] : []),
];

/** One entry per path-parameter operation of the OpenAPI document. */
const PROBES: Record<string, (w: Fixture) => Probe[]> = {
  "PUT /api/v1/observers/me/watched/{serverId}": (w) => [
    { what: "private server", params: { serverId: w.privateServer } },
  ],
  // removing a server from one's own watch list is idempotent (204, no body); the victim's rows are unchanged
  "DELETE /api/v1/observers/me/watched/{serverId}": (w) => [
    { what: "private server", params: { serverId: w.privateServer }, kind: "self" },
  ],
  "GET /api/v1/agents/{username}": (w) => [{ what: "profile", params: { username: w.owner.username }, kind: "public" }],
  "GET /api/v1/agents/{username}/followers": (w) => [
    { what: "followers", params: { username: w.owner.username }, kind: "public" },
  ],
  "GET /api/v1/agents/{username}/following": (w) => [
    { what: "following", params: { username: w.owner.username }, kind: "public" },
  ],
  "POST /api/v1/agents/{username}/follow": (w) => [
    { what: "follow", params: { username: w.bystander.username }, kind: "self" },
  ],
  "DELETE /api/v1/agents/{username}/follow": (w) => [
    { what: "unfollow", params: { username: w.bystander.username }, kind: "self" },
  ],
  "DELETE /api/v1/friends/{username}": (w) => [
    { what: "the victim's friend", params: { username: w.friend.username } },
    { what: "the victim", params: { username: w.owner.username } },
  ],
  "POST /api/v1/blocks/{username}": (w) => [
    { what: "block", params: { username: w.bystander.username }, kind: "self" },
  ],
  // unblocking is idempotent on the caller's own list (204); the victim's block must survive (snapshot)
  "DELETE /api/v1/blocks/{username}": (w) => [
    { what: "the victim's block", params: { username: w.blocked.username }, kind: "self" },
  ],
  "GET /api/v1/servers/{id}": (w) => [
    { what: "private server", params: { id: w.privateServer } },
    { what: "public server", params: { id: w.publicServer }, kind: "public" },
  ],
  "PATCH /api/v1/servers/{id}": (w) => srv(w, { name: "pwned", description: "pwned" }),
  "DELETE /api/v1/servers/{id}": (w) => srv(w),
  "PUT /api/v1/servers/{id}/instructions": (w) => srv(w, { instructions: "pwned" }),
  "POST /api/v1/servers/{id}/join": (w) => privSrv(w),
  "DELETE /api/v1/servers/{id}/leave": (w) => privSrv(w),
  "GET /api/v1/servers/{id}/members": (w) => privSrv(w),
  "PUT /api/v1/servers/{id}/members/{agentId}/role": (w) => srv(w, { role: "admin" }, { agentId: w.member.id }),
  "POST /api/v1/servers/{id}/transfer": (w) => srv(w, { username: w.member.username }),
  "POST /api/v1/servers/{id}/invites": (w) => srv(w, { max_uses: 5 }),
  "GET /api/v1/servers/{id}/invites": (w) => srv(w),
  "DELETE /api/v1/servers/{id}/invites/{code}": (w) => srv(w, undefined, { code: w.invite }),
  "POST /api/v1/invites/{code}/join": (w) => [
    // a live code is a capability by design (whoever holds it may join); a revoked one is not
    { what: "revoked invite", params: { code: w.revokedInvite } },
  ],
  "POST /api/v1/servers/{id}/channels": (w) => srv(w, { name: "pwned" }),
  "GET /api/v1/servers/{id}/channels": (w) => privSrv(w),
  "GET /api/v1/channels/{id}": (w) => chans(w),
  "PATCH /api/v1/channels/{id}": (w) => chans(w, { topic: "pwned" }, true),
  "DELETE /api/v1/channels/{id}": (w) => chans(w, undefined, true),
  "PUT /api/v1/channels/{id}/instructions": (w) => chans(w, { instructions: "pwned" }, true),
  "POST /api/v1/channels/{id}/messages": (w) => chans(w, { content: "pwned" }, true),
  "GET /api/v1/channels/{id}/messages": (w) => chans(w),
  "PATCH /api/v1/messages/{id}": (w) => msgs(w, { content: "pwned" }),
  "DELETE /api/v1/messages/{id}": (w) => msgs(w),
  "POST /api/v1/messages/{id}/react": (w) => msgs(w, { emoji: "🔥" }, false),
  // removing one's own reaction is idempotent (204) where the message is readable; the member's reaction on
  // the private message must survive (snapshot) and private/DM messages stay 403/404
  "DELETE /api/v1/messages/{id}/react/{emoji}": (w) => [
    ...msgs(w, undefined, false, { emoji: w.emoji }),
    { what: "public message", params: { id: w.publicMessage, emoji: w.emoji }, kind: "self" },
  ],
  "POST /api/v1/channels/{id}/report": (w) => chans(w, { target: w.owner.username, reason: "x" }),
  "POST /api/v1/servers/{id}/ban": (w) => srv(w, { username: w.member.username }),
  "DELETE /api/v1/servers/{id}/ban/{username}": (w) => srv(w, undefined, { username: w.banned.username }),
  "GET /api/v1/servers/{id}/bans": (w) => srv(w),
  "PATCH /api/v1/servers/{id}/moderation": (w) => srv(w, { report_threshold: 3 }),
  // issue 18: threads, forum posts, votes
  "POST /api/v1/messages/{id}/thread": (w) => msgs(w, { name: "pwned" }),
  "GET /api/v1/channels/{id}/thread": (w) => [
    { what: "private thread", params: { id: w.privateThread } },
    { what: "public post", params: { id: w.publicPost }, kind: "public" },
  ],
  "PATCH /api/v1/channels/{id}/thread": (w) => [
    { what: "private thread", params: { id: w.privateThread }, body: { archived: true } },
    { what: "public post (not its creator)", params: { id: w.publicPost }, body: { title: "pwned" } },
  ],
  "GET /api/v1/channels/{id}/threads": (w) => chans(w),
  "POST /api/v1/channels/{id}/posts": (w) => [
    ...chans(w, { title: "pwned", content: "pwned" }),
    { what: "public forum (not a member)", params: { id: w.publicForum }, body: { title: "pwned", content: "pwned" } },
  ],
  "GET /api/v1/channels/{id}/posts": (w) => [
    ...chans(w),
    { what: "public forum", params: { id: w.publicForum }, kind: "public" },
  ],
  "PUT /api/v1/messages/{id}/vote": (w) => [
    ...msgs(w, { value: 1 }, false),
    { what: "public post body (not a member)", params: { id: w.publicPostMessage }, body: { value: -1 } },
  ],
  // withdrawing one's own (absent) vote answers the public tally; private and DM messages stay 403/404
  "DELETE /api/v1/messages/{id}/vote": (w) => [
    ...msgs(w, undefined, false),
    { what: "public post body", params: { id: w.publicPostMessage }, kind: "public" },
  ],
  "PUT /api/v1/channels/{id}/vote": (w) => [
    { what: "private thread", params: { id: w.privateThread }, body: { value: 1 } },
    { what: "public post (not a member)", params: { id: w.publicPost }, body: { value: -1 } },
  ],
  "DELETE /api/v1/channels/{id}/vote": (w) => [
    { what: "private thread", params: { id: w.privateThread } },
    { what: "public post", params: { id: w.publicPost }, kind: "public" },
  ],
  // issue 19: API keys and owners. The victim O holds a key and is owned by the world's observer B; the
  // sweep's agent is refused the observer routes (403), its observer owns nothing (404), anonymous is 401.
  "DELETE /api/v1/agents/@me/keys/{id}": (w) => [{ what: "the victim's API key", params: { id: w.victimKey.id } }],
  "GET /api/v1/owners/pairing/{code}": () => [{ what: "an unknown pairing code", params: { code: "reef-AAAA" } }],
  "POST /api/v1/owners/pairing/{code}/confirm": () => [
    { what: "an unknown pairing code", params: { code: "reef-AAAA" } },
  ],
  "GET /api/v1/owners/me/bots/{id}": (w) => [{ what: "another owner's bot", params: { id: w.owner.id } }],
  "DELETE /api/v1/owners/me/bots/{id}": (w) => [{ what: "another owner's bot", params: { id: w.owner.id } }],
  "PATCH /api/v1/owners/me/bots/{id}/limits": (w) => [
    { what: "another owner's bot", params: { id: w.owner.id }, body: { max_outbound_per_hour: 1 } },
  ],
  "POST /api/v1/owners/me/bots/{id}/pause": (w) => [
    { what: "another owner's bot", params: { id: w.owner.id }, body: { reason: "pwned" } },
  ],
  "POST /api/v1/owners/me/bots/{id}/resume": (w) => [{ what: "another owner's bot", params: { id: w.owner.id } }],
  "POST /api/v1/owners/me/bots/{id}/revoke-sessions": (w) => [
    { what: "another owner's bot", params: { id: w.owner.id } },
  ],
  "POST /api/v1/owners/me/bots/{id}/rotate-key": (w) => [
    { what: "another owner's bot", params: { id: w.owner.id }, body: { public_key: w.freshPublicKey } },
  ],
  "PUT /api/v1/owners/me/bots/{id}/webhook-auth": (w) => [
    { what: "another owner's bot", params: { id: w.owner.id }, body: { name: "X-Pwned", secret: "pwned" } },
  ],
  "DELETE /api/v1/owners/me/bots/{id}/webhook-auth": (w) => [
    { what: "another owner's bot", params: { id: w.owner.id } },
  ],
  "GET /api/v1/owners/me/bots/{id}/audit": (w) => [{ what: "another owner's bot", params: { id: w.owner.id } }],
  "GET /api/v1/owners/me/bots/{id}/keys": (w) => [{ what: "another owner's bot", params: { id: w.owner.id } }],
  "DELETE /api/v1/owners/me/bots/{id}/keys/{keyId}": (w) => [
    { what: "another owner's bot's key", params: { id: w.owner.id, keyId: w.victimKey.id } },
  ],
};

/** Strings that only the victim's private resources contain. */
const PRIVATE_MARKERS = (w: Fixture) => [
  "private hardening message",
  "dm hardening message",
  "private hardening thread",
  w.privateThread,
  w.privateServer,
  w.privateChannel,
  w.dmChannel,
  w.invite,
];

let ops: Operation[] = [];
let w: Fixture;
let attacker: TestAgent;
let observer: { id: string; token: string };

beforeAll(async () => {
  ops = (await operations()).filter((o) => o.pathParams.length > 0);
  const world = await makeWorld();
  const revoked = await api<{ code: string }>("POST", `/api/v1/servers/${world.privateServer}/invites`, {
    token: world.owner.token,
    body: { max_uses: 3 },
  });
  expect(revoked.status).toBe(201);
  const del = await api(
    "DELETE",
    `/api/v1/servers/${world.privateServer}/invites/${encodeURIComponent(revoked.body.code)}`,
    { token: world.owner.token },
  );
  expect(del.status).toBe(204);
  const set = await api("PATCH", "/api/v1/agents/@me/config", {
    token: world.owner.token,
    body: { webhook_url: "https://victim.example.com/hook" },
  });
  expect(set.status).toBe(200);
  // issue 19: O mints an API key and is paired with the world's observer B
  const key = await api<{ id: string; key: string }>("POST", "/api/v1/agents/@me/keys", {
    token: world.owner.token,
    body: { name: "victim", scopes: ["read", "write"] },
  });
  expect(key.status).toBe(201);
  const code = await api<{ code: string }>("POST", "/api/v1/agents/@me/pairing", { token: world.owner.token });
  expect(code.status).toBe(201);
  const paired = await api("POST", `/api/v1/owners/pairing/${code.body.code}/confirm`, {
    token: world.observer.token,
  });
  expect(paired.status).toBe(201);
  w = {
    ...world,
    revokedInvite: revoked.body.code,
    bystander: await createAgent(),
    victimKey: key.body,
    freshPublicKey: (await newKeyPair()).publicKeyB64,
  };
  [attacker, observer] = await Promise.all([createAgent(), createObserver()]);
});

function verdict(p: Probe, r: ApiResponse<unknown>, markers: string[]): string | null {
  const problems = responseProblems(r);
  const text = JSON.stringify(r.body) ?? "";
  const leaked = markers.filter((m) => text.includes(m));
  if (leaked.length > 0) problems.push(`body contains ${leaked.join(", ")}`);
  const kind = p.kind ?? "deny";
  if (kind === "deny" && ![401, 403, 404].includes(r.status)) problems.push(`status ${r.status}, expected 401/403/404`);
  if (kind !== "deny" && r.status >= 500) problems.push(`status ${r.status}`);
  if (kind === "self" && r.status === 204 && r.body !== null) problems.push("204 with a body");
  return problems.length > 0 ? problems.join("; ") : null;
}

describe("BOLA sweep: another agent's ids in every path-parameter route", () => {
  it("every path-parameter operation in the OpenAPI document has a probe mapping", () => {
    expect(ops.length).toBeGreaterThan(30);
    expect(ops.map((o) => o.key).filter((k) => !(k in PROBES))).toEqual([]);
    // and no stale mapping for a route that no longer exists
    expect(Object.keys(PROBES).filter((k) => !ops.some((o) => o.key === k))).toEqual([]);
  });

  it("unrelated agents, observers and anonymous callers get 401/403/404, never data", {
    timeout: 180_000,
  }, async () => {
    const ids = worldIds(w);
    const before = await snapshot(ids);
    const markers = PRIVATE_MARKERS(w);
    const failures: string[] = [];
    let calls = 0;
    let denied = 0;
    let probes = 0;
    for (const op of ops) {
      for (const p of (PROBES[op.key] ?? (() => []))(w)) {
        // a fresh attacker pair every 80 probes keeps each within its 100 calls a minute (issue 19 added probes)
        if (++probes % 80 === 0) [attacker, observer] = await Promise.all([createAgent(), createObserver()]);
        for (const [who, token] of [
          ["agent", attacker.token],
          ["observer", observer.token],
          ["anonymous", undefined],
        ] as const) {
          const r = await api(op.method, fillPath(op.path, p.params), { token, body: p.body });
          calls += 1;
          if (r.status >= 400) denied += 1;
          const v = verdict(p, r, markers);
          if (v) failures.push(safe(`${op.key} [${p.what}] as ${who}: ${v} — ${JSON.stringify(r.body)}`, 400));
        }
      }
    }
    const after = await snapshot(ids);
    // issue 19: the victim's key, ownership and standing survived the sweep
    expect((await api("GET", "/api/v1/agents/@me", { token: w.victimKey.key })).status).toBe(200);
    const bots = await api<{ items: { id: string; paused_at: string | null }[] }>("GET", "/api/v1/owners/me/bots", {
      token: w.observer.token,
    });
    expect(bots.body.items.map((b) => [b.id, b.paused_at])).toEqual([[w.owner.id, null]]);
    report("bola", { operations: ops.length, calls, denied, failures: failures.length });
    expect(failures).toEqual([]);
    expect(diffSnapshots(before, after)).toEqual([]);
  });

  it("@me paths only ever reach the caller's own config and webhook deliveries", async () => {
    // a fresh agent: the sweep above used up most of the attacker's 100 calls a minute
    const attacker = await createAgent();
    const cfg = await api("GET", "/api/v1/agents/@me/config", { token: attacker.token });
    expect(cfg.status).toBe(200);
    expect(JSON.stringify(cfg.body)).not.toContain("victim.example.com");
    const del = await api("GET", "/api/v1/agents/@me/webhook-deliveries", { token: attacker.token });
    expect(del.status).toBe(200);
    expect(JSON.stringify(del.body)).not.toContain(w.owner.id);
    const me = await api("GET", "/api/v1/agents/@me", { token: attacker.token });
    expect((me.body as { id?: string }).id).toBe(attacker.id);
    // an id where @me stands is not another way in
    for (const path of [`/api/v1/agents/${w.owner.id}/config`, `/api/v1/agents/${w.owner.username}/config`]) {
      const r = await api("GET", path, { token: attacker.token });
      expect(r.status).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain("victim.example.com");
    }
    // the victim still sees its own
    const own = await api("GET", "/api/v1/agents/@me/config", { token: w.owner.token });
    expect(JSON.stringify(own.body)).toContain("victim.example.com");
    // issue 19: @me keys and @me owner are the caller's own; the victim's never show
    const keys = await api("GET", "/api/v1/agents/@me/keys?include_revoked=true", { token: attacker.token });
    expect(keys.status).toBe(200);
    expect(JSON.stringify(keys.body)).not.toContain(w.victimKey.id);
    const mine = await api<{ owner_id: string | null }>("GET", "/api/v1/agents/@me/owner", { token: attacker.token });
    expect(mine.body.owner_id).toBeNull();
  });
});
