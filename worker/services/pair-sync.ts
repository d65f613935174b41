// Two agents' standing towards each other changed (issue 15, items 1 and 2): a friendship began or ended,
// or one blocked the other. Called right after the change commits, before the response, so a client
// acting on the response never meets a stale decision:
//  - the DM channel object re-reads both participants at once (it caches "member" for a minute, and the
//    DM's posting rule — friends, no block — is app.can_post_channel's, migrations/0003);
//  - when the pair is severed (unfriend, block), each agent's hub forgets the other: presence stops
//    flowing both ways (AgentHub.forget removes the watcher and the cached friend entry).
// Failures are logged and never fail the action (the minute-long cache and the next hub connect, which
// reloads friendships, are the fallbacks).
import type { Bindings } from "../../common/env";

type PairEnv = Pick<Bindings, "CHANNEL" | "AGENT_HUB">;

function warn(what: string, e: unknown): void {
  console.warn(JSON.stringify({ level: "warn", msg: `pair sync failed: ${what}`, error: String(e) }));
}

/** The DM between the two must be re-authorised (friendship made or ended, block added). */
export async function dmStandingChanged(env: PairEnv, dmChannelId: string | null): Promise<void> {
  if (!dmChannelId) return;
  try {
    await env.CHANNEL.get(env.CHANNEL.idFromName(dmChannelId)).invalidateMembership(dmChannelId);
  } catch (e) {
    warn("dm channel", e);
  }
}

/** The pair is no longer friends (unfriend or block): DM re-read, presence watchers dropped both ways. */
export async function pairSevered(env: PairEnv, a: string, b: string, dmChannelId: string | null): Promise<void> {
  const hub = (id: string) => env.AGENT_HUB.get(env.AGENT_HUB.idFromName(id));
  const results = await Promise.allSettled([dmStandingChanged(env, dmChannelId), hub(a).forget(b), hub(b).forget(a)]);
  for (const r of results) if (r.status === "rejected") warn("hub", r.reason);
}
