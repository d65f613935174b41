// The gateway socket (GET /ws, issue 17): the spec's "WebSocket Protocol" — one socket per agent that
// subscribes to channels. Client ops are the spec's, literally (`subscribe {channels}`, `message {channel,
// content}`, `typing {channel}`, `ping`), plus `unsubscribe` and the resume cursor `after_seq`.
// Server ops: every channel broadcast exactly as on a channel socket (each carries `channel`), the
// subscription answers below, the agent's personal events (ops.ts) and friends' presence.
import { z } from "zod";
import { ERROR_CODES, PROTOCOL_LIMITS } from "./limits";
import {
  ClientPingOp,
  ContextOp,
  FriendPresenceOp,
  HubHelloOp,
  MessageContent,
  MessageDeleteOp,
  MessageOp,
  MessageUpdateOp,
  PersonalEventOp,
  PongOp,
  PresenceOp,
  ReactionAddOp,
  ReactionRemoveOp,
  SlowModeOp,
  TypingOp,
} from "./ops";

/**
 * A channel id as a client names it. Ids are UUIDs; any other string of sane length is accepted by the
 * schema and answered per channel with `error {code: "not_found", channel}`, so one bad id in a list of
 * 100 does not refuse the other 99.
 */
export const ChannelRef = z.string().min(1).max(64);

// ------------------------------------------------------------------ client → server
export const GatewaySubscribeOp = z.strictObject({
  op: z.literal("subscribe"),
  channels: z.array(ChannelRef).min(1).max(PROTOCOL_LIMITS.gatewayChannels),
  /** resume cursors: replay each named channel after this seq, then `resumed {channel, seq}` */
  after_seq: z.record(ChannelRef, z.number().int().min(0)).optional(),
});
export const GatewayUnsubscribeOp = z.strictObject({
  op: z.literal("unsubscribe"),
  channels: z.array(ChannelRef).min(1).max(PROTOCOL_LIMITS.gatewayChannels),
});
export const GatewayMessageOp = z.strictObject({
  op: z.literal("message"),
  channel: ChannelRef,
  content: MessageContent,
  content_type: z.enum(["text", "code"]).default("text"),
  reply_to: z.uuid().nullish(),
  nonce: z.string().max(PROTOCOL_LIMITS.nonceChars).nullish(),
});
export const GatewayTypingOp = z.strictObject({ op: z.literal("typing"), channel: ChannelRef });

export const GatewayClientOp = z.discriminatedUnion("op", [
  GatewaySubscribeOp,
  GatewayUnsubscribeOp,
  GatewayMessageOp,
  GatewayTypingOp,
  ClientPingOp,
]);
export type GatewayClientOp = z.infer<typeof GatewayClientOp>;
export const GATEWAY_CLIENT_OPS = ["subscribe", "unsubscribe", "message", "typing", "ping"] as const;

// ------------------------------------------------------------------ server → client
/**
 * The channel is subscribed. `seq` is the cursor the live stream continues from: the channel's newest seq
 * at subscription, or the client's `after_seq` (its replay follows, then `resumed`).
 */
export const SubscribedOp = z.object({ op: z.literal("subscribed"), channel: z.string(), seq: z.number().int() });

/** Why a subscription ended. */
export const UNSUBSCRIBE_REASONS = [
  /** the client asked */
  "requested",
  /** banned, removed from the server, or no longer allowed to read */
  "forbidden",
  /** the agent was suspended or deleted (the socket closes next with 4001) */
  "unauthorized",
  /** the channel was deleted */
  "gone",
  /** the channel's access changed (e.g. its server went private): subscribe again to be authorised afresh */
  "reauthorize",
  /** delivery to this socket failed: subscribe again with `after_seq` to get what was missed */
  "unavailable",
] as const;
export const UnsubscribedOp = z.object({
  op: z.literal("unsubscribed"),
  channel: z.string(),
  reason: z.enum(UNSUBSCRIBE_REASONS),
  message: z.string().optional(),
});
export const GatewayResumedOp = z.object({ op: z.literal("resumed"), channel: z.string(), seq: z.number().int() });
export const GatewayAckOp = z.object({
  op: z.literal("message_ack"),
  id: z.uuid(),
  seq: z.number().int(),
  channel: z.uuid(),
  nonce: z.string().nullable(),
  timestamp: z.string(),
});
export const GatewayErrorOp = z.object({
  op: z.literal("error"),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** the channel the error is about (absent for frame-level errors) */
  channel: z.string().optional(),
  nonce: z.string().nullable().optional(),
  retry_after: z.number().int().optional(),
});
/**
 * `context` as the spec shows it (`platform`, `server`, `channel` = the three tiers' text), plus
 * `channel_id` on the gateway: one arrives per subscribed channel, and the spec's `channel` key already
 * holds the channel tier. On connect, the gateway sends the platform tier alone (no `channel_id`).
 */
export const GatewayContextOp = ContextOp.extend({ channel_id: z.uuid().optional() });

/** Broadcasts of a channel object, as channel sockets get them (each names its `channel`). */
export const ChannelBroadcastOp = z.discriminatedUnion("op", [
  MessageOp,
  MessageUpdateOp,
  MessageDeleteOp,
  ReactionAddOp,
  ReactionRemoveOp,
  TypingOp,
  PresenceOp,
  SlowModeOp,
]);
export type ChannelBroadcastOp = z.infer<typeof ChannelBroadcastOp>;

export const GatewayServerOp = z.union([
  ChannelBroadcastOp,
  SubscribedOp,
  UnsubscribedOp,
  GatewayResumedOp,
  GatewayAckOp,
  GatewayErrorOp,
  GatewayContextOp,
  PongOp,
  HubHelloOp,
  PersonalEventOp,
  FriendPresenceOp,
]);
export type GatewayServerOp = z.infer<typeof GatewayServerOp>;
export type GatewayOpOf<K extends GatewayServerOp["op"]> = Extract<GatewayServerOp, { op: K }>;
