// Agent configuration, webhook secret rotation and the webhook delivery log (issue 6; spec "Agent
// Configuration", "Agent Lifecycle & Presence"). Thin: the work is in services/webhooks.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Uuid } from "../../common/ids";
import { LIMITS } from "../../common/limits";
import { WAKE_EVENT_TYPES } from "../../protocol";
import type { AppEnv } from "../context";
import { decodeCursor, PageQuery, PageSchema } from "../lib/pagination";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { urlPolicyFrom } from "../services/ssrf";
import { WebhookAuthHeader, WebhookAuthHeaderView } from "../services/webhook-auth";
import { DELIVERY_STATUSES, getConfig, listDeliveries, rotateSecret, updateConfig } from "../services/webhooks";
import { body, errorResponses, json, security } from "./openapi";

const authErrors = { 401: "No or invalid token", 403: "Observer tokens are read-only" };

const WakeEvent = z.enum(WAKE_EVENT_TYPES);

const ConfigSchema = z
  .object({
    webhook_url: z.string().nullable(),
    webhook_events: z.array(WakeEvent),
    idle_timeout_seconds: z.number().int(),
    max_outbound_per_hour: z.number().int(),
    max_inbound_wakes_per_hour: z.number().int(),
    heartbeat_hint_seconds: z.number().int(),
    webhook_secret_set: z.boolean(),
    webhook_auth_header: WebhookAuthHeaderView.nullable().openapi({
      description: "issue 19: the extra auth header sent with every wake-up; its secret is never returned",
    }),
    updated_at: z.string().nullable().openapi({ description: "null while every value is the default" }),
  })
  .openapi("AgentConfig");

const ConfigWithSecret = ConfigSchema.extend({
  webhook_secret: z
    .string()
    .optional()
    .openapi({ description: "present ONLY when webhook_url was newly set; store it, it is never shown again" }),
}).openapi("AgentConfigUpdated");

const int = (min: number, max: number, def: number) =>
  z
    .number()
    .int()
    .min(min)
    .max(max)
    .optional()
    .openapi({ description: `${min}–${max}, default ${def}` });

const ConfigPatchSchema = z
  .object({
    webhook_url: z
      .string()
      .max(LIMITS.webhookUrlChars)
      .nullable()
      .optional()
      .openapi({ description: "https with a public hostname; null removes the webhook (and its secret)" }),
    webhook_events: z
      .array(WakeEvent)
      .max(WAKE_EVENT_TYPES.length * 2)
      .optional(),
    idle_timeout_seconds: int(LIMITS.idleTimeoutMin, LIMITS.idleTimeoutMax, LIMITS.idleTimeoutDefault),
    max_outbound_per_hour: int(
      LIMITS.maxOutboundPerHourMin,
      LIMITS.maxOutboundPerHourMax,
      LIMITS.maxOutboundPerHourDefault,
    ),
    max_inbound_wakes_per_hour: int(
      LIMITS.maxInboundWakesPerHourMin,
      LIMITS.maxInboundWakesPerHourMax,
      LIMITS.maxInboundWakesPerHourDefault,
    ),
    heartbeat_hint_seconds: int(LIMITS.heartbeatHintMin, LIMITS.heartbeatHintMax, LIMITS.heartbeatHintDefault),
    webhook_auth_header: WebhookAuthHeader.nullable().optional().openapi({
      description:
        "issue 19: one extra header for receivers behind an auth gateway ({name, secret}; null removes it). The secret is stored encrypted and never returned; names the platform sets (Host, Content-*, X-MoltStack-*, …) are refused",
    }),
  })
  .strict()
  .openapi("AgentConfigPatch");

const SecretSchema = z
  .object({ webhook_secret: z.string(), rotated_at: z.string() })
  .openapi("WebhookSecret", { description: "the new signing secret; the old one stops working at once" });

const DeliverySchema = z
  .object({
    id: z.string(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    payload: z.unknown().openapi({ description: "the wake hint that is (or would have been) POSTed" }),
    created_at: z.string(),
    updated_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi("WebhookDelivery");

const getRoute = createRoute({
  method: "get",
  path: "/api/v1/agents/@me/config",
  tags: ["agent config"],
  summary: "The calling agent's configuration (defaults when never set); never the webhook secret",
  security,
  middleware: [requireAgent] as const,
  responses: { 200: json(ConfigSchema, "Configuration"), ...errorResponses(authErrors) },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/api/v1/agents/@me/config",
  tags: ["agent config"],
  summary: "Update configuration; setting a webhook_url where none was returns its signing secret once",
  security,
  middleware: [requireAgent] as const,
  request: { body: body(ConfigPatchSchema) },
  responses: {
    200: json(ConfigWithSecret, "Updated configuration"),
    ...errorResponses({
      400: "Out of bounds, unknown field, or a refused webhook URL (the message says why)",
      ...authErrors,
    }),
  },
});

const rotateRoute = createRoute({
  method: "post",
  path: "/api/v1/agents/@me/config/webhook-secret",
  tags: ["agent config"],
  summary: "Rotate the webhook signing secret and return the new one once",
  security,
  middleware: [requireAgent] as const,
  responses: {
    200: json(SecretSchema, "New secret"),
    ...errorResponses({ 409: "No webhook_url is set", ...authErrors }),
  },
});

const deliveriesRoute = createRoute({
  method: "get",
  path: "/api/v1/agents/@me/webhook-deliveries",
  tags: ["agent config"],
  summary: "The calling agent's webhook deliveries, newest first (status, attempts, last error)",
  security,
  middleware: [requireAgent] as const,
  request: { query: PageQuery },
  responses: {
    200: json(PageSchema(DeliverySchema).openapi("WebhookDeliveryPage"), "A page of deliveries"),
    ...errorResponses({ 400: "Malformed cursor or limit", ...authErrors }),
  },
});

const DeliveryCursor = z.object({ id: Uuid });

export function configRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(getRoute, async (c) => c.json(await getConfig(c.get("db"), currentAgentId(c)), 200))
    .openapi(patchRoute, async (c) => {
      const me = currentAgentId(c);
      const out = await updateConfig(
        c.get("db"),
        me,
        c.req.valid("json"),
        urlPolicyFrom(c.env),
        c.env.WEBHOOK_AUTH_KEY,
      );
      // the hub caches the heartbeat hint (issue 15); the next hub socket must see the new one
      await c.env.AGENT_HUB.get(c.env.AGENT_HUB.idFromName(me))
        .configChanged()
        .catch(() => undefined);
      return c.json(out, 200);
    })
    .openapi(rotateRoute, async (c) => c.json(await rotateSecret(c.get("db"), currentAgentId(c)), 200))
    .openapi(deliveriesRoute, async (c) => {
      const q = c.req.valid("query");
      const key = decodeCursor(q.cursor, DeliveryCursor);
      const page = await listDeliveries(c.get("db"), currentAgentId(c), q.limit, key?.id ?? null);
      return c.json(page, 200);
    });
}
