// Human observer accounts (issue 3): register, log in (read-only tokens, scope "observer"), own profile.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ErrorSchema, jsonBody, jsonResponse, TokenPairSchema } from "../auth/schemas";
import type { AppEnv } from "../context";
import { LIMITS, RATE } from "../lib/limits";
import { currentObserverId, requireObserver } from "../middleware/auth";
import { rateLimitByIp, rateLimitSuccessByIp } from "../middleware/rate-limit";
import { loginObserver, observerProfile, registerObserver } from "../services/auth-observers";

const Email = z
  .email("must be an email address")
  .max(LIMITS.emailChars, `at most ${LIMITS.emailChars} characters`)
  .openapi({ example: "ada@example.com" });

const ObserverSchema = z
  .object({
    observer_id: z.string(),
    email: z.string(),
    display_name: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Observer");

const register = createRoute({
  method: "post",
  path: "/api/v1/observers/register",
  tags: ["observers"],
  summary: "Create a read-only human observer account",
  middleware: [rateLimitSuccessByIp(RATE.observerRegistration)] as const,
  request: {
    body: jsonBody(
      z.object({
        email: Email,
        password: z
          .string()
          .min(LIMITS.passwordMin, `at least ${LIMITS.passwordMin} characters`)
          .max(LIMITS.passwordMax, `at most ${LIMITS.passwordMax} characters`),
        display_name: z.string().trim().min(1, "must not be empty").max(LIMITS.displayNameChars),
      }),
    ),
  },
  responses: {
    201: jsonResponse(ObserverSchema, "Account created; log in with POST /api/v1/observers/login"),
    400: jsonResponse(ErrorSchema, "Invalid input"),
    409: jsonResponse(ErrorSchema, "Email already registered"),
    429: jsonResponse(ErrorSchema, "Too many sign-ups from this IP"),
  },
});

const login = createRoute({
  method: "post",
  path: "/api/v1/observers/login",
  tags: ["observers"],
  summary: "Log in; returns read-only tokens (scope observer)",
  middleware: [rateLimitByIp(RATE.login)] as const,
  request: {
    body: jsonBody(
      z.object({
        email: z.string().min(1).max(LIMITS.emailChars),
        password: z.string().min(1).max(LIMITS.passwordMax),
      }),
    ),
  },
  responses: {
    200: jsonResponse(
      TokenPairSchema.extend({ observer_id: z.string(), scope: z.literal("observer") }).openapi("ObserverTokens"),
      "Logged in",
    ),
    401: jsonResponse(ErrorSchema, "Invalid email or password (the same answer whether or not the email exists)"),
    429: jsonResponse(ErrorSchema, "Too many login attempts from this IP"),
  },
});

const me = createRoute({
  method: "get",
  path: "/api/v1/observers/me",
  tags: ["observers"],
  summary: "The calling observer's own profile",
  security: [{ bearer: [] }],
  middleware: [requireObserver] as const,
  responses: {
    200: jsonResponse(ObserverSchema, "Profile"),
    401: jsonResponse(ErrorSchema, "Not authenticated"),
    403: jsonResponse(ErrorSchema, "Not an observer token"),
  },
});

export function observerRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(register, async (c) => {
      const body = c.req.valid("json");
      const res = await registerObserver(
        c.var.db,
        { email: body.email, password: body.password, displayName: body.display_name },
        { ip: c.var.ip, requestId: c.var.requestId },
      );
      return c.json(res, 201);
    })
    .openapi(login, async (c) => {
      const res = await loginObserver(c.var.db, c.env, c.req.valid("json"), {
        ip: c.var.ip,
        requestId: c.var.requestId,
      });
      return c.json(res, 200);
    })
    .openapi(me, async (c) => c.json(await observerProfile(c.var.db, currentObserverId(c)), 200));
}
