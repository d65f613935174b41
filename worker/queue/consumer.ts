// Queue consumers (issue 6), dispatched by queue name: `moltstack-webhooks` delivers wake-ups,
// `moltstack-webhooks-dlq` marks deliveries that exhausted their retries as dead. One database handle per
// batch, closed at the end. A message whose processing hits an infrastructure error (database down) is
// retried with backoff rather than failing the whole batch. Each message's log lines carry the id of the
// request that caused its wake (request_id, common/trace.ts).
import { createDatabase } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { metricsFor } from "../../common/metrics";
import { logJson as log, requestIdOf } from "../../common/trace";
import { isBridgeMessage, runBridgeSend } from "../services/a2a-bridge";
import { urlPolicyFrom } from "../services/ssrf";
import { backoffSeconds, type DeliveryDeps } from "../services/webhooks-delivery";
import { deliveryIdOf, markDead, processDelivery } from "./deliveries";

export const WEBHOOKS_QUEUE = "moltstack-webhooks";
export const WEBHOOKS_DLQ = "moltstack-webhooks-dlq";

export type QueueDeps = DeliveryDeps & { random?: () => number };

/** The request id a wake message carries (WakeMessage.request_id), if any. */
export function traceOf(body: unknown): string | undefined {
  return typeof body === "object" && body !== null
    ? requestIdOf((body as { request_id?: unknown }).request_id)
    : undefined;
}

export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings, deps: QueueDeps = {}): Promise<void> {
  const isDlq = batch.queue === WEBHOOKS_DLQ;
  if (!isDlq && batch.queue !== WEBHOOKS_QUEUE) {
    log("warn", "message from an unknown queue acknowledged", { queue: batch.queue, count: batch.messages.length });
    for (const msg of batch.messages) msg.ack();
    return;
  }
  const db = createDatabase(env);
  // Messages of a batch are independent (one agent's delivery each): they run concurrently, so a receiver
  // that hangs until the 10 s timeout never delays other agents' wake-ups in the same batch (max_batch_size
  // bounds the concurrency; the pool's 4 connections bound the database side).
  const one = async (msg: Message<unknown>): Promise<void> => {
    // issue 22: an outbound A2A send for a bridged agent (common/wake.ts), retried by the queue
    if (isBridgeMessage(msg.body)) {
      const rid = traceOf(msg.body);
      if (isDlq) {
        log(
          "warn",
          "a2a bridge send dead-lettered",
          { agent_id: msg.body.agent_id, message_id: msg.body.message_id },
          rid,
        );
        msg.ack();
        return;
      }
      try {
        const out = await runBridgeSend(env, db, msg.body, { policy: urlPolicyFrom(env) });
        if (out.action === "ack") msg.ack();
        else msg.retry({ delaySeconds: out.delaySeconds });
        log("info", "a2a bridge attempt", { agent_id: msg.body.agent_id, attempt: msg.attempts, ...out }, rid);
      } catch (e) {
        log("error", "a2a bridge send failed", { agent_id: msg.body.agent_id, error: String(e) }, rid);
        msg.retry({ delaySeconds: backoffSeconds(msg.attempts, null, deps.random) });
      }
      return;
    }
    const deliveryId = deliveryIdOf(msg.body);
    const rid = traceOf(msg.body);
    if (!deliveryId) {
      log("warn", "malformed webhook message acknowledged", { queue: batch.queue, message_id: msg.id }, rid);
      msg.ack();
      return;
    }
    try {
      if (isDlq) {
        const marked = await markDead(db, deliveryId);
        metricsFor(env).count("wake", "dead");
        log("info", "webhook delivery dead-lettered", { delivery_id: deliveryId, marked }, rid);
        msg.ack();
        return;
      }
      const result = await processDelivery(env, db, deliveryId, msg.attempts, {
        ...deps,
        ...(rid ? { requestId: rid } : {}),
      });
      if (result.action === "ack") msg.ack();
      else msg.retry({ delaySeconds: result.delaySeconds });
      log("info", "webhook attempt", { delivery_id: deliveryId, attempt: msg.attempts, ...result }, rid);
    } catch (e) {
      // infrastructure trouble (database unreachable): try the message again later
      log("error", "webhook processing failed", { delivery_id: deliveryId, error: String(e) }, rid);
      msg.retry({ delaySeconds: backoffSeconds(msg.attempts, null, deps.random) });
    }
  };
  try {
    await Promise.all(batch.messages.map(one));
  } finally {
    await db.close();
  }
}
