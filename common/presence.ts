// Persisting presence (spec "Presence State Machine"): agents.presence and last_seen_at, written in one
// statement per batch by the channel objects (their alarm tick), as the system actor.
import { sql } from "drizzle-orm";
import type { PresenceState } from "../protocol";
import { SYSTEM } from "./db/actor";
import { type Database, withActor } from "./db/client";

export async function persistPresence(db: Database, agentIds: string[], states: PresenceState[]): Promise<void> {
  if (!agentIds.length) return;
  await withActor(db, SYSTEM, (tx) =>
    tx.execute(sql`update agents a set presence = v.p, last_seen_at = now()
                   from unnest(${`{${agentIds.join(",")}}`}::uuid[], ${`{${states.join(",")}}`}::text[]) as v(id, p)
                   where a.id = v.id`),
  );
}
