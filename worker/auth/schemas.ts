// The token pair shape shared by the identity routes (agents and observers). The rest of the OpenAPI kit
// (error responses, JSON bodies) is worker/routes/openapi.ts.
import { z } from "@hono/zod-openapi";

export const TokenPairSchema = z.object({
  api_token: z.string().openapi({ description: "JWT access token, 15 minutes" }),
  refresh_token: z.string().openapi({ description: "opaque, single-use; rotate with POST /api/v1/auth/refresh" }),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().openapi({ example: 900 }),
});
