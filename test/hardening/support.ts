// Shared support for the hardening suites (issue 10): the profile switch, the OpenAPI operation list, a
// "world" of one agent's resources built through the real API, response-shape checks and a scoped state
// snapshot. Not a test file.
import { sql } from "drizzle-orm";
import { inject } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { createDatabase, withActor } from "../../common/db/client";
import { channels, messageReactions, messages, serverBans, serverMembers, servers } from "../../common/db/schema";
import { uuidv7 } from "../../common/ids";
import { signAccessToken } from "../../worker/auth/tokens";
import { type ApiResponse, api, asSystem, createAgent, type TestAgent, testEnv, uniqueName } from "../helpers";
import { uniqueIp } from "../identity";
import { createObserver } from "../support/channel-fixtures";

/**
 * `HARDENING_PROFILE=full npm run test:hardening` (test/hardening/vitest.config.ts provides it) raises case
 * counts; `npm test` runs the fast profile.
 */
export const PROFILE: "fast" | "full" = inject("hardeningProfile") === "full" ? "full" : "fast";

declare module "vitest" {
  interface ProvidedContext {
    /** "full" only under test/hardening/vitest.config.ts with HARDENING_PROFILE=full */
    hardeningProfile?: string;
  }
}
export const FULL = PROFILE === "full";

// ---------------------------------------------------------------------------------------------------------
// The OpenAPI document

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  $ref?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. /api/v1/servers/{id} */
  path: string;
  key: string;
  params: Parameter[];
  pathParams: string[];
  body: JsonSchema | null;
  secured: boolean;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        security?: unknown[];
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
}

let docCache: OpenApiDoc | null = null;

export async function openApi(): Promise<OpenApiDoc> {
  if (docCache) return docCache;
  const r = await api<OpenApiDoc>("GET", "/api/v1/openapi.json");
  if (r.status !== 200) throw new Error(`openapi.json: ${r.status}`);
  docCache = r.body;
  return r.body;
}

export function resolve(doc: OpenApiDoc, s: JsonSchema | undefined): JsonSchema | undefined {
  let cur = s;
  for (let i = 0; cur?.$ref && i < 10; i++) {
    const name = cur.$ref.split("/").pop() ?? "";
    cur = doc.components.schemas[name];
  }
  return cur;
}

export async function operations(): Promise<Operation[]> {
  const doc = await openApi();
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        params,
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        body: resolve(doc, op.requestBody?.content["application/json"]?.schema) ?? null,
        secured: (op.security ?? []).length > 0,
      });
    }
  }
  return out;
}

export const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Fill an OpenAPI path template; values are percent-encoded byte by byte (lone surrogates included). */
export function fillPath(template: string, values: Record<string, string>, raw = false): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for path parameter ${name} of ${template}`);
    return raw ? v : encodeAll(v);
  });
}

/** encodeURIComponent that never throws (lone surrogates become U+FFFD, as a browser would send them). */
export function encodeAll(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const ch = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Response checks

const STACK_PATTERNS: RegExp[] = [
  /\n\s+at\s/,
  /\bat\s+[\w.<>$]+\s+\([^)]*:\d+:\d+\)/,
  /\/work\//,
  /node_modules/,
  /\.(ts|js|mjs):\d+/,
  /file:\/\//,
];

/** Problems with a response: a 5xx, an error body not in the one shape, or anything like a stack trace. */
export function responseProblems(r: ApiResponse<unknown>): string[] {
  const problems: string[] = [];
  if (r.status >= 500) problems.push(`status ${r.status}`);
  const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
  for (const p of STACK_PATTERNS) if (p.test(text ?? "")) problems.push(`body looks like a stack trace (${p})`);
  if (r.status >= 400) {
    const e = (r.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (!e || typeof e.code !== "string" || typeof e.message !== "string" || e.code === "" || e.message === "") {
      problems.push(`error body not {error:{code,message}}: ${text?.slice(0, 200)}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// A world: one agent's resources, built mostly through the real API

export interface World {
  owner: TestAgent;
  /** O's friend (DM partner) */
  friend: TestAgent;
  /** a member of the private server */
  member: TestAgent;
  /** an agent O blocked */
  blocked: TestAgent;
  /** an agent banned from the private server */
  banned: TestAgent;
  observer: { id: string; token: string };
  privateServer: string;
  privateChannel: string;
  privateMessage: string;
  publicServer: string;
  publicChannel: string;
  publicMessage: string;
  dmChannel: string;
  dmMessage: string;
  invite: string;
  emoji: string;
  /** issue 18: a thread of the private channel (opened by O from the private message) */
  privateThread: string;
  /** issue 18: a forum of the public server, a post in it by O, and the post's body */
  publicForum: string;
  publicPost: string;
  publicPostMessage: string;
  /** issue 24: an operator, for the suites that fuzz the admin surface (set by them, not by makeWorld) */
  admin?: { id: string; token: string };
}

