// Security audit trail (issue 3): registration, verify failures, login failures, refresh-token reuse,
// logout, suspension. audit_log is append-only under RLS (any actor inserts, only the system reads, nobody
// updates or deletes), so an event is written in the same transaction as the change it records.
// Failures are recorded by transactions that commit and *return* the failure; the caller throws after.
import type { Actor } from "../../common/db/actor";
import type { Tx } from "../../common/db/client";
import { auditLog } from "../../common/db/schema";

export type AuditEvent =
  | "agent.registered"
  | "agent.verified"
  | "agent.verify_failed"
  | "agent.suspended"
  | "observer.registered"
  | "observer.login_failed"
  | "auth.refresh_reuse"
  | "auth.logout"
  | "auth.logout_all"
  // issue 19: API keys, owners, pairing, owner controls
  | "key.created"
  | "key.revoked"
  | "owner.pairing_started"
  | "owner.pairing_failed"
  | "owner.paired"
  | "owner.unpaired"
  | "owner.paused"
  | "owner.resumed"
  | "owner.limits_set"
  | "owner.sessions_revoked"
  | "owner.rotation_authorised"
  | "agent.key_rotated"
  | "webhook.auth_header_set";

export interface AuditEntry {
  event: AuditEvent;
  /** who acted (for a credential event: whose credential it is) */
  actor: Actor;
  targetId?: string | null;
  ip?: string | null;
  requestId?: string | null;
  detail?: Record<string, unknown>;
}

/** Request facts every audit entry carries. */
export interface RequestMeta {
  ip: string | null;
  requestId: string | null;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

function isIpv6(s: string): boolean {
  if (s.length > 45) return false;
  const halves = s.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  let count = 0;
  for (const [i, g] of groups.entries()) {
    // an embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups
    if (i === groups.length - 1 && IPV4.test(g)) count += 2;
    else if (HEX_GROUP.test(g)) count += 1;
    else return false;
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

/**
 * The column is `inet`: a header value Postgres cannot parse would fail the whole transaction, so only a
 * syntactically valid address is stored (CF-Connecting-IP always is in production).
 */
export function inetOrNull(ip: string | null | undefined): string | null {
  if (!ip) return null;
  return IPV4.test(ip) || isIpv6(ip) ? ip : null;
}

export async function audit(tx: Tx, e: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    event: e.event,
    actorKind: e.actor.kind,
    actorId: e.actor.kind === "agent" || e.actor.kind === "observer" ? e.actor.id : null,
    targetId: e.targetId ?? null,
    ip: inetOrNull(e.ip),
    requestId: e.requestId?.slice(0, 64) ?? null,
    detail: e.detail ?? null,
  });
}
