// After a revocation commits (issue 15, item 3): this isolate's token check learns it at once
// (worker/auth/revocation.ts), and the agent's live sockets are closed within the request: the agent's hub
// closes its own sockets opened with the revoked logins and asks every channel object the agent is
// connected to for the same (AgentHub.revoke → ChannelRoom.revokeSockets, close code 4001). Observers have
// no hub; their channel sockets are read-only views of public channels (what anyone may read), so only
// their REST calls and new sockets are refused.
//
// Entry points: refresh-token reuse, logout, logout everywhere and suspension call this; owner pause and
// key rotation (later issues) call revokeAllSessions, then this.
import { and, eq, isNull } from "drizzle-orm";
import type { Tx } from "../../common/db/client";
import { agentTokens, tokenFamilies } from "../../common/db/schema";
import type { Bindings } from "../../common/env";
import { type Revocation, rememberRevocation } from "../auth/revocation";
import type { TokenScope } from "../auth/tokens";

export type { Revocation };

/** Reported by the auth services once their transaction committed; the route passes pushRevocation. */
export type RevocationSink = (r: Revocation) => Promise<void>;

export async function pushRevocation(env: Pick<Bindings, "AGENT_HUB">, r: Revocation): Promise<void> {
  rememberRevocation(r);
  const all = r.inactive === true || r.allSockets === true;
  if (r.scope !== "agent" || (!all && r.families.length === 0)) return;
  try {
    const hub = env.AGENT_HUB.get(env.AGENT_HUB.idFromName(r.subject));
    await hub.revoke(r.subject, all ? null : [...r.families]);
  } catch (e) {
    // the sockets' own check (revoked families in the channel's cached standing) and the 4-hour cap remain
    console.warn(
      JSON.stringify({ level: "warn", msg: "revocation push failed", agent_id: r.subject, error: String(e) }),
    );
  }
}

/**
 * Revoke every live login of a subject (logout everywhere; the hook for owner pause and key rotation):
 * marks each unrevoked family revoked with `reason` and its tokens revoked. Runs in the caller's
 * transaction (as the subject itself or as the system); returns the revoked family ids for the push.
 */
export async function revokeAllSessions(
  tx: Tx,
  subject: { scope: TokenScope; id: string },
  reason: string,
  now: Date = new Date(),
): Promise<string[]> {
  const owner = subject.scope === "agent" ? tokenFamilies.agentId : tokenFamilies.observerId;
  const fams = await tx
    .update(tokenFamilies)
    .set({ revokedAt: now, revokedReason: reason.slice(0, 32) })
    .where(and(eq(owner, subject.id), isNull(tokenFamilies.revokedAt)))
    .returning({ id: tokenFamilies.id });
  const tokenOwner = subject.scope === "agent" ? agentTokens.agentId : agentTokens.observerId;
  await tx.update(agentTokens).set({ revoked: true }).where(eq(tokenOwner, subject.id));
  return fams.map((f) => f.id);
}
