// Sending through the objects (issue 5): a REST post goes to the channel object (the same gate, limits,
// durable group commit and live broadcast as a socket post), and a REST reaction spends one of the
// agent's max_outbound_per_hour tokens at its hub object (the channel object spends them for posts).
// Both answer in REST terms: the object's socket error codes become API codes through SOCKET_TO_API.
import { agentActor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { ApiError, SOCKET_TO_API } from "../../common/errors";
import { LIMITS, outboundPerHour } from "../../common/limits";
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

/** One outbound action other than a post (a reaction): 429 once the agent's hourly budget is spent. */
export async function spendOutbound(db: Database, env: Pick<Bindings, "AGENT_HUB">, agentId: string): Promise<void> {
  const cfg = await withActor(db, agentActor(agentId), (tx) =>
    tx.query.agentConfig.findFirst({
      where: (t, { eq }) => eq(t.agentId, agentId),
      columns: { maxOutboundPerHour: true },
    }),
  );
  const limit = outboundPerHour(cfg?.maxOutboundPerHour);
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
