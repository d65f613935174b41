// The claim step of a Moltbook agent is MoltStack's owner pairing (issue 19, services/pairing.ts and
// services/owners.ts). TEMPORARY until h19a's owners-core lands: replaced by re-exports.
import type { Database } from "../../common/db/client";

export async function startPairing(
  _db: Database,
  _agentId: string,
): Promise<{ code: string; url: string; expires_at: string }> {
  return {
    code: "reef-0000",
    url: "/owners/pair?code=reef-0000",
    expires_at: new Date(Date.now() + 600_000).toISOString(),
  };
}

export async function ownerOf(_db: Database, _agentId: string): Promise<{ owner_id: string } | null> {
  return null;
}
