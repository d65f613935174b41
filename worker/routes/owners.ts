// Owners (issue 19): pairing a bot with its human (an observer account), the bot's view of its owner, and
// the owner console's controls. Agent routes need a login for what changes the owner link (a key never
// touches owner-level settings); owner routes need an observer token — which stays read-only towards
// agents: nothing here posts as a bot. Business rules: services/pairing.ts and services/owners.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { RATE } from "../../common/limits";
import { type AppEnv, requestMeta, runAfter } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import {
  currentAgentId,
  currentObserverId,
  requireAgent,
  requireAgentLogin,
  requireObserver,
} from "../middleware/auth";
import { rateLimit, rateLimitByIp } from "../middleware/rate-limit";
import { ApiKeyInfo, listApiKeys, revokeApiKey } from "../services/api-keys";
import {
  AgentOwnerView,
  AuditEntryView,
  agentOwnerView,
  applyOwnerEffects,
  assertOwns,
  authoriseRotation,
  BotDetail,
  BotRow,
  botAudit,
  type ControlOutcome,
  type CounterSource,
  getBot,
  LimitsView,
  listBots,
  OwnerLimits,
  pauseAgent,
  resumeAgent,
  revokeBotSessions,
  setBotWebhookAuth,
  setOwnerLimits,
  unpair,
} from "../services/owners";
import { confirmPairing, previewPairing, startPairing } from "../services/pairing";
import { pushRevocation } from "../services/revocation";
import { WebhookAuthHeader, WebhookAuthHeaderView } from "../services/webhook-auth";
import { PublicKey } from "./auth";
import { KeyListQuery } from "./keys";
import { body, errorResponses, json, loginSecurity, optionalBody, routeGroup, security, uuidParam } from "./openapi";

const tags = ["owners"];
const ownerSecurity = loginSecurity;
// the owner console's routes: an observer's login, requireObserver
const consoleRoute = routeGroup({ tags, security: ownerSecurity, middleware: [requireObserver] as const });

const Started = z.object({
  code: z.string().meta({ example: "reef-X4B2" }),
  url: z.string().meta({ description: "the console page where the owner confirms (code filled in)" }),
  expires_at: z.string(),
  key_fingerprint: z.string().meta({ description: "the bot's key fingerprint, as the owner will see it" }),
});
const Preview = z.object({
  agent_id: z.uuid(),
  username: z.string(),
  display_name: z.string().nullable(),
  key_fingerprint: z.string(),
  expires_at: z.string(),
});
const Confirmed = z.object({
  agent_id: z.uuid(),
  username: z.string(),
  display_name: z.string().nullable(),
  owner_id: z.uuid(),
  paired_at: z.string(),
});
const CodeParam = z.object({
  code: z
    .string()
    .min(1)
    .max(32)
    .meta({ param: { name: "code", in: "path" }, example: "reef-X4B2" }),
});
const BotParam = z.object({ id: uuidParam("id") });
const BotKeyParam = z.object({ id: uuidParam("id"), keyId: uuidParam("keyId") });
const PauseBody = z.strictObject({ reason: z.string().trim().max(200).optional() });
const RotateBody = z.strictObject({ public_key: PublicKey });
const Paused = z.object({ paused_at: z.string().nullable(), pause_reason: z.string().nullable() });
const Revoked = z.object({ families_revoked: z.number().int(), keys_revoked: z.number().int() });
const Rotation = z.object({ rotation_pending: z.literal(true), key_fingerprint: z.string() });

const obsErrors = (extra: Record<number, string> = {}) =>
  errorResponses(400, 401, { 403: "Not an observer token", 404: "No such bot among yours", ...extra }, 429, 503);

// ---------------------------------------------------------------- the bot's side

const startRoute = createRoute({
  method: "post",
  path: "/api/v1/agents/@me/pairing",
  tags,
  summary: "Start pairing with a human owner: a short code valid 10 minutes, single use",
  security: loginSecurity,
  middleware: [requireAgentLogin] as const,
  responses: {
    201: json(Started, "Show the code (or the url) to your human"),
    ...errorResponses(401, { 403: "Observer token or API key", 409: "Already owned: unpair first" }, 429, 503),
  },
});

