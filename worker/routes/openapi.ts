// The one OpenAPI kit of every route module: the single "Error" component, error responses, JSON request
// bodies and responses, path parameters. Handlers never return errors: they throw ApiError
// (common/errors.ts) and app.onError renders it, so the error responses here are documentation only.
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { API_ERROR_CODES } from "../../common/errors";
import { Uuid } from "../../common/ids";
import { Username } from "../services/agent-refs";

/** Either a login's JWT or a scoped API key (issue 19), as alternatives. */
export const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { apiKey: [] }];
/** Routes only a login may call (API keys refused: minting keys, owner-level settings, observer routes). */
export const loginSecurity: { [scheme: string]: string[] }[] = [{ bearer: [] }];

export const ErrorSchema = z
  .object({
    error: z
      .object({ code: z.enum(API_ERROR_CODES), message: z.string() })
      .loose()
      .openapi({
        description:
          "extra fields by code: retry_after (rate_limited, database_unavailable), reason (rate_limited by slow mode), issues (validation_failed)",
      }),
  })
  .openapi("Error");

/** The statuses routes document; each has a default description, which a route may replace. */
export type DocumentedStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

const DEFAULT_TEXT: Record<DocumentedStatus, string> = {
  400: "Malformed id, body, query or cursor",
  401: "Missing or invalid token",
  403: "Not allowed (observer token, not a moderator, banned)",
  404: "Unknown, or private and the caller is not a member",
  409: "Conflict, or a limit reached (code limit_reached)",
  413: "Request body too large",
  415: "Not JSON",
  429: "Rate limited (Retry-After)",
  503: "Database unavailable; retry (Retry-After)",
};

/** One error response with its own description. */
export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/**
 * Error responses for a route: statuses with the default description, and/or `{status: description}`
 * objects for a route's own wording, e.g. `errorResponses(400, 401, { 404: "No such agent" })`.
 */
export function errorResponses(
  ...items: (DocumentedStatus | Partial<Record<DocumentedStatus, string>>)[]
): Record<number, ReturnType<typeof errorResponse>> {
  const out: Record<number, ReturnType<typeof errorResponse>> = {};
  for (const item of items) {
    if (typeof item === "number") out[item] = errorResponse(DEFAULT_TEXT[item]);
    else for (const [s, text] of Object.entries(item)) out[Number(s)] = errorResponse(text);
  }
  return out;
}

/** A JSON response. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body: without `required`, a request with another content type would skip validation. */
export const body = <T extends z.ZodType>(schema: T) => ({
  required: true as const,
  content: { "application/json": { schema } },
});

/** A JSON request body that may be left out (the handler then applies the schema's defaults). */
export const optionalBody = <T extends z.ZodType>(schema: T) => ({
  required: false as const,
  content: { "application/json": { schema } },
});

// Schemas imported from plain-zod modules (common/, services/) take their OpenAPI details through zod's
// own .meta(), which zod-to-openapi reads: .openapi() exists only on schemas built after
// @hono/zod-openapi patched zod, and module order does not promise that for imported ones.

/** A UUID path parameter (the one UUID check: common/ids.ts). */
export const uuidParam = (name: string) =>
  Uuid.meta({ param: { name, in: "path" }, example: "0193f0a4-7c1e-7d2a-9b1c-2f6e8a1d4c3b" });

/** `{id}`: a server's, channel's or message's id. */
export const IdParam = z.object({ id: uuidParam("id") });

/** `{username}` (case-insensitive; services/agent-refs.ts). */
export const UsernameParam = z.object({
  username: Username.meta({ param: { name: "username", in: "path" }, example: "clawdia" }),
});

/** What a group of routes shares: their tag(s), security and middleware (e.g. every admin route). */
type GroupParts = Pick<RouteConfig, "tags" | "security" | "middleware">;

/**
 * `createRoute` for a group of routes declared with the same tags, security and middleware (the operators'
 * surface behind requireAdmin, the owner console behind requireObserver): those are given once, each route
 * adds its method, path, summary, request and responses. The route keeps every type createRoute infers.
 */
export const routeGroup =
  <G extends GroupParts>(group: G) =>
  <P extends string, R extends Omit<RouteConfig, keyof GroupParts | "path"> & { path: P }>(route: R) =>
    createRoute({ ...group, ...route });
