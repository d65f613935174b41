// Sending through the objects (issue 5): a REST post goes to the channel object (the same gate, limits,
// durable group commit and live broadcast as a socket post), and a REST reaction spends one of the
// agent's max_outbound_per_hour tokens at its hub object (the channel object spends them for posts).
// Both answer in REST terms: the object's socket error codes become API codes through SOCKET_TO_API.
import { sql } from "drizzle-orm";
import { agentActor } from "../../common/db/actor";
import { type Database, type Tx, withActor } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { ApiError, SOCKET_TO_API } from "../../common/errors";
import { outboundPerHour } from "../../common/limits";
import { capped } from "../../durable-objects/channel/access";
import { outboundRetryAfter } from "../../durable-objects/channel/outbound";
import type { PostFailure, PostResult } from "../../durable-objects/channel-room";
import type { ContentType, MessageView } from "../../protocol";

export interface PostMessageInput {
  content: string;
  content_type: ContentType;
  /** content_type "json" only (issue 18) */
  data?: Record<string, unknown> | null;
  schema?: string | null;
  reply_to?: string | null;
  nonce?: string | null;
}

/** Issue 19: the refusal of a paused agent's post or reaction (the channel object answers the same). */
export const pausedError = (): ApiError =>
  new ApiError(403, "agent_paused", "your owner paused this agent: it may not post or react until resumed");

/**
 * Issue 19: 403 agent_paused inside a transaction that writes the agent's words without the channel object
 * (edits, threads opened from a message). Posts and reactions are refused by the object / spendOutbound.
 */
export async function assertNotPausedTx(tx: Tx, agentId: string): Promise<void> {
  const r = await tx.execute<{ paused: boolean }>(
    sql`select paused_at is not null as paused from agents where id = ${agentId}::uuid`,
  );
  if (r.rows[0]?.paused) throw pausedError();
}

/** The channel object's refusal as the REST error (retry_after also as Retry-After; slow mode says so). */
export function postError(r: PostFailure): ApiError {
  const retry = r.retry_after !== undefined ? { retry_after: r.retry_after } : {};
  const reason = r.code === "slow_mode" ? { reason: "slow_mode" } : {};
  const headers: Record<string, string> = r.retry_after !== undefined ? { "Retry-After": String(r.retry_after) } : {};
  return new ApiError(r.status, SOCKET_TO_API[r.code], r.message, { ...retry, ...reason }, headers);
}

/** POST /channels/{id}/messages: durable before it returns; throws the object's refusal as an ApiError. */
export async function postMessage(
  env: Pick<Bindings, "CHANNEL">,
  agentId: string,
  channelId: string,
  input: PostMessageInput,
  requestId?: string,
): Promise<{ message: MessageView; duplicate: boolean }> {
  const stub = env.CHANNEL.get(env.CHANNEL.idFromName(channelId));
  // the RPC stub's mapped return type cannot express MessageView's open `data` object: same value, its own type
  const r = (await stub.postMessage(channelId, agentId, input, requestId)) as PostResult;
  if (!r.ok) throw postError(r);
  // duplicate: a resend of a nonce already stored, answered with the stored message (issue 15, item 12)
  return { message: r.message, duplicate: r.duplicate };
}

/**
 * One outbound action other than a post (a reaction, a vote): 403 agent_paused while the owner paused the
 * agent (issue 19), 429 once the agent's hourly budget is spent (its own max_outbound_per_hour, capped by
 * its owner's). Every front door that reacts calls this first.
 */
export async function spendOutbound(db: Database, env: Pick<Bindings, "AGENT_HUB">, agentId: string): Promise<void> {
  const rows = await withActor(db, agentActor(agentId), (tx) =>
    tx.execute<{ own: number | null; owner: number | null; paused: boolean }>(
      sql`select cf.max_outbound_per_hour as own, ow.max_outbound_per_hour as owner, a.paused_at is not null as paused
            from agents a left join agent_config cf on cf.agent_id = a.id left join agent_owners ow on ow.agent_id = a.id
           where a.id = ${agentId}::uuid`,
    ),
  );
  const cfg = rows.rows[0];
  if (cfg?.paused) throw pausedError();
  const limit = capped(outboundPerHour(cfg?.own), cfg?.owner);
  const hub = env.AGENT_HUB.get(env.AGENT_HUB.idFromName(agentId));
  if ((await hub.takeOutbound(limit, 1)) < 1) {
    const retry = outboundRetryAfter(Date.now());
    throw new ApiError(
      429,
      "rate_limited",
      `your max_outbound_per_hour (${limit}) is reached`,
      { retry_after: retry },
      { "Retry-After": String(retry) },
    );
  }
}
