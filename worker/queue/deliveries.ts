// The webhooks queue consumer's work for one message (issue 6). At-least-once and idempotent by delivery
// id: a message whose row is already final (delivered, failed, dead, suppressed) is acknowledged without
// another POST. Every attempt updates the row (status, attempts, last_error, last_status_code,
// updated_at, delivered_at). Retryable failures call message.retry({delaySeconds}) with exponential
// backoff; after the last retry Queues moves the message to the dead-letter queue, whose consumer
// (worker/queue/dlq.ts) marks the row 'dead'. All of it runs as the SYSTEM actor (platform work).
import { eq } from "drizzle-orm";
import { SYSTEM } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { agentConfig, webhookDeliveries } from "../../common/db/schema";
import type { Bindings } from "../../common/env";
import { isUuid } from "../../common/ids";
import { LIMITS } from "../../common/limits";
import type { WakePayload } from "../../protocol";
import { checkWebhookUrl, urlPolicyFrom } from "../services/ssrf";
import { decryptHeaderSecret } from "../services/webhook-auth";
import {
  type AttemptOutcome,
  backoffSeconds,
  buildWakeRequest,
  type DeliveryDeps,
  deliver,
} from "../services/webhooks-delivery";

export const FINAL_STATUSES = ["delivered", "failed", "dead", "suppressed"] as const;

/** The delivery id from a queue message body, or null for anything malformed (acked and logged). */
export function deliveryIdOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const id = (body as { delivery_id?: unknown }).delivery_id;
  return typeof id === "string" && isUuid(id) ? id : null;
}

export type MessageResult =
  | { action: "ack"; reason: string }
  | { action: "retry"; delaySeconds: number; reason: string };

type QueueEnv = Pick<Bindings, "ALLOW_LOOPBACK_WEBHOOKS" | "WEBHOOK_AUTH_KEY">;

/** Decide and perform one delivery attempt; the caller applies the ack/retry to the message. */
export async function processDelivery(
  env: QueueEnv,
  db: Database,
  deliveryId: string,
  queueAttempts: number,
  deps: DeliveryDeps & { random?: () => number } = {},
): Promise<MessageResult> {
  const now = deps.now ?? Date.now;
  const loaded = await withActor(db, SYSTEM, async (tx) => {
    const [row] = await tx
      .select({
        status: webhookDeliveries.status,
        attempts: webhookDeliveries.attempts,
        payload: webhookDeliveries.payload,
        url: agentConfig.webhookUrl,
        secret: agentConfig.webhookSecret,
        agentId: webhookDeliveries.agentId,
        authName: agentConfig.webhookAuthName,
        authSecret: agentConfig.webhookAuthSecret,
      })
      .from(webhookDeliveries)
      .leftJoin(agentConfig, eq(agentConfig.agentId, webhookDeliveries.agentId))
      .where(eq(webhookDeliveries.id, deliveryId));
    return row;
  });
  if (!loaded) return { action: "ack", reason: "no such delivery" };
  if ((FINAL_STATUSES as readonly string[]).includes(loaded.status)) {
    return { action: "ack", reason: `already ${loaded.status}` };
  }

  let outcome: AttemptOutcome;
  const check = loaded.url ? checkWebhookUrl(loaded.url, urlPolicyFrom(env)) : null;
  if (!loaded.url || !loaded.secret) {
    outcome = { kind: "failed", statusCode: null, error: "the agent removed its webhook" };
  } else if (check && !check.ok) {
    outcome = { kind: "failed", statusCode: null, error: `webhook URL refused: ${check.reason}` };
  } else {
    // issue 19: the extra auth header, decrypted only here, only for this request
    let extra: { name: string; value: string } | null | "undecryptable" = null;
    if (loaded.authName && loaded.authSecret) {
      const value = await decryptHeaderSecret(env.WEBHOOK_AUTH_KEY, loaded.agentId, loaded.authSecret);
      extra = value === null ? "undecryptable" : { name: loaded.authName, value };
    }
    if (extra === "undecryptable") {
      outcome = {
        kind: "failed",
        statusCode: null,
        error: "the webhook auth header cannot be decrypted (the server key changed): set it again",
      };
    } else {
      const req = await buildWakeRequest(
        loaded.url,
        loaded.secret,
        loaded.payload as WakePayload,
        Math.floor(now() / 1000),
        extra,
      );
      outcome = await deliver(req, deps);
    }
  }

  const lastRetry = queueAttempts > LIMITS.webhookMaxRetries;
  const at = new Date(now());
  await withActor(db, SYSTEM, (tx) =>
    tx
      .update(webhookDeliveries)
      .set({
        status: outcome.kind === "delivered" ? "delivered" : outcome.kind === "failed" ? "failed" : "retrying",
        attempts: loaded.attempts + 1,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.kind === "delivered" ? null : outcome.error,
        updatedAt: at,
        deliveredAt: outcome.kind === "delivered" ? at : null,
      })
      .where(eq(webhookDeliveries.id, deliveryId)),
  );
  if (outcome.kind !== "retry") return { action: "ack", reason: outcome.kind };
  // On the last attempt retry() hands the message to the dead-letter queue (wrangler.toml max_retries);
  // the delay is irrelevant there but harmless.
  return {
    action: "retry",
    delaySeconds: backoffSeconds(queueAttempts, outcome.retryAfterSeconds, deps.random),
    reason: lastRetry ? `${outcome.error} (retries exhausted: dead-letter)` : outcome.error,
  };
}

/** Dead-letter consumer: the message exhausted its retries; the row becomes 'dead' unless already final. */
export async function markDead(db: Database, deliveryId: string, now: Date = new Date()): Promise<boolean> {
  const rows = await withActor(db, SYSTEM, async (tx) => {
    const [row] = await tx
      .select({ status: webhookDeliveries.status })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.id, deliveryId))
      .for("update");
    if (!row || (FINAL_STATUSES as readonly string[]).includes(row.status)) return 0;
    await tx
      .update(webhookDeliveries)
      .set({ status: "dead", updatedAt: now })
      .where(eq(webhookDeliveries.id, deliveryId));
    return 1;
  });
  return rows > 0;
}
