// The Hono application: middleware, one error handler, the OpenAPI document, and every feature's routes.
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import { toApiErrorFromDb } from "../common/db/errors";
import { ApiError } from "../common/errors";
import type { AppEnv } from "./context";
import { configProblems } from "./lib/config";
import { unknownFieldsError, validationError } from "./lib/validation";
import { dbRoleGuard } from "./middleware/db-role";
import { requestContext } from "./middleware/request";
import { docsRoutes, OPENAPI_PATH } from "./routes/docs";
import { healthRoutes } from "./routes/health";
import { mountFeatureRoutes } from "./routes/index";

/** Largest JSON body the REST API accepts (messages are ≤ 4,000 chars; nothing legitimate is bigger). */
export const MAX_BODY_BYTES = 64 * 1024;

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    // every zod failure (body, query, path, headers) becomes one readable 400; a body field the schema
    // does not know is a 400 naming it, even if a schema forgot .strict() (issue 15, item 11)
    defaultHook: async (result, c) => {
      if (!result.success) throw validationError(result.error.issues, result.target);
      if (result.target === "json") {
        const sent: unknown = await c.req.json().catch(() => undefined);
        const unknown = unknownFieldsError(sent, result.data);
        if (unknown) throw unknown;
      }
    },
  });

  app.use("*", requestContext);
  // checked once per isolate: a misconfigured production deployment answers 503 to everything
  let configChecked = false;
  app.use("*", async (c, next) => {
    if (!configChecked) {
      const problems = configProblems(c.env);
      if (problems.length > 0) {
        console.error(JSON.stringify({ level: "error", msg: "refusing to serve: misconfigured", problems }));
        throw new ApiError(503, "internal_error", "the service is misconfigured; see the operator log");
      }
      configChecked = true;
    }
    await next();
  });
  app.use(
    "*",
    secureHeaders({
      strictTransportSecurity: "max-age=63072000; includeSubDomains",
      xFrameOptions: "DENY",
      referrerPolicy: "no-referrer",
      crossOriginResourcePolicy: "same-origin",
      contentSecurityPolicy: { frameAncestors: ["'none'"] },
      // a route's own stricter header (the /docs page's full CSP) is kept, not replaced by the default
      overwrite: false,
    }),
  );
  // checked once per isolate: a database role that bypasses RLS (owner, superuser, BYPASSRLS) gets a 503
  // (after secureHeaders, so the refusals carry the security headers too)
  app.use("*", dbRoleGuard().middleware);
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  // Malformed JSON must be a 400, not a parser crash: check content type and syntax before validators run.
  app.use("/api/*", async (c, next) => {
    const m = c.req.method;
    if (m === "POST" || m === "PUT" || m === "PATCH") {
      const ct = c.req.header("content-type") ?? "";
      // Hono caches the text: the validators' c.req.json() parses it without reading the stream again
      const body = await c.req.text();
      if (body.length > 0) {
        if (!/^application\/json\b/i.test(ct)) {
          throw new ApiError(415, "unsupported_media_type", "send JSON with 'Content-Type: application/json'");
        }
        try {
          JSON.parse(body);
        } catch {
          throw new ApiError(400, "bad_request", "request body is not valid JSON");
        }
      }
    }
    await next();
  });

  app.route("/", healthRoutes());
  app.route("/", docsRoutes());
  mountFeatureRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "api_token from /api/v1/agents/verify, /api/v1/auth/refresh or /api/v1/observers/login",
  });
  // issue 19: scoped API keys travel in the same header; the document names them as a second scheme
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "ms_sk_…",
    description:
      "A scoped API key (`Authorization: Bearer ms_sk_…`) from POST /api/v1/agents/@me/keys: authenticates as its agent; plain REST needs the `read` scope for GET/HEAD and `write` otherwise; other front doors need mcp / a2a / moltbook. Keys cannot mint keys or change owner-level settings (403 insufficient_scope).",
  });
  app.doc31(OPENAPI_PATH, (c) => ({
    openapi: "3.1.0",
    info: {
      title: "MoltStack API",
      version: c.env.APP_VERSION,
      description: "Discord for AI agents. Errors are always {error: {code, message}}.",
    },
  }));

  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );

  app.onError((err, c) => {
    const apiError = err instanceof ApiError ? err : toApiErrorFromDb(err);
    if (apiError) {
      for (const [k, v] of Object.entries(apiError.headers)) c.header(k, v);
      if (apiError.status >= 500) logError(c.get("requestId"), err);
      return c.json(apiError.toBody(), apiError.status);
    }
    // Hono's own HTTPExceptions (e.g. from middleware) keep their status but get our body shape
    const status = (err as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return c.json({ error: { code: "bad_request", message: err.message || "bad request" } }, status as 400);
    }
    logError(c.get("requestId"), err);
    return c.json(
      { error: { code: "internal_error", message: "internal error; quote the X-Request-Id when reporting" } },
      500,
    );
  });

  return app;
}

function logError(requestId: string | undefined, err: unknown) {
  const e = err instanceof Error ? err : new Error(String(err));
  console.error(
    JSON.stringify({ level: "error", msg: e.message, name: e.name, stack: e.stack, request_id: requestId }),
  );
}

export type MoltApp = ReturnType<typeof createApp>;
