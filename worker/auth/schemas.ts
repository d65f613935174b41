// OpenAPI/zod building blocks shared by the identity routes (agents and observers).
import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string() }).passthrough(),
  })
  .openapi("Error");

export const TokenPairSchema = z.object({
  api_token: z.string().openapi({ description: "JWT access token, 15 minutes" }),
  refresh_token: z.string().openapi({ description: "opaque, single-use; rotate with POST /api/v1/auth/refresh" }),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().openapi({ example: 900 }),
});

/** A required JSON body: without `required`, a request with another content type would skip validation. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}
