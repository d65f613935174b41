// Per-request context shared by every route module (Hono Variables), and the helpers routes use around
// services: the request meta for the audit log, and follow-up work after the response.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Actor } from "../common/db/actor";
import type { Database } from "../common/db/client";
import type { Bindings } from "../common/env";
import { logJson } from "../common/trace";

export interface Variables {
  requestId: string;
  /** Who is calling (anonymous until an auth middleware says otherwise). */
  actor: Actor;
  db: Database;
  /** Client IP, from CF-Connecting-IP. */
  ip: string | null;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}

export type App = OpenAPIHono<AppEnv>;

/** Who asked, for the audit log (services take it as plain data). */
export const requestMeta = (c: { var: Variables }) => ({ ip: c.var.ip, requestId: c.var.requestId });

/**
 * Run follow-up work after the response without failing it (live socket closes, notifications). Errors
 * are logged with the request id. Without an execution context (app.request in unit tests) it just runs.
 */
export function runAfter(
  c: { var: Variables; executionCtx: { waitUntil(p: Promise<unknown>): void } },
  what: string,
  work: Promise<unknown>,
): void {
  const requestId = c.var.requestId;
  const guarded = work.catch((e) => logJson("warn", `${what} failed`, { error: String(e) }, requestId));
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    void guarded;
  }
}
