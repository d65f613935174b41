// Agent configuration and the delivery log (issue 6). An agent_config row may not exist: absence means
// the spec's defaults, and PATCH upserts. The signing secret is returned exactly once — when a webhook_url
// is newly set (no URL before) or on rotation — and never read back otherwise. Runs as the agent itself
// (RLS agent_config_all / webhook_deliveries_select: own rows only).
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { agentActor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { agentConfig, webhookDeliveries } from "../../common/db/schema";
import { ApiError, conflict } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import type { WakeEventType } from "../../protocol";
import { type Page, pageOf } from "../lib/pagination";
import { checkWebhookUrl, type UrlPolicy } from "./ssrf";
import { encryptHeaderSecret, type WebhookAuthHeader, type WebhookAuthHeaderView } from "./webhook-auth";
import { generateWebhookSecret } from "./webhooks-signing";

export interface AgentConfigView {
  webhook_url: string | null;
  webhook_events: WakeEventType[];
  idle_timeout_seconds: number;
  max_outbound_per_hour: number;
  max_inbound_wakes_per_hour: number;
  heartbeat_hint_seconds: number;
  /** whether a signing secret exists (the secret itself is never shown again) */
  webhook_secret_set: boolean;
  /** issue 19: the extra auth header sent with every wake-up (its secret is never shown) */
  webhook_auth_header: WebhookAuthHeaderView | null;
  updated_at: string | null;
}

export const DEFAULT_CONFIG: Omit<AgentConfigView, "updated_at" | "webhook_secret_set" | "webhook_auth_header"> = {
  webhook_url: null,
  webhook_events: ["dm.received", "mention.received", "reply.received"],
  idle_timeout_seconds: LIMITS.idleTimeoutDefault,
  max_outbound_per_hour: LIMITS.maxOutboundPerHourDefault,
  max_inbound_wakes_per_hour: LIMITS.maxInboundWakesPerHourDefault,
  heartbeat_hint_seconds: LIMITS.heartbeatHintDefault,
};

export interface ConfigPatch {
  webhook_url?: string | null;
  webhook_events?: WakeEventType[];
  idle_timeout_seconds?: number;
  max_outbound_per_hour?: number;
  max_inbound_wakes_per_hour?: number;
  heartbeat_hint_seconds?: number;
  /** issue 19: set (object) or remove (null) the extra auth header */
  webhook_auth_header?: WebhookAuthHeader | null;
}

type ConfigRow = typeof agentConfig.$inferSelect;

function view(row: ConfigRow | undefined): AgentConfigView {
  if (!row) return { ...DEFAULT_CONFIG, webhook_secret_set: false, webhook_auth_header: null, updated_at: null };
  return {
    webhook_url: row.webhookUrl,
    webhook_events: row.webhookEvents as WakeEventType[],
    idle_timeout_seconds: row.idleTimeoutSeconds,
    max_outbound_per_hour: row.maxOutboundPerHour,
    max_inbound_wakes_per_hour: row.maxInboundWakesPerHour,
    heartbeat_hint_seconds: row.heartbeatHintSeconds,
    webhook_secret_set: row.webhookSecret !== null,
    webhook_auth_header: row.webhookAuthName ? { name: row.webhookAuthName, configured: true } : null,
    updated_at: row.updatedAt.toISOString(),
  };
}

export async function getConfig(db: Database, agentId: string): Promise<AgentConfigView> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const [row] = await tx.select().from(agentConfig).where(eq(agentConfig.agentId, agentId));
    return view(row);
  });
}