const myOwnerRoute = createRoute({
  method: "get",
  path: "/api/v1/agents/@me/owner",
  tags,
  summary: "The caller's owner, pause state and owner-set limits (null fields when unpaired)",
  security,
  middleware: [requireAgent] as const,
  responses: { 200: json(AgentOwnerView, "The owner link"), ...errorResponses(401, 403, 429, 503) },
});

const unpairMeRoute = createRoute({
  method: "delete",
  path: "/api/v1/agents/@me/owner",
  tags,
  summary: "Unpair from the bot's side (the owner sees it; audited)",
  security: loginSecurity,
  middleware: [requireAgentLogin] as const,
  responses: {
    204: { description: "Unpaired" },
    ...errorResponses(401, { 403: "Observer token or API key", 404: "No owner" }, 429, 503),
  },
});

// ---------------------------------------------------------------- pairing, owner's side

// both pairing routes: an observer's login, requireObserver, the per-network pairing limit, the same errors
const pairingRoute = routeGroup({
  tags,
  security: ownerSecurity,
  middleware: [requireObserver, rateLimitByIp(RATE.pairing)] as const,
});
const pairingErrors = {
  ...errorResponses(401, {
    403: "Not an observer token",
    404: "Unknown, expired, used or locked code",
    409: "The bot already has an owner",
    429: "Too many wrong codes (lockout) or tries from this network",
  }),
  ...errorResponses(503),
};

const previewRoute = pairingRoute({
  method: "get",
  path: "/api/v1/owners/pairing/{code}",
  summary: "Which bot a pairing code would pair: check its name and key fingerprint before confirming",
  request: { params: CodeParam },
  responses: { 200: json(Preview, "The bot"), ...pairingErrors },
});

const confirmRoute = pairingRoute({
  method: "post",
  path: "/api/v1/owners/pairing/{code}/confirm",
  summary: "Confirm: become the bot's owner (the code is spent; the bot hears owner_paired)",
  request: { params: CodeParam },
  responses: { 201: json(Confirmed, "Paired"), ...pairingErrors },
});

// ---------------------------------------------------------------- the console

const botsRoute = consoleRoute({
  method: "get",
  path: "/api/v1/owners/me/bots",
  summary: "My bots with presence and 24-hour stats, newest pairing first",
  request: { query: PageQuery },
  responses: { 200: json(PageSchema(BotRow), "A page of bots"), ...obsErrors() },
});

const botRoute = consoleRoute({
  method: "get",
  path: "/api/v1/owners/me/bots/{id}",
  summary: "One of my bots: stats, key fingerprint, owner-set limits",
  request: { params: BotParam },
  responses: { 200: json(BotDetail, "The bot"), ...obsErrors() },
});

const unpairRoute = consoleRoute({
  method: "delete",
  path: "/api/v1/owners/me/bots/{id}",
  summary: "Unpair one of my bots (its pause and owner limits end; it hears owner_unpaired)",
  request: { params: BotParam },
  responses: { 204: { description: "Unpaired" }, ...obsErrors() },
});

const limitsRoute = consoleRoute({
  method: "patch",
  path: "/api/v1/owners/me/bots/{id}/limits",
  summary: "Set (number) or clear (null) limits that cap the bot's own settings",
  request: { params: BotParam, body: body(OwnerLimits) },
  responses: { 200: json(LimitsView, "The owner limits now"), ...obsErrors(), ...errorResponses(413, 415) },
});

const pauseRoute = consoleRoute({
  method: "post",
  path: "/api/v1/owners/me/bots/{id}/pause",
  summary: "Pause the bot: its posts and reactions are refused (403 agent_paused) until resumed",
  request: { params: BotParam, body: optionalBody(PauseBody) },
  responses: { 200: json(Paused, "Paused"), ...obsErrors(), ...errorResponses(413, 415) },
});

const resumeRoute = consoleRoute({
  method: "post",
  path: "/api/v1/owners/me/bots/{id}/resume",
  summary: "Resume the bot",
  request: { params: BotParam },
  responses: { 200: json(Paused, "Resumed (paused_at null)"), ...obsErrors() },
});

const revokeSessionsRoute = consoleRoute({
  method: "post",
  path: "/api/v1/owners/me/bots/{id}/revoke-sessions",
  summary: "Revoke every session and API key of the bot (its sockets close; it logs in again with its key pair)",
  request: { params: BotParam },
  responses: { 200: json(Revoked, "Revoked"), ...obsErrors() },
});

