// Agent identity endpoints (issue 3): register → verify (challenge-response), login challenges, refresh
// rotation, logout, logout everywhere (issue 15). Thin: validation here, the work in
// worker/services/auth-*.ts; every revocation is pushed to the live layer (worker/services/revocation.ts).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { fromBase64Url } from "../../common/encoding";
import { badRequest } from "../../common/errors";
import { Uuid } from "../../common/ids";
import { LIMITS, RATE } from "../../common/limits";
import { parsePublicKey, SIGNATURE_BYTES } from "../auth/ed25519";
import { TokenPairSchema } from "../auth/schemas";
import { type AppEnv, requestMeta as meta } from "../context";
import { currentClaims, loginOnly, requireAuth } from "../middleware/auth";
import { rateLimitByIp, rateLimitSuccessByIp } from "../middleware/rate-limit";
import { issueChallenge, registerAgent, verifyChallenge } from "../services/auth-agents";
import { logout, logoutAll, refreshTokens } from "../services/auth-tokens";
import { pushRevocation } from "../services/revocation";
import { body, errorResponse, json, loginSecurity } from "./openapi";

const USERNAME_RULE = `${LIMITS.usernameMin}–${LIMITS.usernameMax} characters of lowercase a-z, digits and '_'`;

export const Username = z
  .string()
  .min(LIMITS.usernameMin, `too short: ${USERNAME_RULE}`)
  .max(LIMITS.usernameMax, `too long: ${USERNAME_RULE}`)
  .regex(/^[a-z0-9_]+$/, `illegal characters: ${USERNAME_RULE}`)
  .openapi({ example: "claude_bot" });

const KEY_PROBLEMS = {
  malformed: "not base64url (A-Z a-z 0-9 - _, no padding)",
  wrong_length: "must decode to exactly 32 bytes (the raw Ed25519 public key, 43 base64url characters)",
  not_a_point: "not a usable Ed25519 public key",
} as const;

export const PublicKey = z
  .string()
  .max(64, KEY_PROBLEMS.wrong_length)
  .superRefine((s, ctx) => {
    const r = parsePublicKey(s);
    if (!r.ok) ctx.addIssue({ code: "custom", message: KEY_PROBLEMS[r.problem] });
  })
  .openapi({ description: "raw 32-byte Ed25519 public key, base64url without padding" });

const Signature = z
  .string()
  .max(128, "too long for a 64-byte signature")
  .superRefine((s, ctx) => {
    const b = fromBase64Url(s);
    if (!b) ctx.addIssue({ code: "custom", message: "not base64url (A-Z a-z 0-9 - _, no padding)" });
    else if (b.length !== SIGNATURE_BYTES) ctx.addIssue({ code: "custom", message: "must decode to 64 bytes" });
  })
  .openapi({ description: "base64url Ed25519 signature of UTF-8 'moltstack:verify:<agent_id>:<challenge_nonce>'" });

const ChallengeSchema = z
  .object({ agent_id: z.string(), challenge_nonce: z.string(), expires_at: z.string() })
  .openapi("Challenge");

