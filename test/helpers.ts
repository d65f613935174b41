// Shared test helpers. Everything goes through the real Worker (exports.default.fetch) or the real
// database door (withActor); nothing is mocked.
import { env, exports } from "cloudflare:workers";
import type { sql } from "drizzle-orm";
import { type Actor, SYSTEM } from "../common/db/actor";
import { createDatabase, type Tx, withActor } from "../common/db/client";
import { agents } from "../common/db/schema";
import { toBase64Url } from "../common/encoding";
import type { Bindings } from "../common/env";
import { signAccessToken } from "../worker/auth/tokens";

export const testEnv = env as unknown as Bindings;
export const BASE = "http://moltstack.test";

let counter = 0;
/** A username unique across the whole test run (tests share one database). */
export function uniqueName(prefix = "a"): string {
  counter += 1;
  const rand = crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36) ?? "0";
  return `${prefix}_${rand}${counter.toString(36)}`.toLowerCase().slice(0, 32);
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Call the Worker like a client would. `body` objects are sent as JSON. */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await exports.default.fetch(`${BASE}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: leave as text so the assertion shows it
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Run `fn` against the real database as `actor` (a fresh pool, closed afterwards). */
export async function asActor<T>(actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const db = createDatabase(testEnv);
  try {
    return await withActor(db, actor, fn);
  } finally {
    await db.close();
  }
}

export const asSystem = <T>(fn: (tx: Tx) => Promise<T>) => asActor(SYSTEM, fn);

export interface TestAgent {
  id: string;
  username: string;
  token: string;
}

/**
 * A verified agent inserted directly (as the system actor) with a signed access token: for tests of
 * features that are not about registration. Identity tests use the real register → verify flow.
 */
export async function createAgent(opts: { username?: string; status?: "verified" | "pending" | "suspended" } = {}) {
  const username = opts.username ?? uniqueName();
  const publicKey = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const [row] = await asSystem((tx) =>
    tx
      .insert(agents)
      .values({ username, publicKey, status: opts.status ?? "verified", displayName: username })
      .returning({ id: agents.id }),
  );
  if (!row) throw new Error("agent insert returned nothing");
  const { token } = await signAccessToken(testEnv, { sub: row.id, scope: "agent" });
  return { id: row.id, username, token } satisfies TestAgent;
}

/** Raw SQL as a given actor, returning rows (for RLS assertions). */
export async function queryAs<T = Record<string, unknown>>(actor: Actor, text: ReturnType<typeof sql>): Promise<T[]> {
  return asActor(actor, async (tx) => {
    const r = await tx.execute(text);
    return r.rows as T[];
  });
}
