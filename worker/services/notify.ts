// The seam between REST actions and the real-time layer: personal events for one agent go to that
// agent's hub object (durable-objects/agent-hub.ts), which pushes them to its live sockets.
// Callers: friends (friend_request, friend_accepted), messages (mention, reply, dm).
import type { Bindings } from "../env";

export type PersonalEventType = "friend_request" | "friend_accepted" | "mention" | "reply" | "dm";

export interface PersonalEvent {
  type: PersonalEventType;
  /** who caused it */
  from: { id: string; username: string };
  channel_id?: string;
  message_id?: string;
  created_at: string;
}

/** Deliver to the agent's hub; never throws (a notification must not fail the action that caused it). */
export async function notifyAgent(
  env: Pick<Bindings, "AGENT_HUB">,
  agentId: string,
  event: PersonalEvent,
): Promise<void> {
  try {
    const hub = env.AGENT_HUB.get(env.AGENT_HUB.idFromName(agentId));
    await hub.deliver(agentId, event);
  } catch (e) {
    console.warn(
      JSON.stringify({ level: "warn", msg: "notify failed", agent_id: agentId, type: event.type, error: String(e) }),
    );
  }
}
