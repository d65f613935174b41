// Scoped API keys (issue 19): an agent mints, lists and revokes its own keys. Minting needs a login (a JWT
// from the agent's Ed25519 challenge): a key never mints keys. Listing and revoking accept a key with the
// REST scopes (read / write), so a holder can revoke the key it holds. See docs/IDENTITY.md "API keys".
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { type AppEnv, requestMeta, runAfter } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import { currentAgentId, requireAgent, requireAgentLogin } from "../middleware/auth";
import { ApiKeyInfo, CreatedKey, CreateKeyBody, createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys";
import { pushRevocation } from "../services/revocation";
import { body, errorResponses, json, loginSecurity, security, uuidParam } from "./openapi";

const tags = ["keys"];

export const KeyListQuery = PageQuery.extend({
  include_revoked: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true")
    .meta({ description: "list revoked keys too (default false)" }),
});

const createKeyRoute = createRoute({
  method: "post",
  path: "/api/v1/agents/@me/keys",
  tags,
  summary: "Mint a scoped API key (the secret is in this answer only)",
  description:
    "Needs a login (JWT): an API key cannot mint keys. The key (`ms_sk_…`) works as `Authorization: Bearer` wherever its scopes allow; store it now, it is never shown again.",
  security: loginSecurity,
  middleware: [requireAgentLogin] as const,
  request: { body: body(CreateKeyBody) },
  responses: {
    201: json(CreatedKey, "The key, shown once"),
    ...errorResponses(400, 401, {
      403: "Observer token, or an API key (keys never mint keys)",
      404: "No such peer agent",
      409: "Too many live keys (limit_reached)",
    }),
    ...errorResponses(413, 415, 429, 503),
  },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/api/v1/agents/@me/keys",
  tags,
  summary: "The caller's API keys, newest first (never the secrets)",
  security,
  middleware: [requireAgent] as const,
  request: { query: KeyListQuery },
  responses: {
    200: json(PageSchema(ApiKeyInfo), "A page of keys"),
    ...errorResponses(400, 401, { 403: "Observer token, or a key without the read scope" }, 429, 503),
  },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/api/v1/agents/@me/keys/{id}",
  tags,
  summary: "Revoke one of the caller's API keys, at once (idempotent)",
  security,
  middleware: [requireAgent] as const,
  request: { params: z.object({ id: uuidParam("id") }) },
  responses: {
    204: { description: "Revoked" },
    ...errorResponses(400, 401, { 403: "Observer token, or a key without the write scope", 404: "No such key" }),
    ...errorResponses(429, 503),
  },
});

export function keyRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(createKeyRoute, async (c) => {
    const me = currentAgentId(c);
    return c.json(await createApiKey(c.var.db, me, c.req.valid("json"), requestMeta(c)), 201);
  });
  app.openapi(listKeysRoute, async (c) =>
    c.json(await listApiKeys(c.var.db, c.var.actor, currentAgentId(c), c.req.valid("query")), 200),
  );
  app.openapi(revokeKeyRoute, async (c) => {
    const me = currentAgentId(c);
    const id = c.req.valid("param").id;
    await revokeApiKey(c.var.db, c.var.actor, me, id, requestMeta(c));
    // a socket opened with the key closes now (its family is the key id)
    runAfter(
      c,
      "key revocation push",
      pushRevocation(c.env, { scope: "agent", subject: me, families: [id], reason: "key_revoked" }),
    );
    return c.body(null, 204);
  });
  return app;
}
