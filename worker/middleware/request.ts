// Request id, structured access log, and the per-request database handle.
import { createMiddleware } from "hono/factory";
import { ANONYMOUS } from "../../common/db/actor";
import { createDatabase, requestGate } from "../../common/db/client";
import { REQUEST_ID_RE } from "../../common/trace";
import type { AppEnv } from "../context";

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && REQUEST_ID_RE.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("actor", ANONYMOUS);
  c.set("ip", c.req.header("cf-connecting-ip") ?? null);
  const db = createDatabase(c.env, { gate: requestGate });
  c.set("db", db);
  try {
    await next();
  } finally {
    c.header("X-Request-Id", requestId);
    try {
      c.executionCtx.waitUntil(db.close());
    } catch {
      // no execution context (app.request in unit tests): close inline
      await db.close();
    }
    const actor = c.get("actor");
    if (c.env.LOG_REQUESTS !== "false") {
      console.log(
        JSON.stringify({
          level: "info",
          msg: "request",
          method: c.req.method,
          path: redactPath(c.req.path),
          status: c.res.status,
          duration_ms: Math.round((performance.now() - started) * 100) / 100,
          request_id: requestId,
          actor: actor.kind === "agent" || actor.kind === "observer" ? `${actor.kind}:${actor.id}` : actor.kind,
        }),
      );
    }
  }
});

/**
 * Issue 19: a path that carries a secret is logged without it (a pairing code is a 10-minute capability
 * to own a bot; the console's /owner/pair/:code page is served as a static asset, never logged here).
 */
export function redactPath(path: string): string {
  return path.replace(/^(\/api\/v1\/owners\/pairing\/)[^/]+/, "$1<code>");
}