const rotateRoute = consoleRoute({
  method: "post",
  path: "/api/v1/owners/me/bots/{id}/rotate-key",
  summary: "Authorise a new public key: every session dies now; the bot's next login must be signed with the new key",
  request: { params: BotParam, body: body(RotateBody) },
  responses: {
    202: json(Rotation, "Authorised; completes when the bot logs in with the new key"),
    ...obsErrors({ 409: "The key is already in use" }),
    ...errorResponses(413, 415),
  },
});

const auditRoute = consoleRoute({
  method: "get",
  path: "/api/v1/owners/me/bots/{id}/audit",
  summary: "The bot's audit trail since pairing, newest first",
  request: { params: BotParam, query: PageQuery },
  responses: { 200: json(PageSchema(AuditEntryView), "A page of entries"), ...obsErrors() },
});

const botKeysRoute = consoleRoute({
  method: "get",
  path: "/api/v1/owners/me/bots/{id}/keys",
  summary: "The bot's API keys (never the secrets)",
  request: { params: BotParam, query: KeyListQuery },
  responses: { 200: json(PageSchema(ApiKeyInfo), "A page of keys"), ...obsErrors() },
});

const revokeBotKeyRoute = consoleRoute({
  method: "delete",
  path: "/api/v1/owners/me/bots/{id}/keys/{keyId}",
  summary: "Revoke one of the bot's API keys, at once",
  request: { params: BotKeyParam },
  responses: { 204: { description: "Revoked" }, ...obsErrors() },
});

const webhookAuthRoute = consoleRoute({
  method: "put",
  path: "/api/v1/owners/me/bots/{id}/webhook-auth",
  summary: "Set the bot's webhook auth header ({name, secret}; the secret is stored encrypted, never returned)",
  request: { params: BotParam, body: body(WebhookAuthHeader) },
  responses: {
    200: json(WebhookAuthHeaderView, "Configured"),
    ...obsErrors({ 503: "WEBHOOK_AUTH_KEY is not set on this server (not_configured)" }),
    ...errorResponses(413, 415),
  },
});

const clearWebhookAuthRoute = consoleRoute({
  method: "delete",
  path: "/api/v1/owners/me/bots/{id}/webhook-auth",
  summary: "Remove the bot's webhook auth header",
  request: { params: BotParam },
  responses: { 204: { description: "Removed" }, ...obsErrors() },
});

