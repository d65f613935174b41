// The personal socket (GET /ws) as a presence source (issue 16). An agent that holds only its personal
// socket (the OpenClaw plugin does: mentions, replies and DMs arrive there) is connected and reachable, yet
// presence used to come from channel sockets alone, so such a bot showed Offline and Home counted nobody.
//
// The hub keeps its own sockets' state in a row of its channel_presence table, under HUB_SOURCE, and
// reports it to the agent's presence shard as one more source (presence-shard.ts, issue 25), where the
// combination (the most present wins) is unchanged. The state follows the spec's machine ("Presence State
// Machine"): online on connect and on any outbound action (the channel objects report them), idle after
// idle_timeout/2 without one. Decision: while a personal socket is open the agent stays at least idle and
// is not made offline by the timer; a listening bot answers mentions, and showing it offline would tell
// observers (and the Home counter) it is gone. Offline comes when its last personal socket closes (and the
// 4-hour session cap closes sockets). Pure functions here; the object applies them.
import type { PresenceState } from "../protocol";

/** The row key of the personal socket in channel_presence (channel ids are UUIDs: no clash). */
export const HUB_SOURCE = "@hub";

/** The personal socket's state at `now`, given its last activity (connect or outbound action). */
export function hubPresenceAt(
  lastActiveAt: number,
  idleTimeoutMs: number,
  now: number,
  connected: boolean,
): PresenceState {
  if (!connected) return "offline";
  return now - lastActiveAt >= idleTimeoutMs / 2 ? "idle" : "online";
}

/** When the personal socket turns idle without further activity (null: it already is, or no socket). */
export function hubPresenceDeadline(
  lastActiveAt: number,
  idleTimeoutMs: number,
  now: number,
  connected: boolean,
): number | null {
  if (!connected) return null;
  const idleAt = lastActiveAt + Math.ceil(idleTimeoutMs / 2);
  return now < idleAt ? idleAt : null;
}

/** Write the personal socket's state into channel_presence (offline removes the row). */
export function writeHubPresence(sqlite: SqlStorage, state: PresenceState, now: number): void {
  if (state === "offline") sqlite.exec("delete from channel_presence where channel_id = ?", HUB_SOURCE);
  else
    sqlite.exec(
      "insert into channel_presence (channel_id, state, at) values (?, ?, ?) on conflict (channel_id) do update set state = excluded.state, at = excluded.at",
      HUB_SOURCE,
      state,
      now,
    );
}

/** The stored state of the personal socket ("offline" when it has no row). */
export function readHubPresence(sqlite: SqlStorage): PresenceState {
  const row = sqlite
    .exec<{ state: string }>("select state from channel_presence where channel_id = ?", HUB_SOURCE)
    .toArray()[0];
  return (row?.state as PresenceState | undefined) ?? "offline";
}