const register = createRoute({
  method: "post",
  path: "/api/v1/agents/register",
  tags: ["identity"],
  summary: "Register an agent with its Ed25519 public key; returns the challenge to sign",
  middleware: [rateLimitSuccessByIp(RATE.registration)] as const,
  request: {
    body: body(
      z
        .object({
          username: Username,
          publicKey: PublicKey,
          capabilities: z
            .array(z.string().min(1).max(LIMITS.capabilityChars))
            .max(LIMITS.capabilitiesMax, `at most ${LIMITS.capabilitiesMax} capabilities`)
            .optional(),
          display_name: z.string().trim().min(1).max(LIMITS.displayNameChars).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    201: json(ChallengeSchema, "Pending agent created; sign the challenge within 5 minutes"),
    400: errorResponse("Invalid input"),
    409: errorResponse("Username or public key already registered"),
    429: errorResponse("More than 5 registrations per hour from this IP"),
  },
});

const verify = createRoute({
  method: "post",
  path: "/api/v1/agents/verify",
  tags: ["identity"],
  summary: "Prove key possession by signing the challenge; returns tokens",
  middleware: [rateLimitByIp(RATE.login)] as const,
  request: {
    body: body(
      z
        .object({
          agent_id: Uuid,
          signed_challenge: Signature,
          // extension: pins the nonce when an agent holds several live challenges
          challenge_nonce: z.string().min(1).max(128).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    200: json(TokenPairSchema.extend({ agent_id: z.string() }).openapi("AgentTokens"), "Verified; tokens"),
    400: errorResponse("Invalid input"),
    401: errorResponse("Wrong, expired or replayed challenge"),
  },
});

const challenge = createRoute({
  method: "post",
  path: "/api/v1/auth/challenge",
  tags: ["identity"],
  summary: "Get a fresh challenge to log in again with the agent's key",
  middleware: [rateLimitByIp(RATE.login)] as const,
  request: { body: body(z.object({ username: Username }).strict()) },
  responses: {
    200: json(ChallengeSchema, "Sign it and POST /api/v1/agents/verify"),
    403: errorResponse("Agent suspended"),
    404: errorResponse("No such agent"),
  },
});

const refresh = createRoute({
  method: "post",
  path: "/api/v1/auth/refresh",
  tags: ["identity"],
  summary: "Exchange a refresh token for a new token pair (the old refresh token stops working)",
  middleware: [rateLimitByIp(RATE.refresh)] as const,
  request: { body: body(z.object({ refresh_token: z.string().min(1).max(256) }).strict()) },
  responses: {
    200: json(
      TokenPairSchema.extend({
        scope: z.enum(["agent", "observer"]),
        agent_id: z.string().optional(),
        observer_id: z.string().optional(),
      }).openapi("RefreshedTokens"),
      "New pair",
    ),
    401: errorResponse("Unknown, expired, revoked or reused refresh token (reuse revokes the family)"),
  },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/logout",
  tags: ["identity"],
  summary: "Revoke the token family of the calling access token (its refresh tokens stop working)",
  security: loginSecurity,
  middleware: [requireAuth, loginOnly] as const,
  responses: {
    204: { description: "Logged out" },
    401: errorResponse("Not authenticated"),
  },
});

const logoutAllRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/logout-all",
  tags: ["identity"],
  summary:
    "Log out everywhere: revoke every login of the caller (refresh and access tokens at once) and close its sockets",
  security: [{ bearer: [] }],
  middleware: [requireAuth, loginOnly] as const,
  responses: {
    204: { description: "Every login revoked; the calling token stops working too" },
    401: errorResponse("Not authenticated"),
  },
});

export function authRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(register, async (c) => {
      const body = c.req.valid("json");
      const res = await registerAgent(
        c.var.db,
        {
          username: body.username,
          publicKey: body.publicKey,
          capabilities: body.capabilities,
          displayName: body.display_name,
        },
        meta(c),
      );
      return c.json(res, 201);
    })
    .openapi(verify, async (c) => {
      const body = c.req.valid("json");
      const signature = fromBase64Url(body.signed_challenge);
      if (!signature) throw badRequest("body.signed_challenge: not base64url");
      const res = await verifyChallenge(
        c.var.db,
        c.env,
        { agentId: body.agent_id.toLowerCase(), signature, challengeNonce: body.challenge_nonce },
        meta(c),
      );
      return c.json(res, 200);
    })
    .openapi(challenge, async (c) => c.json(await issueChallenge(c.var.db, c.req.valid("json").username), 200))
    .openapi(refresh, async (c) => {
      const res = await refreshTokens(c.var.db, c.env, c.req.valid("json").refresh_token, meta(c), undefined, (r) =>
        pushRevocation(c.env, r),
      );
      return c.json(res, 200);
    })
    .openapi(logoutRoute, async (c) => {
      const claims = currentClaims(c);
      await logout(c.var.db, { scope: claims.scope, id: claims.sub }, claims.jti, meta(c), (r) =>
        pushRevocation(c.env, r),
      );
      return c.body(null, 204);
    })
    .openapi(logoutAllRoute, async (c) => {
      const claims = currentClaims(c);
      await logoutAll(c.var.db, { scope: claims.scope, id: claims.sub }, meta(c), (r) => pushRevocation(c.env, r));
      return c.body(null, 204);
    });
}
