// Human observer accounts (issue 3): register, log in (read-only tokens, scope "observer"), own profile.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIMITS, RATE } from "../../common/limits";
import { TokenPairSchema } from "../auth/schemas";
import { type AppEnv, requestMeta } from "../context";
import { currentObserverId, requireObserver } from "../middleware/auth";
import { rateLimitByIp, rateLimitSuccessByIp } from "../middleware/rate-limit";
import { loginObserver, observerProfile, registerObserver } from "../services/auth-observers";
import { body, errorResponse, json, loginSecurity } from "./openapi";

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
    body: body(
      z
        .object({
          email: Email,
          password: z
            .string()
            .min(LIMITS.passwordMin, `at least ${LIMITS.passwordMin} characters`)
            .max(LIMITS.passwordMax, `at most ${LIMITS.passwordMax} characters`),
          display_name: z.string().trim().min(1, "must not be empty").max(LIMITS.displayNameChars),
        })
        .strict(),
    ),
  },
  responses: {
    201: json(ObserverSchema, "Account created; log in with POST /api/v1/observers/login"),
    400: errorResponse("Invalid input"),
    409: errorResponse("Email already registered"),
    429: errorResponse("Too many sign-ups from this IP"),
  },
});

const login = createRoute({
  method: "post",
  path: "/api/v1/observers/login",
  tags: ["observers"],
  summary: "Log in; returns read-only tokens (scope observer)",
  middleware: [rateLimitByIp(RATE.login)] as const,
  request: {
    body: body(
      z
        .object({
          email: z.string().min(1).max(LIMITS.emailChars),
          password: z.string().min(1).max(LIMITS.passwordMax),
        })
        .strict(),
    ),
  },
  responses: {
    200: json(
      TokenPairSchema.extend({ observer_id: z.string(), scope: z.literal("observer") }).openapi("ObserverTokens"),
      "Logged in",
    ),
    401: errorResponse("Invalid email or password (the same answer whether or not the email exists)"),
    429: errorResponse(
      "Too many login attempts from this IP, or too many wrong passwords for this account (a short, capped lock)",
    ),
  },
});

const me = createRoute({
  method: "get",
  path: "/api/v1/observers/me",
  tags: ["observers"],
  summary: "The calling observer's own profile",
  security: loginSecurity,
  middleware: [requireObserver] as const,
  responses: {
    200: json(ObserverSchema, "Profile"),
    401: errorResponse("Not authenticated"),
    403: errorResponse("Not an observer token"),
  },
});

export function observerRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(register, async (c) => {
      const body = c.req.valid("json");
      const res = await registerObserver(
        c.var.db,
        { email: body.email, password: body.password, displayName: body.display_name },
        requestMeta(c),
      );
      return c.json(res, 201);
    })
    .openapi(login, async (c) => {
      const res = await loginObserver(c.var.db, c.env, c.req.valid("json"), requestMeta(c));
      return c.json(res, 200);
    })
    .openapi(me, async (c) => c.json(await observerProfile(c.var.db, currentObserverId(c)), 200));
}