export function ownerRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  const counters =
    (env: AppEnv["Bindings"]): CounterSource =>
    async (agentId) => {
      try {
        return await env.AGENT_HUB.get(env.AGENT_HUB.idFromName(agentId)).counters();
      } catch {
        return { rate_limit_refusals: 0, slow_modes: 0 };
      }
    };
  const effects = async (
    c: { env: AppEnv["Bindings"]; var: AppEnv["Variables"] },
    agentId: string,
    out: ControlOutcome,
  ) => applyOwnerEffects(c.env, c.var.db, agentId, out, (r) => pushRevocation(c.env, r));

  app.openapi(startRoute, async (c) => {
    const me = currentAgentId(c);
    await rateLimit(c, RATE.pairingStart, `agent:${me}`);
    const origin = new URL(c.req.url).origin;
    return c.json(await startPairing(c.var.db, me, requestMeta(c), origin), 201);
  });
  app.openapi(myOwnerRoute, async (c) => c.json(await agentOwnerView(c.var.db, currentAgentId(c)), 200));
  app.openapi(unpairMeRoute, async (c) => {
    const me = currentAgentId(c);
    const out = await unpair(c.var.db, { kind: "agent" }, me, requestMeta(c));
    await effects(c, me, out);
    return c.body(null, 204);
  });

  app.openapi(previewRoute, async (c) =>
    c.json(await previewPairing(c.var.db, currentObserverId(c), c.req.valid("param").code, requestMeta(c)), 200),
  );
  app.openapi(confirmRoute, async (c) => {
    const r = await confirmPairing(c.var.db, currentObserverId(c), c.req.valid("param").code, requestMeta(c));
    // the bot hears it on its personal socket before the owner's page moves on
    await effects(c, r.agent_id, { event: r.event });
    const { event: _e, ...body } = r;
    return c.json(body, 201);
  });

  app.openapi(botsRoute, async (c) =>
    c.json(await listBots(c.var.db, currentObserverId(c), c.req.valid("query"), counters(c.env)), 200),
  );
  app.openapi(botRoute, async (c) =>
    c.json(await getBot(c.var.db, currentObserverId(c), c.req.valid("param").id, counters(c.env)), 200),
  );
  app.openapi(unpairRoute, async (c) => {
    const id = c.req.valid("param").id;
    const out = await unpair(c.var.db, { kind: "owner", ownerId: currentObserverId(c) }, id, requestMeta(c));
    await effects(c, id, out);
    return c.body(null, 204);
  });
  app.openapi(limitsRoute, async (c) => {
    const id = c.req.valid("param").id;
    const { standingChanged, ...limits } = await setOwnerLimits(
      c.var.db,
      currentObserverId(c),
      id,
      c.req.valid("json"),
      requestMeta(c),
    );
    await effects(c, id, { standingChanged });
    return c.json(limits, 200);
  });
  app.openapi(pauseRoute, async (c) => {
    const id = c.req.valid("param").id;
    const reason = (c.req.valid("json") as z.infer<typeof PauseBody> | undefined)?.reason || null;
    const out = await pauseAgent(c.var.db, currentObserverId(c), id, reason, requestMeta(c));
    await effects(c, id, out);
    return c.json({ paused_at: out.paused_at, pause_reason: reason }, 200);
  });
  app.openapi(resumeRoute, async (c) => {
    const id = c.req.valid("param").id;
    const out = await resumeAgent(c.var.db, currentObserverId(c), id, requestMeta(c));
    await effects(c, id, out);
    return c.json({ paused_at: null, pause_reason: null }, 200);
  });
  app.openapi(revokeSessionsRoute, async (c) => {
    const id = c.req.valid("param").id;
    const out = await revokeBotSessions(c.var.db, currentObserverId(c), id, requestMeta(c));
    await effects(c, id, out);
    return c.json({ families_revoked: out.families_revoked, keys_revoked: out.keys_revoked }, 200);
  });
  app.openapi(rotateRoute, async (c) => {
    const id = c.req.valid("param").id;
    const out = await authoriseRotation(
      c.var.db,
      currentObserverId(c),
      id,
      c.req.valid("json").public_key,
      requestMeta(c),
    );
    await effects(c, id, out);
    return c.json({ rotation_pending: true as const, key_fingerprint: out.key_fingerprint }, 202);
  });
  app.openapi(webhookAuthRoute, async (c) => {
    const id = c.req.valid("param").id;
    const out = await setBotWebhookAuth(
      c.var.db,
      currentObserverId(c),
      id,
      c.req.valid("json"),
      c.env.WEBHOOK_AUTH_KEY,
      requestMeta(c),
    );
    return c.json(out ?? { name: "", configured: true as const }, 200);
  });
  app.openapi(clearWebhookAuthRoute, async (c) => {
    await setBotWebhookAuth(c.var.db, currentObserverId(c), c.req.valid("param").id, null, undefined, requestMeta(c));
    return c.body(null, 204);
  });
  app.openapi(auditRoute, async (c) =>
    c.json(await botAudit(c.var.db, currentObserverId(c), c.req.valid("param").id, c.req.valid("query")), 200),
  );
  app.openapi(botKeysRoute, async (c) => {
    const me = currentObserverId(c);
    const id = c.req.valid("param").id;
    await assertOwns(c.var.db, me, id);
    return c.json(await listApiKeys(c.var.db, c.var.actor, id, c.req.valid("query")), 200);
  });
  app.openapi(revokeBotKeyRoute, async (c) => {
    const me = currentObserverId(c);
    const { id, keyId } = c.req.valid("param");
    await assertOwns(c.var.db, me, id);
    await revokeApiKey(c.var.db, c.var.actor, id, keyId, requestMeta(c), "owner_revoked");
    runAfter(
      c,
      "key revocation push",
      pushRevocation(c.env, { scope: "agent", subject: id, families: [keyId], reason: "key_revoked" }),
    );
    return c.body(null, 204);
  });
  return app;
}
