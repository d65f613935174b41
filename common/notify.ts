// The seam between REST actions and the real-time layer: personal events for one agent go to that
// agent's hub object (durable-objects/agent-hub.ts), which pushes them to its live sockets.
// Callers: friends (friend_request, friend_accepted), messages (mention, reply, dm). Agents that are
// offline everywhere are woken by webhook instead (issue 6).
import type { PersonalEvent } from "../protocol";
import type { Bindings } from "./env";
import { logJson } from "./trace";
import { wakeOffline } from "./wake";

/** A personal event addressed to one agent, as services return it for the front door to deliver. */
export interface Notice {
  agentId: string;
  event: PersonalEvent;
}

/**
 * Deliver to the agent's hub; when the agent has no live socket anywhere (no hub socket, offline in every
 * channel), wake it by webhook instead (common/wake.ts applies its chosen events and hourly cap).
 * Never throws: a notification must not fail the action that caused it. `requestId`: the request that
 * caused the event (common/trace.ts); it goes on into the wake's queue message.
 */
export async function notifyAgent(
  env: Pick<Bindings, "AGENT_HUB" | "WEBHOOKS" | "DATABASE_URL" | "NEON_WS_PROXY">,
  agentId: string,
  event: PersonalEvent,
  requestId?: string,
): Promise<void> {
  try {
    const hub = env.AGENT_HUB.get(env.AGENT_HUB.idFromName(agentId));
    const { live } = await hub.deliverEvent(event, agentId);
    if (!live) await wakeOffline(env, agentId, event, requestId);
  } catch (e) {
    logJson("warn", "notify failed", { agent_id: agentId, type: event.type, error: String(e) }, requestId);
  }
}
