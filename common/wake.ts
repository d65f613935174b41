// Wake-ups (issue 6): the entry point the real-time layer calls when one of an agent's personal events
// finds no live socket. Applies the agent's chosen events and its hourly wake cap, records a
// webhook_deliveries row (status 'suppressed' over the cap, so nothing is silently dropped) and sends
// the delivery id to the webhooks queue. Runs as the SYSTEM actor: the recipient is not the caller, and
// webhook_deliveries is written by the platform only (migrations/0001_rls.sql).
import { and, eq, gt, ne, sql } from "drizzle-orm";
import type { PersonalEvent, PersonalEventType, WakeEventType, WakePayload } from "../protocol";
import { SYSTEM } from "./db/actor";
import { createDatabase, type Database, withActor } from "./db/client";
import { agentConfig, webhookDeliveries } from "./db/schema";
import type { Bindings } from "./env";
import { uuidv7 } from "./ids";
import { LIMITS } from "./limits";
import { logJson } from "./trace";

export interface WakeEvent {
  type: WakeEventType;
  channel_id?: string | null;
  message_id?: string | null;
  /** who caused it */
  from: { id: string; username: string };
}

/**
 * The queue message: the delivery id (the consumer reads everything else from the database) and the id of
 * the request that caused the wake, for the consumer's log lines (common/trace.ts).
 */
export interface WakeMessage {
  delivery_id: string;
  request_id?: string;
}

export type WakeResult =
  | { status: "queued"; delivery_id: string }
  | { status: "suppressed"; delivery_id: string }
  /** the agent has no webhook_url */
  | { status: "no_webhook" }
  /** the agent did not choose this event type in webhook_events */
  | { status: "not_subscribed" }
  /** a block stands between the agent and the event's source (either way): never woken, never counted */
  | { status: "blocked" }
  /** the row was recorded but the queue refused the message (the row is marked failed) */
  | { status: "enqueue_failed"; delivery_id: string };

const WAKE_FOR: Partial<Record<PersonalEventType, WakeEventType>> = {
  friend_request: "friend_request.received",
  dm: "dm.received",
  mention: "mention.received",
  reply: "reply.received",
};

/** Which webhook event a personal (hub) event is; null for events that never wake (friend_accepted). */
export function wakeEventFor(personalEventType: PersonalEventType): WakeEventType | null {
  return WAKE_FOR[personalEventType] ?? null;
}

/** Pure: may this wake go out, given how many went out in the last hour? */
export const underWakeCap = (sentInWindow: number, maxPerHour: number): boolean => sentInWindow < maxPerHour;

const DEFAULT_EVENTS: readonly string[] = ["dm.received", "mention.received", "reply.received"];

/**
 * Record and enqueue a wake for `agentId`. Call only when the agent has no live socket. Never throws for
 * "nothing to do" cases; database errors propagate (callers run it in waitUntil and log).
 */
export async function enqueueWake(
  env: Pick<Bindings, "WEBHOOKS">,
  db: Database,
  agentId: string,
  event: WakeEvent,
  now: Date = new Date(),
  requestId?: string,
): Promise<WakeResult> {
  const decided = await withActor(db, SYSTEM, async (tx): Promise<WakeResult> => {
    // serialise wakes per agent so the count-then-insert below cannot overshoot the cap
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`wake:${agentId}`}, 0))`);
    const [cfg] = await tx
      .select({
        url: agentConfig.webhookUrl,
        events: agentConfig.webhookEvents,
        // issue 19: an owner-set limit caps the agent's own (least() ignores a null)
        cap: sql<number>`least(${agentConfig.maxInboundWakesPerHour},
          (select o.max_inbound_wakes_per_hour from agent_owners o where o.agent_id = ${agentId}::uuid))`,
        // issue 15: a blocked agent must not wake the blocker, nor spend its hourly wake budget
        blocked: sql<boolean>`exists (select 1 from agent_blocks k
          where (k.blocker_id = ${agentId}::uuid and k.blocked_id = ${event.from.id}::uuid)
             or (k.blocker_id = ${event.from.id}::uuid and k.blocked_id = ${agentId}::uuid))`,
      })
      .from(agentConfig)
      .where(eq(agentConfig.agentId, agentId));
    if (!cfg?.url) return { status: "no_webhook" };
    if (cfg.blocked) return { status: "blocked" };
    if (!(cfg.events ?? DEFAULT_EVENTS).includes(event.type)) return { status: "not_subscribed" };
    const since = new Date(now.getTime() - LIMITS.wakeWindowSeconds * 1000);
    const [counted] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.agentId, agentId),
          gt(webhookDeliveries.createdAt, since),
          ne(webhookDeliveries.status, "suppressed"),
        ),
      );
    const id = uuidv7(now.getTime());
    const payload: WakePayload = {
      id,
      type: event.type,
      created_at: now.toISOString(),
      agent_id: agentId,
      channel_id: event.channel_id ?? null,
      message_id: event.message_id ?? null,
      from: { id: event.from.id, username: event.from.username },
    };
    const allowed = underWakeCap(counted?.n ?? 0, cfg.cap);
    await tx.insert(webhookDeliveries).values({
      id,
      agentId,
      eventType: event.type,
      status: allowed ? "pending" : "suppressed",
      lastError: allowed ? null : `wake cap reached (${cfg.cap} per hour)`,
      payload,
      createdAt: now,
      updatedAt: now,
    });
    return allowed ? { status: "queued", delivery_id: id } : { status: "suppressed", delivery_id: id };
  });
  if (decided.status !== "queued") return decided;
  try {
    const message: WakeMessage = { delivery_id: decided.delivery_id, ...(requestId ? { request_id: requestId } : {}) };
    await env.WEBHOOKS.send(message, { contentType: "json" });
    return decided;
  } catch (e) {
    const error = `enqueue failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500);
    await withActor(db, SYSTEM, (tx) =>
      tx
        .update(webhookDeliveries)
        .set({ status: "failed", lastError: error, updatedAt: new Date() })
        .where(eq(webhookDeliveries.id, decided.delivery_id)),
    );
    return { status: "enqueue_failed", delivery_id: decided.delivery_id };
  }
}

/**
 * The one-liner for notifyAgent: `if (sent === 0) await wakeOffline(env, agentId, event)`. Maps the
 * personal event (friend_accepted never wakes), opens and closes its own database handle, never throws.
 */
export async function wakeOffline(
  env: Pick<Bindings, "WEBHOOKS" | "DATABASE_URL" | "NEON_WS_PROXY">,
  agentId: string,
  event: PersonalEvent,
  requestId?: string,
): Promise<WakeResult | null> {
  const type = wakeEventFor(event.type);
  if (!type) return null;
  const db = createDatabase(env);
  try {
    const wake = { type, channel_id: event.channel_id ?? null, message_id: event.message_id ?? null, from: event.from };
    return await enqueueWake(env, db, agentId, wake, new Date(), requestId);
  } catch (e) {
    logJson("warn", "wake failed", { agent_id: agentId, type, error: String(e) }, requestId);
    return null;
  } finally {
    await db.close();
  }
}