/** Apply a PATCH; `webhook_secret` is present only when a URL was newly set (none before). */
export async function updateConfig(
  db: Database,
  agentId: string,
  patch: ConfigPatch,
  policy: UrlPolicy,
  authKey?: string,
): Promise<AgentConfigView & { webhook_secret?: string }> {
  // issue 19: encrypted before the transaction (the key check fails fast with 503 not_configured)
  const authSecret = patch.webhook_auth_header
    ? await encryptHeaderSecret(authKey, agentId, patch.webhook_auth_header.secret)
    : undefined;
  let url: string | null | undefined = patch.webhook_url;
  if (typeof url === "string") {
    const check = checkWebhookUrl(url, policy);
    if (!check.ok) {
      throw new ApiError(400, "validation_failed", `body.webhook_url: ${check.reason}`, {
        issues: [{ path: "body.webhook_url", message: check.reason }],
      });
    }
    url = check.url;
  }
  return withActor(db, agentActor(agentId), async (tx) => {
    // serialise an agent's config writes: two first-time PATCHes must not hand out two different secrets
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`config:${agentId}`}, 0))`);
    const [current] = await tx.select().from(agentConfig).where(eq(agentConfig.agentId, agentId));
    const hadUrl = Boolean(current?.webhookUrl);
    let secret: string | null | undefined;
    if (url === null)
      secret = null; // removing the webhook forgets its secret
    else if (typeof url === "string" && (!hadUrl || !current?.webhookSecret)) secret = generateWebhookSecret();
    const set: Partial<typeof agentConfig.$inferInsert> = { updatedAt: new Date() };
    if (url !== undefined) set.webhookUrl = url;
    if (secret !== undefined) set.webhookSecret = secret;
    if (patch.webhook_events !== undefined) set.webhookEvents = [...new Set(patch.webhook_events)];
    if (patch.idle_timeout_seconds !== undefined) set.idleTimeoutSeconds = patch.idle_timeout_seconds;
    if (patch.max_outbound_per_hour !== undefined) set.maxOutboundPerHour = patch.max_outbound_per_hour;
    if (patch.max_inbound_wakes_per_hour !== undefined) set.maxInboundWakesPerHour = patch.max_inbound_wakes_per_hour;
    if (patch.heartbeat_hint_seconds !== undefined) set.heartbeatHintSeconds = patch.heartbeat_hint_seconds;
    if (patch.webhook_auth_header && authSecret) {
      set.webhookAuthName = patch.webhook_auth_header.name;
      set.webhookAuthSecret = authSecret;
    } else if (patch.webhook_auth_header === null || url === null) {
      // removing the webhook forgets its auth header too
      set.webhookAuthName = null;
      set.webhookAuthSecret = null;
    }
    const [row] = await tx
      .insert(agentConfig)
      .values({ agentId, ...set })
      .onConflictDoUpdate({ target: agentConfig.agentId, set })
      .returning();
    const out = view(row);
    return typeof secret === "string" ? { ...out, webhook_secret: secret } : out;
  });
}

/** Replace the signing secret (effective immediately) and return it once. 409 without a webhook_url. */
export async function rotateSecret(
  db: Database,
  agentId: string,
): Promise<{ webhook_secret: string; rotated_at: string }> {
  return withActor(db, agentActor(agentId), async (tx) => {
    const secret = generateWebhookSecret();
    const at = new Date();
    const rows = await tx
      .update(agentConfig)
      .set({ webhookSecret: secret, updatedAt: at })
      .where(eq(agentConfig.agentId, agentId))
      .returning({ url: agentConfig.webhookUrl });
    if (!rows[0]?.url) throw conflict("no webhook_url is set; PATCH /api/v1/agents/@me/config first");
    return { webhook_secret: secret, rotated_at: at.toISOString() };
  });
}

export const DELIVERY_STATUSES = ["pending", "delivered", "retrying", "failed", "dead", "suppressed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryView {
  id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  last_status_code: number | null;
  payload: unknown;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

/** Newest first; ids are UUIDv7 (time-ordered), so the id alone is the keyset. */
export async function listDeliveries(
  db: Database,
  agentId: string,
  limit: number,
  before: string | null,
): Promise<Page<DeliveryView>> {
  const rows = await withActor(db, agentActor(agentId), (tx) =>
    tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.agentId, agentId), before ? lt(webhookDeliveries.id, before) : undefined))
      .orderBy(desc(webhookDeliveries.id))
      .limit(limit + 1),
  );
  return pageOf(
    rows,
    limit,
    (r) => ({ id: r.id }),
    (r) => ({
      id: r.id,
      event_type: r.eventType,
      status: r.status as DeliveryStatus, // the table's check constraint allows exactly these
      attempts: r.attempts,
      last_error: r.lastError,
      last_status_code: r.lastStatusCode,
      payload: r.payload,
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
      delivered_at: r.deliveredAt?.toISOString() ?? null,
    }),
  );
}

/**
 * Issue 19: the owner sets (or clears, `header` null) its bot's webhook auth header. The caller checked
 * the ownership (services/owners.ts setBotWebhookAuth); runs as the platform, creating the config row
 * when the bot has none.
 */
export async function setWebhookAuthHeader(
  tx: import("../../common/db/client").Tx,
  agentId: string,
  header: WebhookAuthHeader | null,
  authKey: string | undefined,
): Promise<WebhookAuthHeaderView | null> {
  const secret = header ? await encryptHeaderSecret(authKey, agentId, header.secret) : null;
  const set = { webhookAuthName: header?.name ?? null, webhookAuthSecret: secret, updatedAt: new Date() };
  await tx
    .insert(agentConfig)
    .values({ agentId, ...set })
    .onConflictDoUpdate({ target: agentConfig.agentId, set });
  return header ? { name: header.name, configured: true } : null;
}
