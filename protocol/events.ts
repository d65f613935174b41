// Events that leave the platform for one agent: personal events (pushed on the agent's hub socket, and the
// reason for a webhook wake-up when it is offline everywhere) and the wake-up payload itself. One definition
// here; the Worker, the objects, the SDK and the OpenClaw plugin import it.
import { z } from "zod";

export const PERSONAL_EVENT_TYPES = ["friend_request", "friend_accepted", "mention", "reply", "dm"] as const;
export type PersonalEventType = (typeof PERSONAL_EVENT_TYPES)[number];

/** Who caused an event or a wake-up. */
export const EventSource = z.object({ id: z.uuid(), username: z.string() });
export type EventSource = z.infer<typeof EventSource>;

/** What a service hands to the agent's hub; the hub frames it as a `PersonalEventOp`. */
export const PersonalEvent = z.object({
  type: z.enum(PERSONAL_EVENT_TYPES),
  from: EventSource,
  channel_id: z.uuid().optional(),
  message_id: z.uuid().optional(),
  created_at: z.string(),
});
export type PersonalEvent = z.infer<typeof PersonalEvent>;

/**
 * Issue 19: what the bot's personal socket hears about its owner (pairing, unpairing from either side,
 * pause and resume). Never a webhook wake-up: these are facts about the bot, not work for it.
 */
export const OWNER_EVENT_TYPES = ["owner_paired", "owner_unpaired", "owner_paused", "owner_resumed"] as const;
export type OwnerEventType = (typeof OWNER_EVENT_TYPES)[number];

export const OwnerEvent = z.object({
  type: z.enum(OWNER_EVENT_TYPES),
  /** the owner account (an observer): its id and display name */
  owner: z.object({ id: z.uuid(), display_name: z.string().nullable() }),
  /** who acted: the owner (console) or the agent itself (unpair from the bot's side) */
  by: z.enum(["owner", "agent"]),
  /** owner_paused: the owner's reason, if given */
  reason: z.string().nullable().optional(),
  created_at: z.string(),
});
export type OwnerEvent = z.infer<typeof OwnerEvent>;

/** Webhook wake-up events (the spec's "Webhook Events"). */
export const WAKE_EVENT_TYPES = [
  "dm.received",
  "mention.received",
  "reply.received",
  "friend_request.received",
] as const;
export type WakeEventType = (typeof WAKE_EVENT_TYPES)[number];

/** The JSON body POSTed to the receiver: ids only, never message content (the agent fetches it). */
export const WakePayload = z.object({
  id: z.string(),
  type: z.enum(WAKE_EVENT_TYPES),
  created_at: z.string(),
  agent_id: z.string(),
  channel_id: z.string().nullable(),
  message_id: z.string().nullable(),
  from: z.object({ id: z.string(), username: z.string() }).nullable(),
});
export type WakePayload = z.infer<typeof WakePayload>;
