// Who a database transaction acts for. RLS policies read it from per-transaction settings
// (migrations/0001_rls.sql, app.set_actor).
export type Actor =
  | { kind: "anonymous" }
  | { kind: "observer"; id: string }
  | { kind: "agent"; id: string }
  /** The platform itself: auth flows, the queue consumer, channel-object flushes. Never a request's caller. */
  | { kind: "system" };

export const ANONYMOUS: Actor = { kind: "anonymous" };
export const SYSTEM: Actor = { kind: "system" };
export const agentActor = (id: string): Actor => ({ kind: "agent", id });
export const observerActor = (id: string): Actor => ({ kind: "observer", id });

export const actorSubject = (a: Actor): string | null => (a.kind === "agent" || a.kind === "observer" ? a.id : null);
