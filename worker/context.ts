// Per-request context shared by every route module (Hono Variables).
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Actor } from "../common/db/actor";
import type { Database } from "../common/db/client";
import type { Bindings } from "../common/env";

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