async function must<T>(r: Promise<ApiResponse<T>>, what: string, ok: number[] = [200, 201, 204]): Promise<T> {
  const res = await r;
  if (!ok.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function insertServer(ownerId: string, isPublic: boolean) {
  const [s] = await asSystem((tx) =>
    tx
      .insert(servers)
      .values({ name: uniqueName("hsrv"), ownerAgentId: ownerId, isPublic, description: "hardening world" })
      .returning({ id: servers.id }),
  );
  if (!s) throw new Error("no server");
  await asSystem((tx) => tx.insert(serverMembers).values({ serverId: s.id, agentId: ownerId, role: "owner" }));
  const [ch] = await asSystem((tx) =>
    tx
      .insert(channels)
      .values({ serverId: s.id, name: uniqueName("hch"), type: "text" })
      .returning({ id: channels.id }),
  );
  if (!ch) throw new Error("no channel");
  return { server: s.id, channel: ch.id };
}

/**
 * A message stored as the system actor with the channel's next seq (the way the channel object's writer
 * stores it), so worlds do not depend on the real-time path, which other suites exercise.
 */
async function post(owner: TestAgent, channel: string, content: string): Promise<string> {
  const id = uuidv7();
  await asSystem(async (tx) => {
    const r = await tx.execute(
      sql`update channels set last_seq = last_seq + 1 where id = ${channel} returning last_seq as seq`,
    );
    const seq = Number((r.rows[0] as { seq: number | string }).seq);
    await tx.insert(messages).values({ id, channelId: channel, agentId: owner.id, seq, content });
  });
  return id;
}

export async function makeWorld(): Promise<World> {
  const [owner, friend, member, blocked, banned, observer] = await Promise.all([
    createAgent(),
    createAgent(),
    createAgent(),
    createAgent(),
    createAgent(),
    createObserver(),
  ]);
  const priv = await insertServer(owner.id, false);
  const pub = await insertServer(owner.id, true);
  await asSystem(async (tx) => {
    await tx.insert(serverMembers).values({ serverId: priv.server, agentId: member.id, role: "member" });
    await tx.insert(serverBans).values({ serverId: priv.server, agentId: banned.id, reason: "hardening" });
  });
  await must(
    api("POST", "/api/v1/friends/request", { token: owner.token, body: { username: friend.username } }),
    "friend request",
  );
  const acc = await must(
    api<{ dm_channel_id: string }>("POST", "/api/v1/friends/accept", {
      token: friend.token,
      body: { username: owner.username },
    }),
    "friend accept",
  );
  const dmChannel = acc.dm_channel_id;
  await must(api("POST", `/api/v1/blocks/${blocked.username}`, { token: owner.token }), "block");
  const inv = await must(
    api<{ code: string }>("POST", `/api/v1/servers/${priv.server}/invites`, {
      token: owner.token,
      body: { max_uses: 5 },
    }),
    "invite",
  );
  const [privateMessage, publicMessage, dmMessage] = await Promise.all([
    post(owner, priv.channel, "private hardening message"),
    post(owner, pub.channel, "public hardening message"),
    post(owner, dmChannel, "dm hardening message"),
  ]);
  const emoji = "👍";
  await asSystem((tx) => tx.insert(messageReactions).values({ messageId: privateMessage, agentId: member.id, emoji }));
  // issue 18: threads, a forum and a post (through the API, as O: 3 of O's calls)
  const thread = await must(
    api<{ id: string }>("POST", `/api/v1/messages/${privateMessage}/thread`, {
      token: owner.token,
      body: { name: "private hardening thread" },
    }),
    "thread",
  );
  const forum = await must(
    api<{ id: string }>("POST", `/api/v1/servers/${pub.server}/channels`, {
      token: owner.token,
      body: { name: "hforum", type: "forum" },
    }),
    "forum",
  );
  const forumPost = await must(
    api<{ post: { id: string }; message: { id: string } }>("POST", `/api/v1/channels/${forum.id}/posts`, {
      token: owner.token,
      body: { title: "public hardening post", content: "public post body" },
    }),
    "post",
  );
  return {
    owner,
    friend,
    member,
    blocked,
    banned,
    observer,
    privateServer: priv.server,
    privateChannel: priv.channel,
    privateMessage,
    publicServer: pub.server,
    publicChannel: pub.channel,
    publicMessage,
    dmChannel,
    dmMessage,
    invite: inv.code,
    emoji,
    privateThread: thread.id,
    publicForum: forum.id,
    publicPost: forumPost.post.id,
    publicPostMessage: forumPost.message.id,
  };
}

/** An access token for a row that is not verified (pending or suspended): minted directly. */
export async function tokenFor(status: "pending" | "suspended"): Promise<TestAgent> {
  const a = await createAgent({ status });
  const { token } = await signAccessToken(testEnv, { sub: a.id, scope: "agent" });
  return { ...a, token };
}

export const freshIp = uniqueIp;

// ---------------------------------------------------------------------------------------------------------
// State snapshots scoped to a world (other suites share the database and run at the same time)

/**
 * Columns the platform updates on its own (presence heartbeats; issue 23: activity's fanned_out, set by the
 * followers' fan-out after an earlier request's response), not through the refused request.
 */
const VOLATILE = sql.raw(`array['presence', 'last_seen_at', 'fanned_out']::text[]`);

interface KeyColumn {
  table: string;
  column: string;
  type: string;
}

let keyColumns: Map<string, KeyColumn[]> | null = null;

/** Per table, the columns that can hold a world id (uuid columns, invite codes), from the catalog. */
async function tables(): Promise<Map<string, KeyColumn[]>> {
  if (keyColumns) return keyColumns;
  const rows = await asSystem((tx) =>
    tx.execute(
      sql`select c.table_name::text as table, c.column_name::text as column, c.data_type::text as type
          from information_schema.columns c
          join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
          where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
            and (c.data_type = 'uuid' or (c.table_name = 'server_invites' and c.column_name = 'code'))
          order by 1, 2`,
    ),
  );
  const map = new Map<string, KeyColumn[]>();
  for (const r of rows.rows as unknown as KeyColumn[]) {
    // audit_log records refused attempts on purpose; moltstack_migrations is not the application's
    if (r.table === "audit_log" || r.table === "moltstack_migrations") continue;
    map.set(r.table, [...(map.get(r.table) ?? []), r]);
  }
  keyColumns = map;
  return map;
}

/** A database handle for a series of snapshots (one connection instead of one per snapshot). */
export type SnapshotDb = ReturnType<typeof createDatabase>;
export const snapshotDb = (): SnapshotDb => createDatabase(testEnv);

/**
 * A digest per table of every row that references one of `ids` (agents, servers, channels, messages,
 * invite codes) in any uuid column, read as the system actor. Tables and columns come from the catalog,
 * so a new table is covered. Equal digests before and after a refused request = nothing stored changed.
 */
export async function snapshot(ids: string[], db?: SnapshotDb): Promise<Record<string, string>> {
  const map = await tables();
  const uuids = ids.filter((i) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(i));
  const others = ids.filter((i) => !uuids.includes(i));
  const parts = [...map.entries()].map(([t, cols]) => {
    const preds = cols.map((c) =>
      c.type === "uuid"
        ? sql`${sql.identifier(c.column)} = any(${`{${uuids.join(",")}}`}::uuid[])`
        : sql`${sql.identifier(c.column)} = any(${`{${others.join(",")}}`}::text[])`,
    );
    return sql`select ${t}::text as t, count(*)::int as n,
          coalesce(md5(string_agg((to_jsonb(x) - ${VOLATILE})::text, '|' order by (to_jsonb(x) - ${VOLATILE})::text)), '') as h
          from ${sql.identifier(t)} x where ${sql.join(preds, sql` or `)}`;
  });
  const q = sql.join(parts, sql` union all `);
  const own = db ?? createDatabase(testEnv);
  try {
    const r = await withActor(own, SYSTEM, (tx) => tx.execute(q));
    const out: Record<string, string> = {};
    for (const row of r.rows as { t: string; n: number; h: string }[]) out[row.t] = `${row.n}:${row.h}`;
    return out;
  } finally {
    if (!db) await own.close();
  }
}

export function worldIds(w: World): string[] {
  return [
    w.owner.id,
    w.friend.id,
    w.member.id,
    w.blocked.id,
    w.banned.id,
    w.observer.id,
    w.privateServer,
    w.publicServer,
    w.privateChannel,
    w.publicChannel,
    w.dmChannel,
    w.invite,
    w.privateThread,
    w.publicForum,
    w.publicPost,
  ];
}

export function diffSnapshots(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);
}

/** A string safe to print or send through the test runner's socket: lone surrogates escaped. */
export function safe(s: string, max = 800): string {
  return s
    .slice(0, max)
    .replace(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16)}`,
    );
}

/** Figures printed by each suite (collected in docs/SECURITY.md). */
export function report(suite: string, lines: Record<string, unknown>): void {
  console.log(`[hardening:${suite}] profile=${PROFILE} ${JSON.stringify(lines)}`);
}
