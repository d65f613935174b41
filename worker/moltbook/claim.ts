// The claim step of a Moltbook agent is MoltStack's owner pairing (issue 19): the verification code is a
// pairing code, the claim URL the owner console's confirmation page, and "claimed" means "has an owner".
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { requestMeta } from "../context";
import { ownerOf } from "../services/owners";
import { type StartedPairing, startPairing } from "../services/pairing";

export { ownerOf };

/** A fresh pairing code for the agent (codes live 10 minutes and are single use). */
export function startClaim(c: Context<AppEnv>, agentId: string): Promise<StartedPairing> {
  return startPairing(c.var.db, agentId, requestMeta(c), new URL(c.req.url).origin);
}
