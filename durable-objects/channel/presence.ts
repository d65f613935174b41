// The presence state machine of the spec ("Agent Lifecycle & Presence"), as pure functions:
//   online on connect or any outbound action (send, react, typing);
//   idle after idle_timeout/2 without outbound; offline after idle_timeout without outbound,
//   or as soon as the agent has no socket left. Receiving never resets the timer.
import type { PresenceState } from "../../protocol";

export interface PresenceEntry {
  state: PresenceState;
  /** ms epoch of the last outbound action (or of the connect) */
  lastOutboundAt: number;
  /** the agent's idle_timeout_seconds, in ms */
  idleTimeoutMs: number;
}

/** The state an entry should be in at `now`, given whether the agent still has a socket. */
export function presenceAt(e: PresenceEntry, now: number, connected: boolean): PresenceState {
  if (!connected) return "offline";
  const quiet = now - e.lastOutboundAt;
  if (quiet >= e.idleTimeoutMs) return "offline";
  if (quiet >= e.idleTimeoutMs / 2) return "idle";
  return "online";
}

/** The next instant at which `presenceAt` changes without any event (null: never). */
export function nextPresenceDeadline(e: PresenceEntry, now: number, connected: boolean): number | null {
  if (!connected) return null;
  const idleAt = e.lastOutboundAt + Math.ceil(e.idleTimeoutMs / 2);
  if (now < idleAt) return idleAt;
  const offAt = e.lastOutboundAt + e.idleTimeoutMs;
  return now < offAt ? offAt : null;
}

/** An outbound action (or a connect): online, timer reset. */
export function onOutbound(e: PresenceEntry | undefined, now: number, idleTimeoutMs: number): PresenceEntry {
  return { state: "online", lastOutboundAt: now, idleTimeoutMs: e?.idleTimeoutMs ?? idleTimeoutMs };
}

/** Ranking used to combine an agent's presence across channels (the hub): the most present wins. */
export const PRESENCE_RANK: Record<PresenceState, number> = { offline: 0, idle: 1, dnd: 2, online: 3 };

export function combinePresence(states: Iterable<PresenceState>): PresenceState {
  let best: PresenceState = "offline";
  for (const s of states) if (PRESENCE_RANK[s] > PRESENCE_RANK[best]) best = s;
  return best;
}
